"""Where complaints come in: the signed JSON endpoint and the public contact form."""

import json
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.wrappers import Response

from desk.channels import webhooks
from desk.errors import DeskError
from desk.extensions import limiter
from desk.intake import acknowledgement, service
from desk.intake.forms import ContactForm
from desk.intake.schemas import IntakeAcceptedSchema, IntakePayloadSchema

bp = Blueprint("intake", __name__)
api_bp = ApiBlueprint("api_intake", __name__, url_prefix="/api/v1", description="Intake")


def _intake_limit() -> str:
    return current_app.config["DESK_INTAKE_LIMIT"]


def _contact_limit() -> str:
    return current_app.config["DESK_CONTACT_LIMIT"]


@api_bp.route("/intake/<slug>", methods=["POST"])
@api_bp.doc(
    parameters=[{"in": "header", "name": "X-Desk-Signature", "required": True,
                 "schema": {"type": "string"},
                 "description": "sha256=<hex HMAC-SHA256 of the raw body, channel secret>"}],
    requestBody={"required": True,
                 "content": {"application/json": {"schema": IntakePayloadSchema}}},
)
@api_bp.response(202, IntakeAcceptedSchema, description="stored; it becomes a ticket shortly")
@api_bp.alt_response(200, schema=IntakeAcceptedSchema, description="seen before; nothing added")
@limiter.limit(_intake_limit, key_func=lambda: (request.view_args or {}).get("slug", ""))
def receive(slug: str) -> tuple[dict[str, Any], int] | Response:
    """Take one complaint from a channel: signed, validated, stored, acknowledged.

    Meta and X channels take their platform's own signed deliveries here instead
    (docs/connectors.md); the answer is then `{"stored": [...], "quarantined": [...]}`.
    """
    channel = acknowledgement.intake_channel(slug)
    body = request.get_data(cache=False)
    if channel.kind in webhooks.PLATFORM_KINDS:
        return jsonify(webhooks.take(service.active_channel(slug), body, request.headers))
    signature = request.headers.get("X-Desk-Signature")
    channel = acknowledgement.signed_channel(channel, body, signature)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DeskError(f"the body is not readable JSON: {exc}") from exc
    payload = service.validate_payload(data)
    event_id, created = acknowledgement.acknowledge(channel, payload["external_id"], body,
                                                    signature)
    return {"id": event_id, "duplicate": not created}, 202 if created else 200


@api_bp.route("/intake/<slug>", methods=["GET"])
@api_bp.doc(summary="A platform's verification handshake (Meta hub.challenge, X CRC)")
@limiter.limit(_intake_limit, key_func=lambda: (request.view_args or {}).get("slug", ""))
def handshake(slug: str) -> Response:
    """Answer Meta's `hub.challenge` or X's `crc_token` for the channel."""
    channel = service.active_channel(slug)
    body, status = webhooks.handshake(channel, request.args.to_dict())
    mimetype = "application/json" if body.startswith("{") else "text/plain"
    response = make_response(body, status)
    response.mimetype = mimetype
    return response


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(_contact_limit, methods=["POST"])
def contact() -> str | Response:
    """The public contact form: no account needed."""
    form = ContactForm()
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled the honeypot: look successful, store nothing.
            return redirect(url_for("intake.contact_sent"))
        service.submit_contact_form(
            form.name.data or "", form.email.data or "", form.subject.data or "",
            form.message.data or "",
        )
        return redirect(url_for("intake.contact_sent"))
    return render_template("intake/contact.html", form=form)


@bp.route("/contact/sent")
def contact_sent() -> str:
    return render_template("intake/contact_sent.html",
                           message=_("Thank you. We have your message and will answer soon."))

"""The canned reply library (/canned), the composer's JSON, and /api/v1/canned-replies."""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from desk import errors
from desk.api.auth import desk_worker, token_required
from desk.api.problems import problem_response
from desk.auth.access import DESK_ROLES, roles_required
from desk.canned import service, templating
from desk.canned.forms import LANGUAGE_LABELS, SCOPE_LABELS, CannedReplyForm
from desk.canned.schemas import (
    CannedCreateSchema,
    CannedPageSchema,
    CannedQuerySchema,
    CannedReplySchema,
    CannedWriteSchema,
    RenderedSchema,
    RenderRequestSchema,
)
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.models import CannedReply, CannedScope, Person, Team

bp = Blueprint("canned", __name__, url_prefix="/canned")
api_bp = ApiBlueprint("api_canned", __name__, url_prefix="/api/v1",
                      description="Canned replies")
desk_only = roles_required(*DESK_ROLES)
SCOPE_VALUES = frozenset(scope.value for scope in CannedScope)


def _person() -> Person:
    return current_user._get_current_object()


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"scope_labels": SCOPE_LABELS, "language_labels": LANGUAGE_LABELS}


@bp.errorhandler(errors.Forbidden)
@bp.errorhandler(errors.NotFound)
def _refused(error: errors.DeskError) -> Response | tuple[str, int]:
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return problem_response(error.status, error.title, error.detail)
    message = (
        _("You are not allowed to do this.") if error.status == 403 else _("There is nothing here.")
    )
    return render_template("error.html", code=error.status, message=message), error.status


# -- the library ------------------------------------------------------------------------


@bp.get("")
@desk_only
def library() -> str:
    """Every reply the person may use, with search, filters and statistics."""
    person = _person()
    scope = request.args.get("scope") or None
    language = request.args.get("language") or None
    filters = {
        "q": (request.args.get("q") or "").strip()[:200],
        "scope": scope if scope in SCOPE_VALUES else "",
        "tag": (request.args.get("tag") or "").strip()[:40],
        "language": language if language in service.LANGUAGES else "",
    }
    replies = service.library(
        person, q=filters["q"] or None,
        scope=CannedScope(filters["scope"]) if filters["scope"] else None,
        tag=filters["tag"] or None, language=filters["language"] or None,
    )
    return render_template(
        "canned/library.html", replies=replies, filters=filters,
        usage=service.usage(reply.id for reply in replies),
        tags=service.tags_in_use(person),
        may_edit={reply.id: service.may_edit(person, reply) for reply in replies},
    )


@bp.route("/new", methods=["GET", "POST"])
@desk_only
def create() -> Response | tuple[str, int]:
    """A new canned reply; agents make personal ones."""
    person = _person()
    form = _form(person)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                reply = service.create(person, **form.values())
            except errors.Invalid as error:
                _show_service_errors(form, error)
            else:
                flash(_("Canned reply “%(title)s” saved.", title=reply.title), "success")
                return redirect(url_for("canned.library"))
        return render_template("canned/edit.html", form=form, reply=None), 422
    return render_template("canned/edit.html", form=form, reply=None), 200


@bp.route("/<int:reply_id>/edit", methods=["GET", "POST"])
@desk_only
def edit(reply_id: int) -> Response | tuple[str, int]:
    """Change a canned reply the person may edit (403 otherwise)."""
    person = _person()
    reply = service.get_for_edit(person, reply_id)
    if request.method == "GET":
        form = _form(person, reply, formdata=None)
        return render_template("canned/edit.html", form=form, reply=reply), 200
    form = _form(person, reply)
    if form.validate_on_submit():
        try:
            service.update(person, reply_id, **form.values())
        except errors.Invalid as error:
            _show_service_errors(form, error)
        else:
            flash(_("Canned reply “%(title)s” saved.", title=reply.title), "success")
            return redirect(url_for("canned.library"))
    return render_template("canned/edit.html", form=form, reply=reply), 422


@bp.post("/<int:reply_id>/delete")
@desk_only
def delete(reply_id: int) -> Response:
    """Remove a canned reply the person may edit."""
    service.delete(_person(), reply_id)
    flash(_("Canned reply deleted."), "success")
    return redirect(url_for("canned.library"))


def _form(person: Person, reply: CannedReply | None = None, **kwargs: Any) -> CannedReplyForm:
    form = CannedReplyForm(**kwargs)
    scopes = [scope for scope in CannedScope if service.may_write(person, scope)]
    form.scope.choices = [SelectChoice(scope.value, SCOPE_LABELS[scope]) for scope in scopes]
    teams = db.session.scalars(sa.select(Team).order_by(Team.name)).all()
    form.team.choices = [SelectChoice(0, "—")] + [SelectChoice(t.id, t.name) for t in teams]
    if kwargs.get("formdata", True) is None and reply is not None:
        form.title.data = reply.title
        form.shortcut.data = reply.shortcut
        form.scope.data = reply.scope.value
        form.team.data = reply.team_id or 0
        form.tags.data = ", ".join(reply.tags)
        for variant in reply.variants:
            getattr(form, f"body_{variant.language.value}").data = templating.editable_source(
                variant.body_html)
    return form


def _show_service_errors(form: CannedReplyForm, error: errors.Invalid) -> None:
    for name, messages in (error.fields or {"title": [error.detail]}).items():
        field = getattr(form, name, None) or form.title
        field.errors = [*field.errors, *messages]


# -- JSON for the composer (session and CSRF, same origin) -------------------------------


@bp.get("/picker")
@desk_only
def picker() -> Response:
    """Replies for the composer's picker, ranked for the ticket being answered."""
    person = _person()
    ticket_id = request.args.get("ticket_id", type=int)
    ticket = get_ticket(person, ticket_id) if ticket_id else None
    found = service.search(person, (request.args.get("q") or "")[:200], ticket)
    return jsonify(items=[{
        "id": c.id, "title": c.title, "shortcut": c.shortcut, "scope": c.scope.value,
        "scope_label": str(SCOPE_LABELS[c.scope]), "languages": c.languages,
    } for c in found])


@bp.post("/<int:reply_id>/render")
@desk_only
def render(reply_id: int) -> Response:
    """The reply with this ticket's values; CSRF-checked like every POST (X-CSRFToken)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("ticket_id"), int):
        return problem_response(400, "Bad request", "send JSON {ticket_id, values}")
    try:
        rendered = service.render_for_ticket(_person(), reply_id, data["ticket_id"],
                                             data.get("values") or {})
    except errors.Invalid as error:
        return problem_response(422, error.title, error.detail, fields=error.fields)
    return jsonify(body_html=rendered.body_html, body_text=rendered.body_text,
                   missing=rendered.missing, language=rendered.language)


# -- /api/v1/canned-replies --------------------------------------------------------------


def reply_json(reply: CannedReply, score: float | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": reply.id,
        "title": reply.title,
        "shortcut": reply.shortcut,
        "scope": reply.scope.value,
        "team": reply.team.name if reply.team else None,
        "owner": {"id": reply.owner.id, "name": reply.owner.name} if reply.owner else None,
        "tags": reply.tags,
        "languages": [v.language.value for v in reply.variants],
        "bodies": {v.language.value: templating.to_source(v.body_html) for v in reply.variants},
        "use_count": reply.use_count,
    }
    if score is not None:
        data["score"] = score
    return data


def _api_values(data: dict[str, Any]) -> dict[str, Any]:
    """API fields as the service takes them (team by name, one body per language)."""
    values: dict[str, Any] = {}
    for key in ("title", "shortcut", "tags"):
        if key in data:
            values[key] = data[key]
    if "scope" in data:
        values["scope"] = CannedScope(data["scope"])
    if data.get("team"):
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == data["team"]))
        if team_id is None:
            raise errors.Invalid(f"unknown team '{data['team']}'", {"team": ["unknown"]})
        values["team_id"] = team_id
    if "body" in data:
        values["bodies"] = {data.get("language") or service.LANGUAGES[0]: data["body"]}
    return values


def _api_fields(error: errors.Invalid) -> errors.Invalid:
    """The service names bodies `body_de`; the API calls the field `body`."""
    fields: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        fields.setdefault("body" if name.startswith("body_") else name, []).extend(messages)
    return errors.Invalid(error.detail, fields)


@api_bp.route("/canned-replies")
@api_bp.arguments(CannedQuerySchema, location="query")
@api_bp.response(200, CannedPageSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_list(args: dict[str, Any]) -> dict[str, Any]:
    """Canned replies the caller may use, best first for the query and the ticket."""
    person = desk_worker()
    ticket = get_ticket(person, args["ticket_id"]) if args.get("ticket_id") else None
    found = service.search(person, args.get("q"), ticket, args["limit"])
    replies = {r.id: r for r in db.session.scalars(
        sa.select(CannedReply).where(CannedReply.id.in_([c.id for c in found])))}
    return {"items": [reply_json(replies[c.id], c.score) for c in found]}


@api_bp.route("/canned-replies", methods=["POST"])
@api_bp.arguments(CannedCreateSchema)
@api_bp.response(201, CannedReplySchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_create(data: dict[str, Any]) -> dict[str, Any]:
    """Add a canned reply (agents: personal only; supervisors: team and global too)."""
    try:
        return reply_json(service.create(desk_worker(), **_api_values(data)))
    except errors.Invalid as error:
        raise _api_fields(error) from error


@api_bp.route("/canned-replies/<int:reply_id>", methods=["PUT"])
@api_bp.arguments(CannedWriteSchema)
@api_bp.response(200, CannedReplySchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_update(data: dict[str, Any], reply_id: int) -> dict[str, Any]:
    """Change the fields sent; `body` with `language` sets (or, empty, removes) that body."""
    try:
        return reply_json(service.update(desk_worker(), reply_id, **_api_values(data)))
    except errors.Invalid as error:
        raise _api_fields(error) from error


@api_bp.route("/canned-replies/<int:reply_id>", methods=["DELETE"])
@api_bp.response(204)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_delete(reply_id: int) -> None:
    """Remove a canned reply the caller may edit."""
    service.delete(desk_worker(), reply_id)


@api_bp.route("/canned-replies/<int:reply_id>/render", methods=["POST"])
@api_bp.arguments(RenderRequestSchema)
@api_bp.response(200, RenderedSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_render(data: dict[str, Any], reply_id: int) -> dict[str, Any]:
    """The reply filled in for a ticket; `missing` names what still needs a value."""
    rendered = service.render_for_ticket(desk_worker(), reply_id, data["ticket_id"],
                                         data["values"])
    return {"body_html": rendered.body_html, "body_text": rendered.body_text,
            "missing": rendered.missing, "language": rendered.language}

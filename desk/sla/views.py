"""SLA in the API (policies, escalate, alerts) and the supervisors' pages."""

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint

from desk import errors
from desk.api.auth import desk_worker, token_required
from desk.auth.access import roles_required
from desk.errors import Forbidden
from desk.models import Role
from desk.sla import alerts, escalation, policies
from desk.sla.schemas import (
    AcknowledgeSchema,
    AlertSchema,
    EscalateSchema,
    EscalationSchema,
    PolicyInSchema,
    PolicyOrderSchema,
    PolicySchema,
)
from desk.sla.status import alert_json, countdown_state, escalation_json, policy_json

api_bp = ApiBlueprint("api_sla", __name__, url_prefix="/api/v1",
                      description="SLA policies, escalations and alerts")
bp = Blueprint("sla", __name__, url_prefix="/sla")


def _supervisor() -> Any:
    person = desk_worker()
    if not person.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors and admins manage SLA policies and alerts")
    return person


@api_bp.route("/sla-policies", methods=["POST"])
@api_bp.arguments(PolicyInSchema)
@api_bp.response(201, PolicySchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def create_policy(data: dict[str, Any]) -> dict[str, Any]:
    """Add an SLA policy (supervisors); it goes last in matching order unless `position`."""
    return policy_json(policies.create_policy(_supervisor(), data))


@api_bp.route("/sla-policies")
@api_bp.response(200, PolicySchema(many=True))
@api_bp.doc(security=[{"bearer": []}])
@token_required
def list_policies() -> list[dict[str, Any]]:
    """Every SLA policy in matching order: the first that fits a ticket applies."""
    desk_worker()
    return [policy_json(policy) for policy in policies.list_policies()]


@api_bp.route("/sla-policies/<int:policy_id>")
@api_bp.response(200, PolicySchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def get_policy(policy_id: int) -> dict[str, Any]:
    """One SLA policy."""
    desk_worker()
    return policy_json(policies.get_policy(policy_id))


@api_bp.route("/sla-policies/<int:policy_id>", methods=["PUT"])
@api_bp.arguments(PolicyInSchema)
@api_bp.response(200, PolicySchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def update_policy(data: dict[str, Any], policy_id: int) -> dict[str, Any]:
    """Replace an SLA policy (supervisors), checked as on create; fields left out take
    their defaults, `position` stays unless given. Open tickets' due times follow."""
    return policy_json(policies.update_policy(_supervisor(), policy_id, data))


@api_bp.route("/sla-policies/order", methods=["PUT"])
@api_bp.arguments(PolicyOrderSchema)
@api_bp.response(200, PolicySchema(many=True))
@api_bp.doc(security=[{"bearer": []}])
@token_required
def reorder_policies(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Set the matching order (supervisors): `ids` names every policy once, first first;
    409 when the policies changed meanwhile."""
    person = _supervisor()
    return [policy_json(policy) for policy in policies.reorder_policies(person, data["ids"])]


@api_bp.route("/tickets/<int:ticket_id>/escalate", methods=["POST"])
@api_bp.arguments(EscalateSchema)
@api_bp.response(201, EscalationSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def escalate(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Raise the ticket one escalation level by hand, with a reason."""
    return escalation_json(escalation.escalate(desk_worker(), ticket_id, data["reason"]))


@api_bp.route("/tickets/<int:ticket_id>/escalation/acknowledge", methods=["POST"])
@api_bp.arguments(AcknowledgeSchema)
@api_bp.response(200, AcknowledgeSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def acknowledge(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Acknowledge the ticket's escalations (supervisors); `de_escalate` lowers it to 0."""
    ticket = escalation.acknowledge(desk_worker(), ticket_id, data.get("de_escalate", False))
    return {"de_escalate": data.get("de_escalate", False), "level": ticket.escalation_level}


@api_bp.route("/alerts")
@api_bp.response(200, AlertSchema(many=True))
@api_bp.doc(security=[{"bearer": []}])
@token_required
def list_alerts() -> list[dict[str, Any]]:
    """The early-warning alert log, newest first (supervisors)."""
    _supervisor()
    return [alert_json(alert) for alert in alerts.recent_alerts()]


@api_bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@api_bp.response(200, AlertSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def acknowledge_alert(alert_id: int) -> dict[str, Any]:
    """Acknowledge an alert; the same channel and topic stay quiet for a while."""
    return alert_json(alerts.acknowledge(_supervisor(), alert_id))


# -- pages -------------------------------------------------------------------------------

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
CLOCK_LABELS = {"first_response": _l("First response"), "next_response": _l("Next response"),
                "resolution": _l("Resolution")}


@bp.app_context_processor
def _sla_helpers() -> dict[str, Any]:
    def banner_alerts() -> list[Any]:
        if not current_user.is_authenticated or not current_user.has_role(*SUPERVISORS):
            return []
        return alerts.open_alerts()

    return {"sla_banner_alerts": banner_alerts, "sla_clock_labels": CLOCK_LABELS,
            "sla_countdown_state": countdown_state}


@bp.get("/alerts/banner")
@roles_required(*SUPERVISORS)
def banner() -> str:
    """Only the alert banner, for static/js/sla.js to swap in when an alert is raised."""
    return render_template("sla/_banner.html")


@bp.get("/alerts/<int:alert_id>")
@roles_required(*SUPERVISORS)
def alert_page(alert_id: int) -> ResponseReturnValue:
    """One alert with the messages behind it."""
    from desk.extensions import db
    from desk.models import Alert
    from desk.sla.status import alert_messages

    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    return render_template("sla/alert.html", alert=alert, messages=alert_messages(alert))


@bp.route("/policies", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def policy_page() -> ResponseReturnValue:
    from desk.sla.forms import PolicyForm

    form = PolicyForm()
    status = 200
    if form.validate_on_submit():
        try:
            policies.create_policy(current_user, form.policy_data())
        except errors.Invalid as error:
            form.show_errors(error)
            status = 422
        else:
            flash(_("SLA policy saved."))
            return redirect(url_for("sla.policy_page"))
    elif request.method == "POST":
        status = 422
    return render_template("sla/policies.html", form=form, policies=policies.list_policies(),
                           alerts=alerts.recent_alerts(20)), status


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@roles_required(*SUPERVISORS)
def edit_policy_page(policy_id: int) -> ResponseReturnValue:
    """The policy form prefilled; saving checks it as on create and keeps the input."""
    from desk.sla.forms import PolicyForm, holidays_the_form_cannot_show, policy_form_data

    try:
        policy = policies.get_policy(policy_id)
    except errors.NotFound:
        abort(404)
    form = PolicyForm(data=policy_form_data(policy),
                      kept_holidays=holidays_the_form_cannot_show(policy))
    form.save.label.text = _("Save policy")
    status = 200
    if form.validate_on_submit():
        try:
            policies.update_policy(current_user, policy.id, form.policy_data())
        except errors.Invalid as error:
            form.show_errors(error)
            status = 422
        else:
            flash(_("SLA policy saved."))
            return redirect(url_for("sla.policy_page"))
    elif request.method == "POST":
        status = 422
    return render_template("sla/policy_edit.html", form=form, policy=policy), status


@bp.route("/policies/<int:policy_id>/move", methods=["POST"])
@roles_required(*SUPERVISORS)
def move_policy(policy_id: int) -> ResponseReturnValue:
    """One place up or down in the matching order (the buttons in the policy table)."""
    steps = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if steps is None:
        abort(400)
    try:
        policies.move_policy(current_user, policy_id, steps)
    except errors.NotFound:
        abort(404)
    flash(_("Order of the SLA policies saved."))
    return redirect(url_for("sla.policy_page"))


@bp.route("/policies/<int:policy_id>/delete", methods=["POST"])
@roles_required(*SUPERVISORS)
def delete_policy(policy_id: int) -> ResponseReturnValue:
    policies.delete_policy(current_user, policy_id)
    flash(_("SLA policy deleted."))
    return redirect(url_for("sla.policy_page"))


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@roles_required(*SUPERVISORS)
def acknowledge_alert_page(alert_id: int) -> ResponseReturnValue:
    alerts.acknowledge(current_user, alert_id)
    return redirect(request.referrer or url_for("sla.policy_page"))


@bp.route("/tickets/<int:ticket_id>/escalate", methods=["POST"])
@roles_required(Role.AGENT, *SUPERVISORS)
def escalate_page(ticket_id: int) -> ResponseReturnValue:
    try:
        escalation.escalate(current_user, ticket_id, request.form.get("reason", ""))
    except errors.Invalid as error:
        flash(_("Escalation needs a reason.") if "reason" in error.fields else error.detail)
    return redirect(url_for("inbox.ticket", ticket_id=ticket_id))


@bp.route("/tickets/<int:ticket_id>/acknowledge", methods=["POST"])
@roles_required(*SUPERVISORS)
def acknowledge_page(ticket_id: int) -> ResponseReturnValue:
    escalation.acknowledge(current_user, ticket_id, request.form.get("de_escalate") == "1")
    return redirect(url_for("inbox.ticket", ticket_id=ticket_id))

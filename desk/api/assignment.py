"""/api/v1: assigning tickets, teams' assignment rules, presence and the agents' load."""

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from desk.api.auth import api_person, desk_worker, token_required
from desk.api.schemas import TicketSchema
from desk.api.views import ticket_json
from desk.assignment import board
from desk.assignment import rules as assignment_rules
from desk.assignment import service as assignment
from desk.auth.service import find_person
from desk.errors import Invalid
from desk.models import Person, Presence

bp = Blueprint("api_assignment", __name__, url_prefix="/api/v1", description="Assignment")

_MODES = ["off", "round_robin", "least_loaded"]
_STATUSES = ["online", "away", "offline"]


class AssignBodySchema(Schema):
    assignee = fields.String(allow_none=True,
                             metadata={"description": "an e-mail, or null to unassign"})
    team = fields.String(metadata={"description": "a team's name: move the ticket there"})
    reason = fields.String(validate=validate.Length(max=500))
    version = fields.Integer(metadata={"description": "the ticket version you saw; 409 if stale"})


class ReasonSchema(Schema):
    reason = fields.String(validate=validate.Length(max=500))


class BulkAssignSchema(Schema):
    ticket_ids = fields.List(fields.Integer(), required=True,
                             validate=validate.Length(min=1, max=assignment.MAX_BULK))
    assignee = fields.String(required=True, allow_none=True,
                             metadata={"description": "an e-mail, or null to unassign"})
    reason = fields.String(validate=validate.Length(max=500))


class BulkFailureSchema(Schema):
    id = fields.Integer(required=True)
    reason = fields.String(required=True)


class BulkResultSchema(Schema):
    done = fields.List(fields.Integer(), required=True)
    failed = fields.List(fields.Nested(BulkFailureSchema), required=True)


class RuleSchema(Schema):
    mode = fields.String(validate=validate.OneOf(_MODES))
    capacity = fields.Integer(validate=validate.Range(min=1, max=assignment_rules.MAX_CAPACITY))
    grace_minutes = fields.Integer(
        validate=validate.Range(min=0, max=assignment_rules.MAX_MINUTES))
    response_minutes = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=assignment_rules.MAX_MINUTES))
    response_minutes_by_priority = fields.Dict(keys=fields.String(), values=fields.Integer())
    response_action = fields.String(validate=validate.OneOf(["reassign", "escalate"]))
    fair_limit = fields.Integer(validate=validate.Range(min=0, max=assignment_rules.MAX_CAPACITY))
    fair_window_minutes = fields.Integer(
        validate=validate.Range(min=1, max=assignment_rules.MAX_MINUTES))


class RuleOutSchema(RuleSchema):
    team = fields.String(required=True)


class PresenceBodySchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(_STATUSES))


class PresenceOutSchema(Schema):
    status = fields.String(required=True, metadata={
        "description": "the presence auto-assignment goes by (sockets, capped by the choice)"})
    chosen = fields.String(required=True)


class AgentSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    presence = fields.String(required=True, metadata={"enum": _STATUSES})
    chosen = fields.String(required=True, metadata={"enum": _STATUSES})
    load = fields.Integer(required=True, metadata={"description": "open tickets held"})
    capacity = fields.Integer(required=True)
    teams = fields.List(fields.String(), required=True)
    oldest_open_at = fields.DateTime(allow_none=True)
    overdue = fields.Integer(metadata={"description": "tickets past their response time"})


class AgentListSchema(Schema):
    items = fields.List(fields.Nested(AgentSchema), required=True)


def _person(email: str | None, field: str = "assignee") -> Person | None:
    if email is None:
        return None
    person = find_person(email)
    if person is None:
        raise Invalid(f"no person with e-mail {email}", {field: ["unknown"]})
    return person


@bp.route("/tickets/<int:ticket_id>/assign", methods=["POST"])
@bp.arguments(AssignBodySchema)
@bp.response(200, TicketSchema)
@bp.alt_response(409, description="the assignee changed meanwhile")
@bp.doc(security=[{"bearer": []}])
@token_required
def assign(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Assign to a person by e-mail, move to a team (`team`), or both; `null` unassigns.

    Supervisors assign anything; the current assignee may hand their ticket on.
    """
    if "assignee" not in data and "team" not in data:
        raise Invalid("send assignee, team or both", {"assignee": ["missing"]})
    person = desk_worker()
    assignee = _person(data.get("assignee"))
    if "team" in data:
        ticket = assignment.route_to_team(person, ticket_id, data["team"], assignee,
                                          data.get("reason"))
    else:
        ticket = assignment.assign(person, ticket_id, assignee, data.get("version"),
                                   data.get("reason"))
    return ticket_json(ticket)


@bp.route("/tickets/<int:ticket_id>/unassign", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, TicketSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def unassign(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Put the ticket back in the pool (supervisors, or whoever holds it)."""
    return ticket_json(assignment.unassign(desk_worker(), ticket_id, data.get("reason")))


@bp.route("/tickets/bulk-assign", methods=["POST"])
@bp.arguments(BulkAssignSchema)
@bp.response(200, BulkResultSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def bulk_assign(data: dict[str, Any]) -> dict[str, Any]:
    """Assign many tickets to one person (supervisors); each ticket all or nothing."""
    person = desk_worker()
    result = assignment.bulk_assign(person, data["ticket_ids"], _person(data["assignee"]),
                                    data.get("reason"))
    return {"done": result.done, "failed": result.failed}


@bp.route("/teams/<name>/assignment", methods=["GET"])
@bp.response(200, RuleOutSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def get_rule(name: str) -> dict[str, Any]:
    """A team's assignment rule (anyone who works tickets may read it)."""
    desk_worker()
    team = assignment_rules.team_by_name(name)
    return assignment_rules.rule_json(team, assignment_rules.rule_for(team.id))


@bp.route("/teams/<name>/assignment", methods=["PUT"])
@bp.arguments(RuleSchema)
@bp.response(200, RuleOutSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def put_rule(data: dict[str, Any], name: str) -> dict[str, Any]:
    """Set a team's auto-assignment (supervisors): mode, capacity, grace and response time.

    Only the fields sent change. Switching a mode on drains the team's backlog.
    """
    person = desk_worker()
    rule = assignment_rules.set_rule(person, name, **data)
    team = assignment_rules.team_by_name(name)
    if data.get("mode") not in (None, "off"):
        from desk.assignment.jobs import drain_soon

        drain_soon(team.id)
    return assignment_rules.rule_json(team, rule)


@bp.route("/me/presence", methods=["PUT"])
@bp.arguments(PresenceBodySchema)
@bp.response(200, PresenceOutSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def put_presence(data: dict[str, Any]) -> dict[str, Any]:
    """Say you are online, away or offline; away and offline keep new tickets from you."""
    person = desk_worker()
    result = assignment_rules.set_chosen_status(person, Presence(data["status"]))
    return {"status": result.value, "chosen": data["status"]}


class AgentSettingsSchema(Schema):
    capacity = fields.Integer(allow_none=True, validate=validate.Range(
        min=1, max=assignment_rules.MAX_CAPACITY), metadata={"description": "null: team default"})
    languages = fields.List(fields.String(validate=validate.Length(min=2, max=8)),
                            allow_none=True, metadata={"description": "null: any language"})
    channels = fields.List(fields.String(), allow_none=True,
                           metadata={"description": "channel slugs; null: any channel"})


@bp.route("/agents/<email>", methods=["PUT"])
@bp.arguments(AgentSettingsSchema)
@bp.response(200, AgentSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def put_agent(data: dict[str, Any], email: str) -> dict[str, Any]:
    """Set a person's own capacity and skills (supervisors); only the fields sent change."""
    actor = desk_worker()
    board.require_supervisor(actor, "api.agent_settings")
    person = _person(email, "email")
    assert person is not None  # noqa: S101 - _person raises for unknown e-mails
    values = {key: data[key] for key in ("capacity", "languages") if key in data}
    if "channels" in data:
        values["channel_ids"] = assignment_rules.channel_ids(data["channels"])
    if values:
        assignment_rules.update_agent(actor, person, values)
    row = next(row for row in board.agents() if row["id"] == person.id)
    return row | {"presence": row["presence"].value, "chosen": row["chosen"].value}


@bp.route("/agents")
@bp.response(200, AgentListSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def agents() -> dict[str, Any]:
    """Everyone who works tickets with presence, load and capacity (supervisors)."""
    person = api_person()
    board.require_supervisor(person, "api.agents")
    return {"items": [row | {"presence": row["presence"].value, "chosen": row["chosen"].value}
                      for row in board.agents()]}

"""/api/v1: tickets for integrators and scripts, documented by the generated OpenAPI."""

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_smorest import Blueprint

from desk.api.auth import desk_worker, token_required
from desk.api.schemas import (
    BodySchema,
    MessageSchema,
    ReplySchema,
    StatusSchema,
    TagSchema,
    TicketDetailSchema,
    TicketPageSchema,
    TicketQuerySchema,
    TicketSchema,
)
from desk.assignment import service as assignment
from desk.errors import Invalid
from desk.extensions import api, csrf, db
from desk.inbox import queue
from desk.inbox import service as inbox
from desk.models import Channel, Message, Person, Priority, Status, Team, Ticket, TicketSla
from desk.replies import service as replies
from desk.sla import status as sla_status
from desk.tags import service as tagging

bp = Blueprint("api_tickets", __name__, url_prefix="/api/v1", description="Tickets")


def register(app: Flask) -> None:
    from desk.api.assignment import bp as assignment_api
    from desk.api.presence import bp as presence_api
    from desk.canned.views import api_bp as canned_api
    from desk.channels.views import api_bp as channels_api
    from desk.faq.views import api_bp as faq_api
    from desk.intake.views import api_bp as intake_api
    from desk.reports.api import api_bp as reports_api
    from desk.sla.views import api_bp as sla_api

    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "a person's API token"}
    )
    for blueprint in (bp, intake_api, faq_api, presence_api, canned_api, channels_api,
                      sla_api, assignment_api, reports_api):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return (_ticket_fields(ticket) | sla_status.ticket_facts(ticket)
            | {"tags": tagging.names_on(ticket.id)})


def _ticket_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "subject": ticket.subject,
        "preview": ticket.preview,
        "channel": ticket.channel.slug,
        "contact": {"handle": ticket.contact.handle, "name": ticket.contact.name,
                    "reach": ticket.contact.reach},
        "assignee": {"id": ticket.assignee.id, "name": ticket.assignee.name}
        if ticket.assignee else None,
        "team": ticket.team.name if ticket.team else None,
        "version": ticket.version,
        "message_count": ticket.message_count,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "due_at": ticket.due_at,
    }


def row_json(row: sa.Row[Any], sla: TicketSla | None = None,
             tags: list[str] | None = None) -> dict[str, Any]:
    return _row_fields(row) | {
        "sla": sla_status.sla_json(sla),
        "escalation_level": row.escalation_level,
        "sentiment": row.sentiment,
        "priority_reason": sla.priority_reason if sla else None,
        "tags": tags or [],
    }


def _row_fields(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status.value,
        "priority": row.priority.value,
        "subject": row.subject,
        "preview": row.preview,
        "channel": row.channel_slug,
        "contact": {"handle": row.contact_handle, "name": row.contact_name,
                    "reach": row.contact_reach},
        "assignee": {"id": row.assignee_id, "name": row.assignee_name}
        if row.assignee_id else None,
        "team": row.team_name,
        "version": row.version,
        "message_count": row.message_count,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "due_at": row.due_at,
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind.value,
        "body_html": message.body_html,
        "body_text": message.body_text,
        "author": {"id": message.author.id, "name": message.author.name}
        if message.author else None,
        "created_at": message.created_at,
        "external_id": message.external_id,
        "url": message.url,
        "delivery": message.delivery.value if message.delivery else None,
    }


def _filter_from(args: dict[str, Any], person: Person) -> queue.QueueFilter:
    wanted: dict[str, Any] = {"view": args["view"], "q": args.get("q")}
    if "status" in args:
        wanted["status"] = Status(args["status"])
    if "assignee" in args:
        assignee = args["assignee"]
        if assignee == "me":
            wanted["assignee_id"] = person.id
        elif assignee == "none":
            wanted["view"] = "unassigned"
        else:
            wanted["assignee_id"] = _person_id(assignee)
    if "team" in args:
        wanted["team_id"] = _id_by(Team.id, Team.name == args["team"], "team", args["team"])
    if "channel" in args:
        wanted["channel_id"] = _id_by(Channel.id, Channel.slug == args["channel"], "channel",
                                      args["channel"])
    if "tag" in args:
        found = tagging.tag_id(tagging.normalized(args["tag"]))
        if found is None:
            raise Invalid(f"unknown tag '{args['tag']}'", {"tag": ["unknown"]})
        wanted["tag_id"] = found
    return queue.QueueFilter(**wanted)


def _person_id(value: str) -> int:
    if value.isdigit():
        return int(value)
    return _id_by(Person.id, Person.email == value.lower(), "assignee", value)


def _id_by(column: Any, condition: Any, field: str, value: str) -> int:
    found = db.session.scalar(sa.select(column).where(condition))
    if found is None:
        raise Invalid(f"unknown {field} '{value}'", {field: ["unknown"]})
    return found


@bp.route("/tickets")
@bp.arguments(TicketQuerySchema, location="query")
@bp.response(200, TicketPageSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def list_tickets(args: dict[str, Any]) -> dict[str, Any]:
    """List tickets in queue order (nearest due first, then oldest), a page at a time."""
    person = desk_worker()
    page = queue.list_page(person, _filter_from(args, person), args.get("cursor"), args["limit"])
    slas = sla_status.rows_for(row.id for row in page.rows)
    return {"items": [row_json(row, slas.get(row.id), page.tags.get(row.id))
                      for row in page.rows],
            "next": page.next_cursor}


@bp.route("/tickets/<int:ticket_id>")
@bp.response(200, TicketDetailSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def get_ticket(ticket_id: int) -> dict[str, Any]:
    """One ticket with its whole thread (inbound messages, replies and notes)."""
    ticket = inbox.get_ticket(desk_worker(), ticket_id)
    return ticket_json(ticket) | {"messages": [message_json(m) for m in inbox.thread(ticket)]}


@bp.route("/tickets/<int:ticket_id>/claim", methods=["POST"])
@bp.response(200, TicketSchema)
@bp.alt_response(409, description="someone else holds the ticket")
@bp.doc(security=[{"bearer": []}])
@token_required
def claim(ticket_id: int) -> dict[str, Any]:
    """Take an unassigned ticket; of simultaneous claims exactly one wins."""
    return ticket_json(assignment.claim(desk_worker(), ticket_id))


@bp.route("/tickets/<int:ticket_id>/replies", methods=["POST"])
@bp.arguments(ReplySchema)
@bp.response(201, MessageSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def reply(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Answer the contact; delivery follows through the channel.

    With `seen_message_id`, a reply is held (409, `new_message_ids`) when others
    added messages since that one.
    """
    status = Status(data["status"]) if "status" in data else None
    message = replies.add_reply(desk_worker(), ticket_id, data["body"], data.get("version"),
                                status, seen_message_id=data.get("seen_message_id"),
                                canned_reply_ids=data.get("canned_reply_ids", ()),
                                survey=data.get("survey", False))
    return message_json(message)


@bp.route("/tickets/<int:ticket_id>/notes", methods=["POST"])
@bp.arguments(BodySchema)
@bp.response(201, MessageSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def note(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Add an internal note."""
    return message_json(
        replies.add_note(desk_worker(), ticket_id, data["body"], data.get("version"),
                         seen_message_id=data.get("seen_message_id"))
    )


@bp.route("/tickets/<int:ticket_id>/tags", methods=["POST"])
@bp.arguments(TagSchema)
@bp.response(200, TicketSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def add_tag(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Put a tag on the ticket (created on first use); 422 for a malformed name."""
    return ticket_json(tagging.add_tag(desk_worker(), ticket_id, data["name"]))


@bp.route("/tickets/<int:ticket_id>/tags", methods=["DELETE"])
@bp.arguments(TagSchema)
@bp.response(200, TicketSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def remove_tag(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Take a tag off the ticket; the JSON body names it, as for adding."""
    return ticket_json(tagging.remove_tag(desk_worker(), ticket_id, data["name"]))


@bp.route("/tickets/<int:ticket_id>/status", methods=["POST"])
@bp.arguments(StatusSchema)
@bp.response(200, TicketSchema)
@bp.doc(security=[{"bearer": []}])
@token_required
def status(data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    """Change status and/or priority."""
    if "status" not in data and "priority" not in data:
        raise Invalid("send status, priority or both", {"status": ["missing"]})
    ticket = inbox.update(
        desk_worker(),
        ticket_id,
        status=Status(data["status"]) if "status" in data else None,
        priority=Priority(data["priority"]) if "priority" in data else None,
        seen_version=data.get("version"),
    )
    return ticket_json(ticket)

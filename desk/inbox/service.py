"""Reading one ticket and changing its status and priority."""

import sqlalchemy as sa

from desk import audit, events
from desk.auth.access import can_see_ticket, visible_tickets
from desk.commits import commit, send_after_commit
from desk.errors import Forbidden, NotFound
from desk.extensions import db
from desk.models import Message, Person, Priority, Status, Ticket, utcnow
from desk.sla import hooks as sla
from desk.tickets import change


def get_ticket(person: Person, ticket_id: int) -> Ticket:
    """The ticket, if it exists and the person may see it."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    if not can_see_ticket(person, ticket.team_id):
        raise Forbidden("this ticket belongs to a team you are not in")
    return ticket


def thread(ticket: Ticket) -> list[Message]:
    """All messages of a ticket, oldest first (inbound, replies and notes)."""
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.ticket_id == ticket.id)
            .order_by(Message.created_at, Message.id)
        )
    )


def other_tickets_of_contact(person: Person, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The person's other tickets (on every channel they are unified on) the viewer may
    see, newest first."""
    from desk.contacts.service import same_person

    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(
                Ticket.contact_id.in_(same_person(ticket.contact)),
                Ticket.id != ticket.id,
                visible_tickets(person),
            )
            .order_by(Ticket.created_at.desc())
            .limit(limit)
        )
    )


def update(
    person: Person,
    ticket_id: int,
    *,
    status: Status | None = None,
    priority: Priority | None = None,
    seen_version: int | None = None,
) -> Ticket:
    """Change status and/or priority in one step; resolving stamps the time."""
    ticket = get_ticket(person, ticket_id)
    values: dict = {}
    if status is not None and status != ticket.status:
        values["status"] = status
        if status == Status.RESOLVED:
            values["resolved_at"] = utcnow()
        elif ticket.status == Status.RESOLVED:
            values["resolved_at"] = None
    if priority is not None and priority != ticket.priority:
        values["priority"] = priority
    if not values:
        return ticket
    old = {"status": ticket.status, "priority": ticket.priority}
    ticket = change(ticket.id, values, seen_version=seen_version)
    sla.ticket_changed(ticket)  # clocks pause, stop or change target with it
    changes = {key: values[key].value for key in ("status", "priority") if key in values}
    for key, new in changes.items():
        audit.record(f"ticket.{key}", person, ticket.id, old=old[key], new=new)
    _announce_update(ticket, changes)
    commit()
    return ticket


def _announce_update(ticket: Ticket, changes: dict) -> None:
    send_after_commit(
        events.ticket_updated,
        ticket_id=ticket.id,
        team_id=ticket.team_id,
        changes=changes,
        version=ticket.version,
    )

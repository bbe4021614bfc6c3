"""Claiming and assigning tickets; each one conditional UPDATE, so only one can win."""

import sqlalchemy as sa

from desk import audit, events
from desk.auth.access import can_assign_others, can_see_ticket
from desk.commits import commit, send_after_commit
from desk.errors import Conflict, Forbidden, Invalid
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.models import Person, Status, Ticket
from desk.tickets import change


def claim(person: Person, ticket_id: int) -> Ticket:
    """Take an unassigned ticket. Claiming one's own ticket again is a no-op."""
    ticket = get_ticket(person, ticket_id)
    if ticket.assignee_id == person.id:
        return ticket
    if ticket.assignee_id is not None:
        raise Conflict(f"{ticket.assignee.name if ticket.assignee else 'someone'} holds it already",
                       assignee_id=ticket.assignee_id)
    values: dict = {"assignee_id": person.id}
    if ticket.status == Status.NEW:
        values["status"] = Status.OPEN
    try:
        ticket = change(ticket.id, values, only_if=Ticket.assignee_id.is_(None),
                        conflict="Someone else claimed it a moment ago.")
    except Conflict as exc:
        holder = db.session.scalar(sa.select(Ticket.assignee_id).where(Ticket.id == ticket_id))
        if holder == person.id:
            return get_ticket(person, ticket_id)
        exc.extra["assignee_id"] = holder
        raise
    audit.record("ticket.claimed", person, ticket.id)
    _announce(ticket)
    commit()
    return ticket


def assign(
    actor: Person, ticket_id: int, assignee: Person | None, seen_version: int | None = None
) -> Ticket:
    """Give a ticket to someone (or to nobody). Supervisors and admins only,
    except that anyone may hand back a ticket they hold."""
    ticket = get_ticket(actor, ticket_id)
    releasing_own = assignee is None and ticket.assignee_id == actor.id
    if not (can_assign_others(actor) or releasing_own):
        raise Forbidden("only supervisors assign tickets to others")
    if assignee is not None:
        if not assignee.is_active:
            raise Invalid(f"{assignee.name} is deactivated", {"assignee": ["inactive"]})
        if not can_see_ticket(assignee, ticket.team_id):
            raise Invalid(f"{assignee.name} may not work this ticket's team",
                          {"assignee": ["not in the ticket's team"]})
    old = ticket.assignee_id
    new = assignee.id if assignee else None
    if old == new:
        return ticket
    values: dict = {"assignee_id": new}
    if new is not None and ticket.status == Status.NEW:
        values["status"] = Status.OPEN
    ticket = change(ticket.id, values, seen_version=seen_version)
    audit.record("ticket.assigned", actor, ticket.id, old=old, new=new)
    _announce(ticket)
    commit()
    return ticket


def _announce(ticket: Ticket) -> None:
    send_after_commit(
        events.ticket_assigned,
        ticket_id=ticket.id,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        version=ticket.version,
    )

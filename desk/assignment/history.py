"""A ticket's assignment history, from the audit log: who held it, who moved it, and why."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from desk.extensions import db
from desk.models import AuditEvent, Person

# Every audit action that changes a ticket's assignee (desk.assignment.service.hand_over).
ASSIGNING = ("ticket.claimed", "ticket.assigned", "ticket.unassigned", "ticket.auto_assigned",
             "ticket.returned", "ticket.response_overdue", "ticket.routed")
# The actions whose reason a person typed (the others carry the system's own word).
_TYPED_REASONS = {"ticket.assigned", "ticket.unassigned", "ticket.routed"}
SHOWN = 20


@dataclass
class Change:
    at: datetime
    action: str  # the audit action without "ticket."
    actor: str | None
    old: str | None
    new: str | None
    reason: str | None


def of_ticket(ticket_id: int, most: int = SHOWN) -> list[Change]:
    """The ticket's latest assignee changes, newest first (`ix_audit_events_ticket_id`)."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.ticket_id == ticket_id, AuditEvent.action.in_(ASSIGNING))
        .order_by(AuditEvent.id.desc()).limit(most)).all()
    ids = {event.data.get(key) for event in events for key in ("old", "new")} - {None}
    names = dict(db.session.execute(
        sa.select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    return [
        Change(at=event.created_at, action=event.action.removeprefix("ticket."),
               actor=event.actor.name if event.actor else None,
               old=names.get(event.data.get("old")), new=names.get(event.data.get("new")),
               reason=event.data.get("reason") if event.action in _TYPED_REASONS else None)
        for event in events
    ]

"""Small builders for the assignment tests: a team with a rule, people present or not."""

from datetime import UTC, datetime

import sqlalchemy as sa

from desk.extensions import db
from desk.models import AuditEvent, Presence, Team, Ticket

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def team_id(name: str = "Care") -> int:
    return db.session.scalar(sa.select(Team.id).where(Team.name == name))


def set_rule(name: str = "Care", **settings) -> None:
    from desk.assignment.rules import save_rule

    save_rule(db.session.get(Team, team_id(name)), None, settings)


def present(*people, status: Presence = Presence.ONLINE) -> None:
    """What the live layer records when a person's sockets come and go."""
    from desk.live.presence import record

    for person in people:
        record(person.id, status)


def assignee_of(ticket) -> int | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Ticket.assignee_id).where(Ticket.id == ticket.id))


def assignees(tickets) -> list[int | None]:
    return [assignee_of(ticket) for ticket in tickets]


def actions(ticket) -> list[str]:
    return list(db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.ticket_id == ticket.id)
        .order_by(AuditEvent.id)))

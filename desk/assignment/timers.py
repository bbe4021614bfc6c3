"""The sweeps that act on time: absent agents' unanswered tickets, the response timer.

Both run in the periodic `desk.assignment.jobs.sweep` and are safe to run twice or
late: each change is conditional on what the sweep saw.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from desk import audit, events
from desk.assignment import auto
from desk.assignment.rules import rule_for
from desk.assignment.service import hand_over
from desk.commits import commit, send_after_commit
from desk.errors import Conflict
from desk.extensions import db
from desk.models import (
    AgentState,
    AssignmentRule,
    Message,
    MessageKind,
    Person,
    Presence,
    ResponseAction,
    Ticket,
    utcnow,
)
from desk.tickets import change

SWEEP_BATCH = 500


def answered_since(ticket_id: int, since: datetime) -> bool:
    """Whether a reply went out on the ticket at or after `since`."""
    return db.session.scalar(
        sa.select(Message.id).where(Message.ticket_id == ticket_id,
                                    Message.kind == MessageKind.REPLY,
                                    Message.created_at >= since).limit(1)
    ) is not None


def absent_since() -> dict[int, datetime]:
    """People who are not present, with the moment they left (sockets or own choice)."""
    rows = db.session.execute(
        sa.select(Person.id, Person.presence, Person.presence_at, AgentState.chosen_status,
                  AgentState.chosen_at)
        .outerjoin(AgentState, AgentState.person_id == Person.id)
        .where(sa.or_(Person.presence != Presence.ONLINE,
                      sa.and_(AgentState.chosen_status.is_not(None),
                              AgentState.chosen_status != Presence.ONLINE)))
    ).all()
    absent: dict[int, datetime] = {}
    epoch = datetime.min.replace(tzinfo=utcnow().tzinfo)
    for row in rows:
        moments = []
        if row.presence != Presence.ONLINE:
            moments.append(row.presence_at or epoch)
        if row.chosen_status not in (None, Presence.ONLINE):
            moments.append(row.chosen_at or epoch)
        absent[row.id] = min(moments)
    return absent


def return_from_absent(now: datetime | None = None) -> list[int]:
    """Absent agents' unanswered tickets go back to their team's pool after the grace time.

    Only tickets of teams with a rule; answered ones stay with their assignee.
    Returns the ids of the tickets returned (the drain then gives them onwards).
    """
    now = now or utcnow()
    absent = absent_since()
    if not absent:
        return []
    rules = {rule.team_id: rule for rule in db.session.scalars(sa.select(AssignmentRule))}
    if not rules:
        return []
    held = db.session.execute(
        sa.select(Ticket.id, Ticket.assignee_id, Ticket.team_id, Ticket.assigned_at,
                  Ticket.created_at)
        .where(auto.IS_OPEN, Ticket.assignee_id.in_(list(absent)),
               Ticket.team_id.in_(list(rules)))
        .order_by(Ticket.id)
    ).all()
    returned = []
    for row in held:
        since = row.assigned_at or row.created_at
        grace = timedelta(minutes=rules[row.team_id].grace_minutes)
        if max(absent[row.assignee_id], since) + grace > now:
            continue
        if answered_since(row.id, since):
            continue
        ticket = db.session.get(Ticket, row.id, options=[orm.lazyload(Ticket.team)])
        try:
            hand_over(ticket, row.assignee_id, None, None, "ticket.returned",
                      reason="assignee absent", condition=auto.IS_OPEN)
        except Conflict:
            continue
        commit()
        returned.append(row.id)
    db.session.rollback()
    return returned


def overdue_responses(now: datetime | None = None) -> dict[str, list[int]]:
    """Tickets whose assignee did not answer in time: reassigned or escalated per team rule.

    Reads only tickets with a due response (`ix_tickets_response_due`). One answered
    meanwhile just loses its timer.
    """
    now = now or utcnow()
    due = db.session.execute(
        sa.select(Ticket.id, Ticket.assignee_id, Ticket.team_id, Ticket.assigned_at,
                  Ticket.response_due_at, Ticket.created_at)
        .where(Ticket.response_due_at.is_not(None), Ticket.response_due_at <= now)
        .order_by(Ticket.response_due_at, Ticket.id)
        .limit(SWEEP_BATCH)
    ).all()
    outcome: dict[str, list[int]] = {"answered": [], "reassigned": [], "escalated": []}
    for row in due:
        seen = Ticket.response_due_at == row.response_due_at
        if row.assignee_id is None or not _still_open(row.id) or answered_since(
                row.id, row.assigned_at or row.created_at):
            _clear_timer(row.id, seen)
            outcome["answered"].append(row.id)
            continue
        rule = rule_for(row.team_id)
        if rule.response_action == ResponseAction.ESCALATE:
            if _escalate(row.id, seen, row.assignee_id, row.response_due_at):
                outcome["escalated"].append(row.id)
        elif _reassign(row.id, row.assignee_id, seen, now):
            outcome["reassigned"].append(row.id)
    db.session.rollback()
    return outcome


def _still_open(ticket_id: int) -> bool:
    return db.session.scalar(sa.select(Ticket.id).where(Ticket.id == ticket_id, auto.IS_OPEN)
                             ) is not None


def _clear_timer(ticket_id: int, seen: sa.ColumnElement[bool]) -> None:
    # Bookkeeping, not a change anyone must see: the version stays, so no open form
    # of an agent turns stale over it.
    db.session.execute(
        sa.update(Ticket).where(Ticket.id == ticket_id, seen).values(response_due_at=None)
        .execution_options(synchronize_session=False)
    )
    commit()


def _escalate(ticket_id: int, seen: sa.ColumnElement[bool], assignee_id: int,
              due_at: datetime) -> bool:
    """Raise the escalation level, recorded as an escalation of the SLA capability (which
    owns escalation records: "escalated to me", acknowledging, the digest)."""
    from desk.sla.escalation import escalate_for_response_timer

    try:
        ticket = change(ticket_id, {"escalation_level": Ticket.escalation_level + 1,
                                    "response_due_at": None}, only_if=seen)
    except Conflict:
        return False
    escalate_for_response_timer(ticket, due_at)
    audit.record("ticket.escalated", None, ticket.id, level=ticket.escalation_level,
                 reason="response_timer", assignee=assignee_id)
    send_after_commit(events.ticket_updated, ticket_id=ticket.id, team_id=ticket.team_id,
                      changes={"escalation_level": ticket.escalation_level},
                      version=ticket.version)
    commit()
    return True


def _reassign(ticket_id: int, assignee_id: int, seen: sa.ColumnElement[bool],
              now: datetime) -> bool:
    """Take the ticket from its silent assignee; the next agent gets it, else the pool."""
    ticket = db.session.get(Ticket, ticket_id, options=[orm.lazyload(Ticket.team)])
    try:
        hand_over(ticket, assignee_id, None, None, "ticket.response_overdue",
                  reason="no answer in time", condition=seen)
    except Conflict:
        return False
    commit()
    auto.assign_ticket(ticket_id, now, exclude=frozenset({assignee_id}),
                       reason="response_timer")
    return True

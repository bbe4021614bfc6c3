"""A ticket's SLA clocks: compute due times, warnings and the sweep's next moment.

`recompute()` is called in the transaction that changes the ticket (a message
in or out, a status or priority change) and by the sweep; it rewrites the
ticket's `ticket_sla` row and sets `Ticket.due_at` to the nearest running due
time, which is what the queues sort by.

Pauses: while the ticket is in one of the policy's pause statuses no clock
runs; on leaving it, the business minutes spent paused since each clock
started are added to that clock's target. First response and resolution run
from the ticket's creation, so every pause counts for them (`paused_minutes`).
The next-response clock starts at each customer message after our last reply,
so it restarts with every exchange; it counts only the paused minutes since its
own start (`next_response_paused_minutes`), from zero again when it restarts.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from desk.extensions import db
from desk.models import (
    Clock,
    Escalation,
    Message,
    MessageKind,
    SlaPolicy,
    Status,
    Ticket,
    TicketSla,
    utcnow,
)
from desk.sla.calendar import BusinessCalendar
from desk.sla.policies import calendar_of, matching_policy

STOPPED = (Status.RESOLVED, Status.SPAM)


@dataclass(frozen=True)
class Stage:
    """One thing the sweep must do for a clock at a moment: warn (level 0) or raise a level."""

    clock: Clock
    started_at: datetime
    level: int
    at: datetime


@dataclass(frozen=True)
class RunningClock:
    clock: Clock
    started_at: datetime
    warn_at: datetime
    due_at: datetime


def sla_row(ticket: Ticket) -> TicketSla:
    row = db.session.get(TicketSla, ticket.id)
    if row is None:
        row = TicketSla(ticket_id=ticket.id, paused_minutes=0.0)
        db.session.add(row)
    return row


@dataclass
class Evaluation:
    """A ticket's clocks as just recomputed, and the stages not yet raised."""

    row: TicketSla
    policy: SlaPolicy | None
    clocks: list[RunningClock]
    pending: list[Stage]


def recompute(ticket: Ticket, now: datetime | None = None,
              policies: list[SlaPolicy] | None = None) -> TicketSla:
    """Bring the ticket's clocks up to date with its status, messages and policy."""
    return evaluate(ticket, now or utcnow(), policies).row


def evaluate(ticket: Ticket, now: datetime, policies: list[SlaPolicy] | None = None) -> Evaluation:
    """Recompute the ticket's clocks; `policies` (in order) saves a query per ticket."""
    row = sla_row(ticket)
    policy = matching_policy(ticket, policies)
    if row.policy_id != (policy.id if policy else None):
        row.policy_id = policy.id if policy else None
        row.policy = policy
    row.updated_at = now
    if policy is None or ticket.status in STOPPED:
        _stop(ticket, row)
        return Evaluation(row, policy, [], [])
    calendar = calendar_of(policy)
    # The pause that ends now belongs to the next-response clock that ran until now;
    # when a customer message restarts the clock (and so ends a pause on us waiting
    # for them), the new clock starts with no paused minutes.
    _track_pause(ticket, row, policy, calendar, now)
    _restart_next_response(row, next_response_start(ticket))
    clocks = running_clocks(ticket, row, policy, calendar)
    row.first_response_due_at = _due(clocks, Clock.FIRST_RESPONSE)
    row.next_response_due_at = _due(clocks, Clock.NEXT_RESPONSE)
    row.resolution_due_at = _due(clocks, Clock.RESOLUTION)
    if row.paused_at is not None:
        # Paused: the due times stay visible, but nothing runs, sorts or escalates.
        row.warn_at = row.check_at = None
        _set_due(ticket, None)
        return Evaluation(row, policy, [], [])
    pending = pending_stages(ticket, policy, clocks)
    row.warn_at = min((c.warn_at for c in clocks), default=None)
    row.check_at = min((s.at for s in pending), default=None)
    _set_due(ticket, min((c.due_at for c in clocks), default=None))
    return Evaluation(row, policy, clocks, pending)


def _stop(ticket: Ticket, row: TicketSla) -> None:
    row.first_response_due_at = row.next_response_due_at = row.resolution_due_at = None
    row.warn_at = row.check_at = None
    _restart_next_response(row, None)
    _set_due(ticket, None)


def _set_due(ticket: Ticket, due_at: datetime | None) -> None:
    if ticket.due_at != due_at:
        ticket.due_at = due_at


def _due(clocks: list[RunningClock], which: Clock) -> datetime | None:
    return next((c.due_at for c in clocks if c.clock == which), None)


def _track_pause(ticket: Ticket, row: TicketSla, policy: SlaPolicy,
                 calendar: BusinessCalendar, now: datetime) -> None:
    """Start or end a pause; an ended pause counts for each clock from that clock's start."""
    paused = ticket.status.value in (policy.pause_statuses or [])
    if paused and row.paused_at is None:
        row.paused_at = now
    elif not paused and row.paused_at is not None:
        row.paused_minutes = (row.paused_minutes or 0.0) + calendar.minutes_between(
            row.paused_at, now)
        if row.next_response_started_at is not None:
            since = max(row.paused_at, row.next_response_started_at)
            row.next_response_paused_minutes = (
                (row.next_response_paused_minutes or 0.0)
                + calendar.minutes_between(since, now))
        row.paused_at = None


def _restart_next_response(row: TicketSla, started_at: datetime | None) -> None:
    """A different start (a new exchange, or none) is a new clock: no paused minutes yet."""
    if row.next_response_started_at != started_at:
        row.next_response_started_at = started_at
        row.next_response_paused_minutes = 0.0


def next_response_start(ticket: Ticket) -> datetime | None:
    """When the next-response clock started: none before our first reply (first response
    runs then), else the first customer message after our last reply."""
    if ticket.first_response_at is None:
        return None
    return unanswered_since(ticket.id)


def running_clocks(ticket: Ticket, row: TicketSla, policy: SlaPolicy,
                   calendar: BusinessCalendar) -> list[RunningClock]:
    """The clocks that run for the ticket now, with their warning and due moments.

    The next-response clock runs from `row.next_response_started_at`, which
    `evaluate()` keeps current."""
    offset = row.paused_minutes or 0.0
    clocks = []

    def clock(which: Clock, start: datetime, minutes: float, extra: float) -> RunningClock:
        return RunningClock(which, start,
                            calendar.add(start, minutes * policy.warn_share + extra),
                            calendar.add(start, minutes + extra))

    if ticket.first_response_at is None:
        clocks.append(clock(Clock.FIRST_RESPONSE, ticket.created_at,
                            policy.first_response_minutes, offset))
    elif row.next_response_started_at is not None:
        clocks.append(clock(Clock.NEXT_RESPONSE, row.next_response_started_at,
                            policy.next_response_minutes,
                            row.next_response_paused_minutes or 0.0))
    clocks.append(clock(Clock.RESOLUTION, ticket.created_at, policy.resolution_minutes, offset))
    return clocks


def unanswered_since(ticket_id: int) -> datetime | None:
    """The first customer message after our last reply, if any waits for an answer."""
    last_reply = (
        sa.select(sa.func.max(Message.created_at))
        .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.REPLY)
        .scalar_subquery()
    )
    return db.session.scalar(
        sa.select(sa.func.min(Message.created_at)).where(
            Message.ticket_id == ticket_id,
            Message.kind == MessageKind.INBOUND,
            sa.or_(last_reply.is_(None), Message.created_at > last_reply),
        )
    )


def stages(policy: SlaPolicy, clocks: list[RunningClock]) -> list[Stage]:
    """Every warning and level of every running clock, in time order."""
    found = []
    for c in clocks:
        found.append(Stage(c.clock, c.started_at, 0, c.warn_at))
        for level in range(1, policy.max_level + 1):
            at = c.due_at + timedelta(minutes=policy.repeat_minutes * (level - 1))
            found.append(Stage(c.clock, c.started_at, level, at))
    return sorted(found, key=lambda s: s.at)


def pending_stages(ticket: Ticket, policy: SlaPolicy,
                   clocks: list[RunningClock]) -> list[Stage]:
    """Stages not yet recorded as escalations (so not yet notified)."""
    done = {
        (clock, started_at, level)
        for clock, started_at, level in db.session.execute(
            sa.select(Escalation.clock, Escalation.clock_started_at, Escalation.level).where(
                Escalation.ticket_id == ticket.id, Escalation.policy_id == policy.id))
    }
    return [s for s in stages(policy, clocks)
            if (s.clock.value, s.started_at, s.level) not in done]


def breached(row: TicketSla | None, now: datetime | None = None) -> list[str]:
    """Names of the running clocks whose due time has passed."""
    if row is None or row.paused_at is not None:
        return []
    now = now or utcnow()
    return [
        clock.value
        for clock, due in ((Clock.FIRST_RESPONSE, row.first_response_due_at),
                           (Clock.NEXT_RESPONSE, row.next_response_due_at),
                           (Clock.RESOLUTION, row.resolution_due_at))
        if due is not None and due <= now
    ]

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

When a clock stops (the first reply, a reply to a waiting customer, resolving),
`settle_stopped_clocks()` records on the row whether it met its target, judged
by the same rule as the badge (`breached()`: the due time has come). The reports
read those outcomes (`clock_outcomes()`), so the two can never disagree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.extensions import db
from desk.models import (
    Clock,
    ClockOutcome,
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


_NEW_ROWS = "desk.sla_new_rows"


def sla_row(ticket: Ticket) -> TicketSla:
    """The ticket's SLA row: one made in this unit of work and not yet flushed (the
    identity map does not hold those), the stored one, or a new one."""
    row = db.session.info.get(_NEW_ROWS, {}).get(ticket.id)
    if row is None:
        row = db.session.get(TicketSla, ticket.id)
    if row is None:
        row = new_sla_row(ticket.id)
    return row


def new_sla_row(ticket_id: int) -> TicketSla:
    """A ticket's first SLA row. It is written with the next flush, complete: an intake
    batch computes the clocks of its new tickets before anything is sent, so no UPDATE
    follows the INSERT."""
    row = TicketSla(ticket_id=ticket_id, paused_minutes=0.0)
    db.session.add(row)
    db.session.info.setdefault(_NEW_ROWS, {})[ticket_id] = row
    return row


@sa.event.listens_for(Session, "after_flush_postexec")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_new_rows(session: Session, *_args: object) -> None:
    # Flushed rows are in the identity map now; rolled back ones are gone.
    session.info.pop(_NEW_ROWS, None)


@dataclass
class Evaluation:
    """A ticket's clocks as just recomputed, and the stages not yet raised."""

    row: TicketSla
    policy: SlaPolicy | None
    clocks: list[RunningClock]
    pending: list[Stage]


# The clock stages escalated already, by ticket: (policy id, clock, clock start, level).
RecordedStages = dict[int, set[tuple[int | None, str, datetime, int]]]


def recompute(ticket: Ticket, now: datetime | None = None,
              policies: list[SlaPolicy] | None = None,
              recorded: RecordedStages | None = None) -> TicketSla:
    """Bring the ticket's clocks up to date with its status, messages and policy."""
    return evaluate(ticket, now or utcnow(), policies, recorded).row


def evaluate(ticket: Ticket, now: datetime, policies: list[SlaPolicy] | None = None,
             recorded: RecordedStages | None = None,
             row: TicketSla | None = None) -> Evaluation:
    """Recompute the ticket's clocks; `policies` (in order) and `recorded`
    (recorded_stages() of many tickets) save two queries per ticket. `row` stands in
    for the ticket's SLA row (set_opening_due_at)."""
    row = sla_row(ticket) if row is None else row
    policy = matching_policy(ticket, policies)
    if row.policy_id != (policy.id if policy else None):
        row.policy_id = policy.id if policy else None
        row.policy = policy
    row.updated_at = now
    if policy is None:
        _stop(ticket, row)
        return Evaluation(row, policy, [], [])
    calendar = calendar_of(policy)
    if ticket.status in STOPPED:
        settle_stopped_clocks(ticket, row, policy, calendar, None, now)
        _stop(ticket, row)
        return Evaluation(row, policy, [], [])
    # The pause that ends now belongs to the next-response clock that ran until now;
    # when a customer message restarts the clock (and so ends a pause on us waiting
    # for them), the new clock starts with no paused minutes. The clock that ran until
    # now is settled first, while the row still describes it.
    _track_pause(ticket, row, policy, calendar, now)
    next_start = next_response_start(ticket)
    settle_stopped_clocks(ticket, row, policy, calendar, next_start, now)
    _restart_next_response(row, next_start)
    clocks = running_clocks(ticket, row, policy, calendar)
    row.first_response_due_at = _due(clocks, Clock.FIRST_RESPONSE)
    row.next_response_due_at = _due(clocks, Clock.NEXT_RESPONSE)
    row.resolution_due_at = _due(clocks, Clock.RESOLUTION)
    if row.paused_at is not None:
        # Paused: the due times stay visible, but nothing runs, sorts or escalates.
        row.warn_at = row.check_at = None
        _set_due(ticket, None)
        return Evaluation(row, policy, [], [])
    pending = pending_stages(ticket, policy, clocks, recorded)
    row.warn_at = min((c.warn_at for c in clocks), default=None)
    row.check_at = min((s.at for s in pending), default=None)
    _set_due(ticket, min((c.due_at for c in clocks), default=None))
    return Evaluation(row, policy, clocks, pending)


def set_opening_due_at(ticket: Ticket, now: datetime, policies: list[SlaPolicy]) -> None:
    """Give a ticket that is not stored yet the due time evaluate() would: intake writes it
    with the ticket's INSERT, so the queue's many indexes are not written twice. The same
    evaluate(), on an SLA row that never joins the session."""
    evaluate(ticket, now, policies, recorded={}, row=TicketSla(paused_minutes=0.0))


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


def settle_stopped_clocks(ticket: Ticket, row: TicketSla, policy: SlaPolicy,
                          calendar: BusinessCalendar, next_start: datetime | None,
                          now: datetime) -> None:
    """Record met or breached for each clock that stopped since the last recompute.

    `next_start` is the start of the next-response clock running from now on (None:
    none runs); `row` still holds what ran before.
    Each clock is judged at the moment it stopped against its due time then (the
    target plus the business minutes paused until that moment). Spam has no
    service level: nothing is recorded for it.
    """
    if ticket.status == Status.SPAM:
        return
    before = _outcomes_of(row)
    _settle(ticket, row, policy, calendar, next_start, now)
    if _outcomes_of(row) != before:
        row.settled_at = now


def _outcomes_of(row: TicketSla) -> tuple:
    return (row.first_response_outcome, row.resolution_outcome, row.next_response_met,
            row.next_response_breached)


def _settle(ticket: Ticket, row: TicketSla, policy: SlaPolicy, calendar: BusinessCalendar,
            next_start: datetime | None, now: datetime) -> None:
    resolved = ticket.status == Status.RESOLVED
    stopped_at = (ticket.resolved_at or now) if resolved else now

    def judged(start: datetime, minutes: float, paused: float, at: datetime) -> ClockOutcome:
        due = calendar.add(start, minutes + paused)
        return ClockOutcome.BREACHED if due <= at else ClockOutcome.MET

    if row.first_response_outcome is None:
        if ticket.first_response_at is not None:
            at = ticket.first_response_at
            row.first_response_outcome = judged(
                ticket.created_at, policy.first_response_minutes,
                _paused_minutes_until(row, calendar, at), at)
        elif resolved:
            # Closed without a reply: only a target already missed by then counts.
            outcome = judged(ticket.created_at, policy.first_response_minutes,
                             _paused_minutes_until(row, calendar, stopped_at), stopped_at)
            if outcome == ClockOutcome.BREACHED:
                row.first_response_outcome = outcome
    _settle_next_response(ticket, row, policy, calendar, next_start, resolved, stopped_at)
    if resolved:
        if row.resolution_outcome is None:
            row.resolution_outcome = judged(
                ticket.created_at, policy.resolution_minutes,
                _paused_minutes_until(row, calendar, stopped_at), stopped_at)
    elif row.resolution_outcome is not None:
        row.resolution_outcome = None  # reopened: the resolution clock runs again


def _settle_next_response(ticket: Ticket, row: TicketSla, policy: SlaPolicy,
                          calendar: BusinessCalendar, next_start: datetime | None,
                          resolved: bool, stopped_at: datetime) -> None:
    """Count the next-response clock that ran until now, if it stopped: once per exchange."""
    started = row.next_response_started_at
    if started is None or started == next_start:
        return
    # Its target plus the business minutes it stood paused (desk.sla: pauses per clock).
    due = calendar.add(started, policy.next_response_minutes
                       + (row.next_response_paused_minutes or 0.0))
    answered_at = db.session.scalar(
        sa.select(sa.func.min(Message.created_at)).where(
            Message.ticket_id == ticket.id, Message.kind == MessageKind.REPLY,
            Message.created_at >= started))
    if answered_at is not None:
        if due <= answered_at:
            row.next_response_breached = (row.next_response_breached or 0) + 1
        else:
            row.next_response_met = (row.next_response_met or 0) + 1
    elif resolved and due <= stopped_at:
        # Resolved without answering: a missed target stays missed; a kept one is no answer.
        row.next_response_breached = (row.next_response_breached or 0) + 1


def _paused_minutes_until(row: TicketSla, calendar: BusinessCalendar, at: datetime) -> float:
    """Business minutes the clocks stood still before `at` (a pause still on counts to `at`)."""
    paused = row.paused_minutes or 0.0
    if row.paused_at is not None and row.paused_at < at:
        paused += calendar.minutes_between(row.paused_at, at)
    return paused


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


def pending_stages(ticket: Ticket, policy: SlaPolicy, clocks: list[RunningClock],
                   recorded: RecordedStages | None = None) -> list[Stage]:
    """Stages not yet recorded as escalations (so not yet notified)."""
    if recorded is None:
        recorded = recorded_stages({ticket.id})
    done = {(clock, started_at, level)
            for policy_id, clock, started_at, level in recorded.get(ticket.id, ())
            if policy_id == policy.id}
    return [s for s in stages(policy, clocks)
            if (s.clock.value, s.started_at, s.level) not in done]


def recorded_stages(ticket_ids: set[int]) -> RecordedStages:
    """The clock stages escalated already, of many tickets in one query (an intake batch
    recomputes hundreds of tickets)."""
    found: RecordedStages = {}
    rows = db.session.execute(
        sa.select(Escalation.ticket_id, Escalation.policy_id, Escalation.clock,
                  Escalation.clock_started_at, Escalation.level)
        .where(Escalation.ticket_id.in_(ticket_ids)))
    for ticket_id, policy_id, clock, started_at, level in rows:
        found.setdefault(ticket_id, set()).add((policy_id, clock, started_at, level))
    return found


class ClockTimes(Protocol):
    """What `breached()` and `clock_outcomes()` read: a TicketSla, or a row selected from it."""

    policy_id: int | None
    paused_at: datetime | None
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None


class ClockRecord(ClockTimes, Protocol):
    first_response_outcome: ClockOutcome | None
    resolution_outcome: ClockOutcome | None
    next_response_met: int | None
    next_response_breached: int | None


def breached(row: ClockTimes | None, now: datetime | None = None) -> list[str]:
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


@dataclass(frozen=True)
class Outcomes:
    """A ticket's clocks as the reports count them, at a moment.

    first_response, resolution: "met" or "breached" (recorded when the clock
    stopped, or breached while running past its due time, as the badge shows),
    "running", or None (no target). next_met / next_breached count the
    next-response clocks, a running one past due included. `recheck_at`: when the
    next running clock comes due, after which these numbers change by themselves.
    """

    first_response: str | None = None
    resolution: str | None = None
    next_met: int = 0
    next_breached: int = 0
    recheck_at: datetime | None = None


def clock_outcomes(row: ClockRecord | None, now: datetime) -> Outcomes:
    """How each of the ticket's clocks counts at `now`, by the badge's own rule."""
    if row is None or row.policy_id is None:
        return Outcomes()
    late = breached(row, now)

    def outcome(recorded: ClockOutcome | None, clock: Clock, due: datetime | None) -> str | None:
        if recorded is not None:
            return recorded.value
        if clock.value in late:
            return ClockOutcome.BREACHED.value
        return "running" if due is not None else None

    upcoming = [due for due in (row.first_response_due_at, row.next_response_due_at,
                                row.resolution_due_at) if due is not None and due > now]
    return Outcomes(
        first_response=outcome(row.first_response_outcome, Clock.FIRST_RESPONSE,
                               row.first_response_due_at),
        resolution=outcome(row.resolution_outcome, Clock.RESOLUTION, row.resolution_due_at),
        next_met=row.next_response_met or 0,
        next_breached=(row.next_response_breached or 0)
        + (1 if Clock.NEXT_RESPONSE.value in late else 0),
        recheck_at=min(upcoming) if upcoming and row.paused_at is None else None,
    )

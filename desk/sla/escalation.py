"""Escalation: the sweep over due clocks, manual escalation, acknowledging and lowering.

Every escalation row is unique per (ticket, policy, clock, clock start, level).
The sweep inserts with ON CONFLICT DO NOTHING, so of two sweeps racing on the
same ticket (or one re-run after a crash) exactly one insert happens, and only
that one raises the level, the priority and notifies.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from desk import audit, events
from desk.commits import commit, savepoint, send_after_commit
from desk.errors import Forbidden, Invalid
from desk.extensions import db
from desk.models import (
    OPEN_STATUSES,
    Escalation,
    EscalationKind,
    Person,
    Priority,
    Role,
    SlaPolicy,
    Ticket,
    TicketSla,
    utcnow,
)
from desk.models.base import dialect_insert
from desk.sla.clocks import evaluate
from desk.sla.policies import list_policies
from desk.tickets import change

log = logging.getLogger(__name__)
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
SWEEP_BATCH = 500
MAX_BATCHES = 20  # a sweep handles at most 10,000 due tickets; the next takes the rest


@dataclass
class SweepReport:
    checked: int = 0
    raised: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"checked {self.checked} tickets, raised {len(self.raised)} escalations, "
                 f"{len(self.failed)} failed"]
        lines += self.raised + [f"failed: {failure}" for failure in self.failed]
        return lines


def due_ticket_ids(now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Tickets with something due: one range scan on the partial index over check_at."""
    return list(db.session.scalars(
        sa.select(TicketSla.ticket_id)
        .where(TicketSla.check_at.is_not(None), TicketSla.check_at <= now)
        .order_by(TicketSla.check_at)
        .limit(limit)
    ))


def sweep(now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepReport:
    """Raise every warning and level that is due, in one transaction.

    The due tickets go through desk.sla.sweep in bulk; those that need more (a
    policy change, reassignment, a status that stops the clocks) one at a time here,
    each in its own savepoint. A ticket that fails is reported and, unless the
    database itself refused, parked until its next change, so it cannot fail every
    minute; the others go on.
    """
    now = now or utcnow()
    report = SweepReport()
    for _ in range(MAX_BATCHES):
        checked = _sweep_batch(now, limit, report)
        if checked < limit:
            break
    return report


def _sweep_batch(now: datetime, limit: int, report: SweepReport) -> int:
    """One batch of due tickets, committed; returns how many were due in it."""
    from desk.sla.sweep import run_batch

    write_transaction()
    policies = list_policies()
    checked, raised, slow, failed = run_batch(now, limit, policies)
    report.checked += checked
    report.raised += raised
    for ticket_id, exc in failed:
        log.error("SLA sweep failed for ticket %s: %s", ticket_id, exc)
        report.failed.append(f"ticket {ticket_id}: {exc}"[:300])
        _park(ticket_id)
    for ticket_id in slow:
        try:
            with savepoint():
                report.raised += sweep_ticket(ticket_id, now, policies)
        except sa.exc.DBAPIError as exc:  # a lock or a lost connection: the next sweep retries
            log.warning("SLA sweep skipped ticket %s: %s", ticket_id, exc)
            report.failed.append(f"ticket {ticket_id}: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 - one broken ticket never stops the others
            log.exception("SLA sweep failed for ticket %s", ticket_id)
            report.failed.append(f"ticket {ticket_id}: {exc}"[:300])
            _park(ticket_id)
    commit()
    return checked


def _park(ticket_id: int) -> None:
    """Take a ticket whose sweep failed out of the sweep until its next change."""
    db.session.execute(sa.update(TicketSla).where(TicketSla.ticket_id == ticket_id)
                       .values(check_at=None))


def write_transaction() -> None:
    # SQLite: begin as a writer, or a read followed by a write fails on a busy database.
    session = db.session()
    if not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("BEGIN IMMEDIATE"))


def sweep_ticket(ticket_id: int, now: datetime,
                 policies: list[SlaPolicy] | None = None) -> list[str]:
    """Raise what is due for one ticket; returns a line per escalation raised."""
    ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        return []
    found = evaluate(ticket, now, policies)
    policy = found.policy
    if policy is None or ticket.status not in OPEN_STATUSES or found.row.paused_at is not None:
        return []
    priority = ticket.priority
    raised = []
    for stage in found.pending:
        if stage.at > now:
            break
        kind = EscalationKind.WARNING if stage.level == 0 else EscalationKind.BREACH
        reason = _stage_reason(stage.clock.value, stage.level)
        escalation_id = _insert_once(ticket, policy, stage.clock.value, stage.started_at,
                                     stage.level, kind, reason, now)
        if escalation_id is None:
            continue  # another sweep raised it first
        if stage.level > 0:
            ticket = _raise_ticket(ticket, policy, stage.level)
        _announce(ticket, escalation_id, stage.level, kind, stage.clock.value, reason,
                  policy.escalate_to_id)
        raised.append(f"ticket {ticket.id}: {kind.value} {stage.clock.value} level {stage.level}")
    if ticket.priority != priority:
        evaluate(ticket, now, policies)  # a higher priority may fall under another policy
    else:
        found.row.check_at = min((s.at for s in found.pending if s.at > now), default=None)
    return raised


def _stage_reason(clock: str, level: int) -> str:
    name = clock.replace("_", " ")
    if level == 0:
        return f"{name} due soon"
    return f"{name} breached" + (f" (level {level})" if level > 1 else "")


def _insert_once(ticket: Ticket, policy: SlaPolicy | None, clock: str,
                 started_at: datetime | None, level: int, kind: EscalationKind, reason: str,
                 now: datetime, raised_by: Person | None = None) -> int | None:
    """Insert the escalation unless it exists; its id, or None when it existed."""
    values = {
        "ticket_id": ticket.id, "policy_id": policy.id if policy else None, "clock": clock,
        "clock_started_at": started_at, "level": level, "kind": kind, "reason": reason[:500],
        "raised_by_id": raised_by.id if raised_by else None,
        "notify_id": policy.escalate_to_id if policy else None, "created_at": now,
    }
    statement = (dialect_insert(Escalation).values(**values).on_conflict_do_nothing()
                 .returning(Escalation.id))
    return db.session.scalar(statement)


def _raise_ticket(ticket: Ticket, policy: SlaPolicy, level: int) -> Ticket:
    """A breach level: the ticket's level up to it, priority one step up, maybe reassign."""
    values: dict = {}
    if ticket.escalation_level < level:
        values["escalation_level"] = level
    higher = _one_up(ticket.priority)
    if higher != ticket.priority:
        values["priority"] = higher
    if policy.reassign and policy.escalate_to_id and level >= 2 \
            and ticket.assignee_id != policy.escalate_to_id:
        values["assignee_id"] = policy.escalate_to_id
    if not values:
        return ticket
    ticket = change(ticket.id, values)
    audit.record("ticket.escalated", None, ticket.id, level=level,
                 **{k: v for k, v in values.items() if k != "escalation_level"})
    send_after_commit(events.ticket_updated, ticket_id=ticket.id, team_id=ticket.team_id,
                      changes={k: getattr(v, "value", v) for k, v in values.items()},
                      version=ticket.version)
    return ticket


def _one_up(priority: Priority) -> Priority:
    index = PRIORITY_ORDER.index(priority)
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]


def _announce(ticket: Ticket, escalation_id: int, level: int, kind: EscalationKind, clock: str,
              reason: str, notify_id: int | None) -> None:
    send_after_commit(events.escalation_raised, ticket_id=ticket.id, team_id=ticket.team_id,
                      escalation_id=escalation_id, level=level, kind=kind.value, clock=clock,
                      reason=reason, notify_id=notify_id)


def escalate(person: Person, ticket_id: int, reason: str) -> Escalation:
    """Raise a ticket one level by hand, with a reason everyone sees."""
    from desk.inbox.service import get_ticket

    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise Invalid("give a reason (up to 500 characters)", {"reason": ["required"]})
    ticket = get_ticket(person, ticket_id)
    level = ticket.escalation_level + 1
    now = utcnow()
    ticket = change(ticket.id, {"escalation_level": level})
    escalation = Escalation(ticket_id=ticket.id, clock="manual", clock_started_at=now,
                            level=level, kind=EscalationKind.MANUAL, reason=reason,
                            raised_by_id=person.id, created_at=now)
    db.session.add(escalation)
    db.session.flush()
    audit.record("ticket.escalated", person, ticket.id, level=level, reason=reason)
    _announce(ticket, escalation.id, level, EscalationKind.MANUAL, "manual", reason, None)
    commit()
    return escalation


def escalate_for_risk(ticket: Ticket, reason: str, started_at: datetime) -> None:
    """A very negative post from a high-reach author: level 1 at once, in the caller's unit."""
    escalation_id = _insert_once(ticket, None, "risk", started_at, max(1, ticket.escalation_level),
                                 EscalationKind.RISK, reason, utcnow())
    if escalation_id is None:
        return
    if ticket.escalation_level < 1:
        ticket.escalation_level = 1
    _announce(ticket, escalation_id, ticket.escalation_level, EscalationKind.RISK, "risk",
              reason, None)


RESPONSE_TIMER_REASON = "no answer from the assignee in time"


def escalate_for_response_timer(ticket: Ticket, due_at: datetime) -> None:
    """The team's response timer ran out (desk.assignment.timers raised the level, in the
    caller's unit): the escalation record at that level, announced like a breach."""
    escalation_id = _insert_once(ticket, None, "response", due_at, ticket.escalation_level,
                                 EscalationKind.BREACH, RESPONSE_TIMER_REASON, utcnow())
    if escalation_id is not None:
        _announce(ticket, escalation_id, ticket.escalation_level, EscalationKind.BREACH,
                  "response", RESPONSE_TIMER_REASON, None)


def acknowledge(person: Person, ticket_id: int, de_escalate: bool = False) -> Ticket:
    """A supervisor takes note of the ticket's open escalations; optionally lowers it to 0."""
    from desk.inbox.service import get_ticket

    if not person.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors acknowledge escalations")
    ticket = get_ticket(person, ticket_id)
    now = utcnow()
    db.session.execute(
        sa.update(Escalation)
        .where(Escalation.ticket_id == ticket.id, Escalation.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=person.id)
    )
    if de_escalate and ticket.escalation_level:
        ticket = change(ticket.id, {"escalation_level": 0})
    audit.record("ticket.escalation_acknowledged", person, ticket.id, de_escalate=de_escalate)
    send_after_commit(events.escalation_acknowledged, ticket_id=ticket.id,
                      team_id=ticket.team_id, level=ticket.escalation_level)
    commit()
    return ticket


def open_escalations(ticket_id: int) -> list[Escalation]:
    return list(db.session.scalars(
        sa.select(Escalation).where(Escalation.ticket_id == ticket_id)
        .order_by(Escalation.created_at.desc(), Escalation.id.desc()).limit(20)
    ))

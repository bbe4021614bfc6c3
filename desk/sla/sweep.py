"""The escalation sweep, set-based: a handful of statements per batch of due tickets.

The clocks' due times are kept current on every change (desk.sla.clocks), so
the sweep need not recompute them: it reads the due rows with their tickets in
one query, works out in Python which warnings and levels fell due (a ticket whose
calendar or data fails there is reported and parked, the others go on), inserts
all new escalations in one INSERT ... ON CONFLICT DO NOTHING RETURNING, and
applies levels, priorities, audit entries and the next check times with one
statement each (desk.sla.sweep_writes). Only the escalations the INSERT returned
count: a concurrent or repeated sweep finds its rows taken and does nothing.

Tickets that need more than that (no policy any more, closed, paused, a policy
that no longer matches, reassignment) take the per-ticket path in
desk.sla.escalation.sweep_ticket.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from desk import events
from desk.commits import savepoint, send_after_commit
from desk.extensions import db
from desk.models import (
    OPEN_STATUSES,
    Clock,
    Escalation,
    EscalationKind,
    Priority,
    SlaPolicy,
    Ticket,
    TicketSla,
)
from desk.sla.calendar import BusinessCalendar
from desk.sla.clocks import RunningClock, Stage, stages
from desk.sla.policies import calendar_of, matching_policy
from desk.sla.sweep_writes import insert_escalations, raise_tickets, record_audits, set_checks

log = logging.getLogger(__name__)
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


@dataclass
class Plan:
    """What the sweep will do for one ticket."""

    row: Any  # the selected row (ticket and clock columns)
    policy: SlaPolicy
    due: list[Stage]
    next_check: datetime | None


def due_rows(now: datetime, limit: int) -> list[Any]:
    """Due clock rows with the ticket columns the sweep needs; the partial index finds them."""
    return list(db.session.execute(
        sa.select(
            TicketSla.ticket_id, TicketSla.policy_id, TicketSla.first_response_due_at,
            TicketSla.next_response_due_at, TicketSla.next_response_started_at,
            TicketSla.resolution_due_at, TicketSla.paused_at, TicketSla.paused_minutes,
            TicketSla.next_response_paused_minutes,
            Ticket.status, Ticket.priority, Ticket.escalation_level, Ticket.channel_id,
            Ticket.team_id, Ticket.created_at, Ticket.version, Ticket.assignee_id,
        )
        .join(Ticket, Ticket.id == TicketSla.ticket_id)
        .where(TicketSla.check_at.is_not(None), TicketSla.check_at <= now)
        .order_by(TicketSla.check_at)
        .limit(limit)
    ))


def plan(rows: list[Any], policies: list[SlaPolicy], now: datetime,
         failed: list[tuple[int, Exception]]) -> tuple[list[Plan], list[int]]:
    """Plans for the simple tickets, and the ids that need the per-ticket path."""
    by_id = {policy.id: policy for policy in policies}
    done = _recorded([row.ticket_id for row in rows])
    plans, slow = [], []
    for row in rows:
        policy = by_id.get(row.policy_id)
        if (policy is None or row.status not in OPEN_STATUSES or row.paused_at is not None
                or matching_policy(row, policies) is not policy or policy.reassign):
            slow.append(row.ticket_id)
            continue
        try:
            all_stages = stages(policy, _clocks(row, policy, now))
        except Exception as exc:  # noqa: BLE001 - one broken ticket never stops the others
            failed.append((row.ticket_id, exc))
            continue
        open_stages = [s for s in all_stages
                       if (row.ticket_id, policy.id, s.clock.value, s.started_at, s.level)
                       not in done]
        plans.append(Plan(row, policy, [s for s in open_stages if s.at <= now],
                          min((s.at for s in open_stages if s.at > now), default=None)))
    return plans, slow


def _warning(calendar: BusinessCalendar, start: datetime, minutes: float,
             now: datetime) -> datetime:
    """When a clock's warning falls due; an early bound when that is still in the future.

    Business time never runs faster than the wall clock, so the warning comes no
    sooner than `start + minutes`. While that bound lies ahead, it serves as the
    next check (a little early at worst, and then computed exactly) and the
    calendar is not walked for a target weeks away.
    """
    earliest = start + timedelta(minutes=minutes)
    if earliest > now:
        return earliest
    return calendar.add(start, minutes)


def _clocks(row: Any, policy: SlaPolicy, now: datetime) -> list[RunningClock]:
    """The running clocks from the stored due times; warnings from the calendar."""
    calendar = calendar_of(policy)
    offset = row.paused_minutes or 0.0
    clocks = []
    for clock, start, due, minutes, extra in (
        (Clock.FIRST_RESPONSE, row.created_at, row.first_response_due_at,
         policy.first_response_minutes, offset),
        (Clock.NEXT_RESPONSE, row.next_response_started_at, row.next_response_due_at,
         policy.next_response_minutes, row.next_response_paused_minutes or 0.0),
        (Clock.RESOLUTION, row.created_at, row.resolution_due_at, policy.resolution_minutes,
         offset),
    ):
        if due is not None and start is not None:
            warn = _warning(calendar, start, minutes * policy.warn_share + extra, now)
            clocks.append(RunningClock(clock, start, warn, due))
    return clocks


def _recorded(ticket_ids: list[int]) -> set[tuple]:
    if not ticket_ids:
        return set()
    return {
        (ticket_id, policy_id, clock, started_at, level)
        for ticket_id, policy_id, clock, started_at, level in db.session.execute(
            sa.select(Escalation.ticket_id, Escalation.policy_id, Escalation.clock,
                      Escalation.clock_started_at, Escalation.level)
            .where(Escalation.ticket_id.in_(ticket_ids), Escalation.policy_id.is_not(None)))
    }


def apply(plans: list[Plan], now: datetime,
          policies: list[SlaPolicy]) -> tuple[list[str], list[int]]:
    """Insert the escalations and apply their effects; the lines raised, and the ids of
    tickets whose new priority may fall under another policy (recompute them)."""
    raised: list[str] = []
    inserted = _insert(plans, now)
    by_ticket: dict[int, list[Any]] = defaultdict(list)
    for row in inserted:
        by_ticket[row.ticket_id].append(row)
    updates, audits, rematch = [], [], []
    for item in plans:
        new = sorted(by_ticket.get(item.row.ticket_id, []), key=lambda r: (r.level, r.id))
        breaches = [r for r in new if r.level > 0]
        for r in new:
            kind = EscalationKind.WARNING if r.level == 0 else EscalationKind.BREACH
            raised.append(f"ticket {item.row.ticket_id}: {kind.value} {r.clock} level {r.level}")
            send_after_commit(events.escalation_raised, ticket_id=item.row.ticket_id,
                              team_id=item.row.team_id, escalation_id=r.id, level=r.level,
                              kind=kind.value, clock=r.clock, reason=r.reason,
                              notify_id=item.policy.escalate_to_id)
        if not breaches:
            continue
        level = max(item.row.escalation_level, max(r.level for r in breaches))
        rank = min(PRIORITY_ORDER.index(item.row.priority) + len(breaches),
                   len(PRIORITY_ORDER) - 1)
        priority = PRIORITY_ORDER[rank]
        updates.append({"b_id": item.row.ticket_id, "b_level": level, "b_priority": priority})
        audits.append({"action": "ticket.escalated", "actor_id": None,
                       "ticket_id": item.row.ticket_id, "created_at": now,
                       "data": {"level": level, "priority": priority.value}})
        changes = {"escalation_level": level, "priority": priority.value}
        send_after_commit(events.ticket_updated, ticket_id=item.row.ticket_id,
                          team_id=item.row.team_id, changes=changes,
                          version=item.row.version + 1)
        if priority != item.row.priority:
            candidate = SimpleNamespace(priority=priority, channel_id=item.row.channel_id)
            if matching_policy(candidate, policies) is not item.policy:
                rematch.append(item.row.ticket_id)
    raise_tickets(updates, now)
    record_audits(audits)
    set_checks([(item.row.ticket_id, item.next_check) for item in plans])
    return raised, rematch


def _insert(plans: list[Plan], now: datetime) -> list[Any]:
    return insert_escalations([
        {"ticket_id": item.row.ticket_id, "policy_id": item.policy.id, "clock": s.clock.value,
         "clock_started_at": s.started_at, "level": s.level,
         "kind": EscalationKind.WARNING if s.level == 0 else EscalationKind.BREACH,
         "reason": _reason(s), "raised_by_id": None, "notify_id": item.policy.escalate_to_id,
         "created_at": now}
        for item in plans for s in item.due
    ])


def _reason(stage: Stage) -> str:
    name = stage.clock.value.replace("_", " ")
    if stage.level == 0:
        return f"{name} due soon"
    return f"{name} breached" + (f" (level {stage.level})" if stage.level > 1 else "")


def run_batch(now: datetime, limit: int, policies: list[SlaPolicy]
              ) -> tuple[int, list[str], list[int], list[tuple[int, Exception]]]:
    """One batch: (checked, lines raised, ids for the per-ticket path, failures)."""
    rows = due_rows(now, limit)
    failed: list[tuple[int, Exception]] = []
    plans, slow = plan(rows, policies, now, failed)
    try:
        with savepoint():
            raised, rematch = apply(plans, now, policies)
    except sa.exc.DBAPIError as exc:
        # A row vanished or a constraint said no: the per-ticket path isolates the culprit.
        log.warning("bulk SLA sweep fell back to one ticket at a time: %s", exc)
        return len(rows), [], slow + [item.row.ticket_id for item in plans], failed
    return len(rows), raised, slow + rematch, failed

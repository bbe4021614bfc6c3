"""SLA facts as plain values, for the API and the pages."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from desk.extensions import db
from desk.models import Alert, Escalation, SlaPolicy, Ticket, TicketSla, utcnow
from desk.sla.clocks import breached, clock_outcomes


def sla_json(row: TicketSla | None, now: datetime | None = None) -> dict[str, Any]:
    """The "sla" object of a ticket; a ticket no policy matches has no clock (all null)."""
    if row is None or row.policy_id is None:
        return {"policy": None, "first_response_due_at": None, "next_response_due_at": None,
                "resolution_due_at": None, "breached": [], "paused": False, "warn_at": None,
                "outcomes": outcomes_json(None)}
    return {
        "policy": row.policy.name if row.policy else None,
        "first_response_due_at": row.first_response_due_at,
        "next_response_due_at": row.next_response_due_at,
        "resolution_due_at": row.resolution_due_at,
        "breached": breached(row, now),
        "paused": row.paused_at is not None,
        "warn_at": row.warn_at,
        "outcomes": outcomes_json(row, now),
    }


def outcomes_json(row: TicketSla | None, now: datetime | None = None) -> dict[str, Any]:
    """Each clock as the reports count it: met, breached, running or null; next response
    as counts of answered exchanges (a waiting customer past due counts as breached)."""
    found = clock_outcomes(row, now or utcnow())
    return {"first_response": found.first_response,
            "next_response": {"met": found.next_met, "breached": found.next_breached},
            "resolution": found.resolution}


def rows_for(ticket_ids: Iterable[int]) -> dict[int, TicketSla]:
    ids = list(ticket_ids)
    if not ids:
        return {}
    return {row.ticket_id: row for row in db.session.scalars(
        sa.select(TicketSla).where(TicketSla.ticket_id.in_(ids)))}


def ticket_facts(ticket: Ticket, row: TicketSla | None = None) -> dict[str, Any]:
    """The SLA fields every ticket carries in the API."""
    if row is None:
        row = db.session.get(TicketSla, ticket.id)
    return {
        "sla": sla_json(row),
        "escalation_level": ticket.escalation_level,
        "sentiment": ticket.sentiment,
        "priority_reason": row.priority_reason if row else None,
    }


def urgency(row: TicketSla | None, now: datetime | None = None) -> str:
    """A colour class: none, ok, warning (past the warning share), breached, paused."""
    if row is None or row.policy_id is None:
        return "none"
    if row.paused_at is not None:
        return "paused"
    now = now or utcnow()
    if breached(row, now):
        return "breached"
    if row.warn_at is not None and row.warn_at <= now:
        return "warning"
    return "ok"


def countdown_state(due_at: datetime, warn_at: datetime | None, now: datetime) -> str:
    """The colour of one countdown to `due_at`: ok, warning (past the warning share) or
    breached. Queue rows (desk.inbox.rows) and sla/_macros.html's sla_countdown show it."""
    if due_at <= now:
        return "breached"
    return "warning" if warn_at is not None and warn_at <= now else "ok"


def policy_json(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "id": policy.id, "name": policy.name, "position": policy.position,
        "priority": policy.priority.value if policy.priority else None,
        "channel": policy.channel.slug if policy.channel else None,
        "first_response_minutes": policy.first_response_minutes,
        "next_response_minutes": policy.next_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "calendar": policy.calendar, "pause_statuses": policy.pause_statuses,
        "warn_share": policy.warn_share, "repeat_minutes": policy.repeat_minutes,
        "max_level": policy.max_level,
        "escalate_to": _email(policy.escalate_to_id), "reassign": policy.reassign,
    }


def _email(person_id: int | None) -> str | None:
    from desk.models import Person

    if person_id is None:
        return None
    person = db.session.get(Person, person_id)
    return person.email if person else None


def escalation_json(escalation: Escalation) -> dict[str, Any]:
    return {
        "id": escalation.id, "ticket_id": escalation.ticket_id, "level": escalation.level,
        "kind": escalation.kind.value, "clock": escalation.clock, "reason": escalation.reason,
        "created_at": escalation.created_at, "acknowledged_at": escalation.acknowledged_at,
    }


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id, "channel": alert.channel.slug, "topic": alert.topic or None,
        "window_start": alert.window_start, "count": alert.count,
        "baseline_mean": alert.baseline_mean, "baseline_std": alert.baseline_std,
        "message_ids": alert.message_ids, "created_at": alert.created_at,
        "acknowledged_at": alert.acknowledged_at,
    }


def sla_panel(ticket: Ticket) -> dict[str, Any]:
    """What the ticket page shows about SLA: clocks, colour, escalations, risk."""
    from desk.sla.escalation import open_escalations

    row = db.session.get(TicketSla, ticket.id)
    now = utcnow()
    clocks = []
    if row is not None and row.policy_id is not None:
        clocks = [(name, due) for name, due in (
            ("first_response", row.first_response_due_at),
            ("next_response", row.next_response_due_at),
            ("resolution", row.resolution_due_at)) if due is not None]
    escalations = open_escalations(ticket.id)
    found = clock_outcomes(row, now)
    settled = [(name, outcome) for name, outcome in (
        ("first_response", found.first_response), ("resolution", found.resolution))
        if outcome in ("met", "breached")]
    return {
        "row": row, "now": now, "clocks": clocks, "urgency": urgency(row, now),
        "outcomes": settled, "next_met": found.next_met, "next_breached": found.next_breached,
        "breached": breached(row, now) if row else [],
        "policy": row.policy.name if row is not None and row.policy else None,
        "escalations": escalations,
        "unacknowledged": any(e.acknowledged_at is None for e in escalations),
        "reason": row.priority_reason if row else None,
    }


def alert_messages(alert: Alert, limit: int = 20) -> list[Any]:
    """The messages behind an alert, with their tickets, newest first."""
    from desk.models import Message

    ids = list(alert.message_ids or [])[:limit]
    if not ids:
        return []
    return list(db.session.execute(
        sa.select(Message.id, Message.ticket_id, Message.body_text, Message.created_at)
        .where(Message.id.in_(ids)).order_by(Message.created_at.desc())))

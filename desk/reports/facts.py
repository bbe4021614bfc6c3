"""What one ticket contributes to the reports: pure functions over plain values.

`ticket_facts` turns a ticket's columns (plus its reopen count and topic) into
one `report_ticket_facts` row; `sla_outcomes` is the one place that decides
whether a ticket met its targets (see its docstring for what changes when the
SLA clocks land).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from desk.reports.calendar import BusinessCalendar, business_seconds, parse_calendar

MET, BREACHED, RUNNING = "met", "breached", "running"


@dataclass(frozen=True)
class TicketTimes:
    """The columns of a ticket the reports read (a row of a narrow SELECT)."""

    id: int
    channel_id: int
    team_id: int | None
    assignee_id: int | None
    status: str
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    due_at: datetime | None
    escalation_level: int
    sentiment: float | None


def desk_calendar() -> BusinessCalendar:
    """The deployment's business calendar, from configuration."""
    config = current_app.config
    return parse_calendar(config["DESK_BUSINESS_HOURS"], config["DESK_TIMEZONE"],
                          config["DESK_HOLIDAYS"])


def local_day(moment: datetime, timezone: ZoneInfo) -> date:
    return moment.astimezone(timezone).date()


def sla_outcomes(ticket: TicketTimes, now: datetime) -> tuple[str | None, str | None]:
    """(first-response outcome, resolution outcome): met, breached, running or None.

    For now a ticket holds one target, `due_at`, and it is read as the first
    response target: met when the first reply came by then, breached when it
    came later or has not come and the time has passed. There is no resolution
    target yet (None). When the SLA clocks land (issue 7), this function reads
    each clock's target and pause-adjusted stop time instead; nothing else in
    the reports changes.
    """
    if ticket.due_at is None or ticket.status == "spam":
        return None, None
    if ticket.first_response_at is not None:
        first = MET if ticket.first_response_at <= ticket.due_at else BREACHED
    else:
        first = BREACHED if now > ticket.due_at else RUNNING
    return first, None


def ticket_facts(
    ticket: TicketTimes,
    *,
    reopen_count: int,
    topic: str | None,
    now: datetime,
    calendar: BusinessCalendar,
    negative_below: float,
) -> dict[str, Any]:
    """One `report_ticket_facts` row for the ticket, as of `now`."""
    first_response_s = first_response_bh_s = resolution_s = resolution_bh_s = None
    if ticket.first_response_at is not None:
        first_response_s = max(0.0, (ticket.first_response_at - ticket.created_at)
                               .total_seconds())
        first_response_bh_s = business_seconds(ticket.created_at, ticket.first_response_at,
                                               calendar)
    is_resolved = ticket.status == "resolved" and ticket.resolved_at is not None
    if is_resolved:
        assert ticket.resolved_at is not None  # noqa: S101 - checked just above
        resolution_s = max(0.0, (ticket.resolved_at - ticket.created_at).total_seconds())
        resolution_bh_s = business_seconds(ticket.created_at, ticket.resolved_at, calendar)
    sla_first, sla_resolution = sla_outcomes(ticket, now)
    return {
        "ticket_id": ticket.id,
        "day": local_day(ticket.created_at, calendar.timezone),
        "channel_id": ticket.channel_id,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "is_spam": ticket.status == "spam",
        "is_open": ticket.status in ("new", "open", "pending"),
        "is_answered": ticket.first_response_at is not None,
        "is_resolved": is_resolved,
        "first_response_s": first_response_s,
        "first_response_bh_s": first_response_bh_s,
        "resolution_s": resolution_s,
        "resolution_bh_s": resolution_bh_s,
        "reopen_count": reopen_count,
        "is_escalated": ticket.escalation_level > 0,
        "sentiment": ticket.sentiment,
        "is_negative": ticket.sentiment is not None and ticket.sentiment < negative_below,
        "topic": topic,
        "sla_first_response": sla_first,
        "sla_resolution": sla_resolution,
        "sla_due_at": ticket.due_at,
        "refreshed_at": now,
    }


def is_reopen(data: dict[str, Any]) -> bool:
    """An audited status change from resolved (or spam) back to a working status."""
    return data.get("old") in ("resolved", "spam") and data.get("new") in ("new", "open",
                                                                           "pending")

"""What one ticket contributes to the reports: pure functions over plain values.

`ticket_facts` turns a ticket's columns (plus its reopen count and topic) into
one `report_ticket_facts` row. Whether a ticket met its SLA targets is not
decided here: the SLA module records each clock's outcome when it stops, and
`desk.sla.clocks.clock_outcomes` reads them by the rule the ticket's badge uses.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from desk.reports.calendar import BusinessCalendar, business_seconds, parse_calendar
from desk.sla.clocks import ClockRecord, clock_outcomes


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
    escalation_level: int
    sentiment: float | None


def desk_calendar() -> BusinessCalendar:
    """The deployment's business calendar, from configuration."""
    config = current_app.config
    return parse_calendar(config["DESK_BUSINESS_HOURS"], config["DESK_TIMEZONE"],
                          config["DESK_HOLIDAYS"])


def local_day(moment: datetime, timezone: ZoneInfo) -> date:
    return moment.astimezone(timezone).date()


def ticket_facts(
    ticket: TicketTimes,
    *,
    clocks: ClockRecord | None,
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
    # Spam has no service level, whatever its clocks said before it was marked so.
    sla = clock_outcomes(None if ticket.status == "spam" else clocks, now)
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
        "sla_first_response": sla.first_response,
        "sla_resolution": sla.resolution,
        "sla_next_met": sla.next_met,
        "sla_next_breached": sla.next_breached,
        "sla_due_at": sla.recheck_at,
        "refreshed_at": now,
    }


def is_reopen(data: dict[str, Any]) -> bool:
    """An audited status change from resolved (or spam) back to a working status."""
    return data.get("old") in ("resolved", "spam") and data.get("new") in ("new", "open",
                                                                           "pending")

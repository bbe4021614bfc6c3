"""Hooks the other capabilities call in their own unit of work, and risk-based priority.

`ticket_changed()` recomputes the clocks after a status, priority or reply
change; `inbound_messages()` also scores the message, raises the priority by
risk (negative sentiment and the author's reach) and escalates at once when a
very negative post comes from a high-reach author. Both are cheap (a handful of
indexed queries), so they run in the same transaction as the change itself.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from desk.extensions import db
from desk.models import (
    Contact,
    Message,
    MessageScore,
    Priority,
    SlaPolicy,
    Ticket,
    TicketSla,
    utcnow,
)
from desk.sla import clocks, sentiment
from desk.sla.escalation import PRIORITY_ORDER, escalate_for_risk
from desk.sla.policies import list_policies


@dataclass(frozen=True)
class Risk:
    priority: Priority | None  # at least this priority, or None: no change
    reason: str | None
    escalate: bool


def ticket_changed(ticket: Ticket, now: datetime | None = None) -> TicketSla:
    """Recompute the ticket's clocks (status, priority, reply or policy changed)."""
    return clocks.recompute(ticket, now)


def inbound_messages(arrivals: list[tuple[Ticket, Message, Contact]]) -> None:
    """Customer messages joined their tickets: score each, apply risk-based priority,
    then recompute the clocks. Intake hands over a whole batch: the policies and the SLA
    rows are read once, new rows written in one statement, nothing flushed per ticket."""
    policies = list_policies()
    ticket_ids = {ticket.id for ticket, _message, _contact in arrivals}
    # Held here for the loop below: the identity map keeps only what is referenced, and
    # clocks.sla_row() finds these rows there instead of asking the database per ticket.
    rows = list(db.session.scalars(
        sa.select(TicketSla).where(TicketSla.ticket_id.in_(ticket_ids))))
    recorded = clocks.recorded_stages(ticket_ids)
    missing = ticket_ids - {row.ticket_id for row in rows}
    # Made last, after every query: an autoflush would INSERT them before their clocks.
    rows += [clocks.new_sla_row(ticket_id) for ticket_id in sorted(missing)]
    now = utcnow()
    with db.session.no_autoflush:
        for ticket, message, contact in arrivals:
            _inbound_message(ticket, message, contact, now, policies, recorded)


def prepare_new_ticket(ticket: Ticket, text: str, contact: Contact,
                       policies: list[SlaPolicy]) -> None:
    """Give a ticket not stored yet the sentiment, priority and due time inbound_messages()
    will find for its first message: intake writes them with the INSERT, so no UPDATE
    follows (tests/test_intake.py counts the statements)."""
    ticket.sentiment = sentiment.score(text, contact.language)
    ticket.priority = raised_priority(ticket.priority, assess(ticket.sentiment, contact.reach))
    clocks.set_opening_due_at(ticket, utcnow(), policies)


def raised_priority(priority: Priority, risk: Risk) -> Priority:
    """Risk only ever raises a priority."""
    if risk.priority is not None and _rank(risk.priority) > _rank(priority):
        return risk.priority
    return priority


def _inbound_message(ticket: Ticket, message: Message, contact: Contact, now: datetime,
                     policies: list[SlaPolicy], recorded: clocks.RecordedStages) -> None:
    value = sentiment.score(message.body_text, contact.language)
    config = current_app.config
    db.session.add(MessageScore(
        message_id=message.id, channel_id=message.channel_id, sentiment=value,
        is_negative=value <= config["DESK_RISK_NEGATIVE"],
        topics=" ".join(topics_in(message.body_text)), created_at=message.created_at,
    ))
    ticket.sentiment = value
    risk = assess(value, contact.reach)
    row = clocks.sla_row(ticket)
    ticket.priority = raised_priority(ticket.priority, risk)
    if risk.reason:
        row.priority_reason = risk.reason
    if risk.escalate:
        escalate_for_risk(ticket, risk.reason or "risk", message.created_at)
    clocks.recompute(ticket, now, policies, recorded)


def assess(value: float, reach: int) -> Risk:
    """How a message's sentiment and its author's reach bear on the ticket's priority."""
    config = current_app.config
    negative = value <= config["DESK_RISK_NEGATIVE"]
    very_negative = value <= config["DESK_RISK_VERY_NEGATIVE"]
    high_reach = reach >= config["DESK_RISK_REACH"]
    if not negative:
        return Risk(None, None, False)
    mood = "very negative" if very_negative else "negative"
    reason = f"{mood}, {followers(reach)} followers" if high_reach else mood
    if very_negative and high_reach:
        return Risk(Priority.URGENT, reason, True)
    if high_reach or very_negative:
        return Risk(Priority.HIGH, reason, False)
    return Risk(None, reason, False)


def followers(reach: int) -> str:
    """48000 -> "48k", 1250000 -> "1.2M"."""
    if reach >= 1_000_000:
        return f"{reach / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if reach >= 1_000:
        return f"{reach // 1_000}k"
    return str(reach)


def topics_in(text: str) -> list[str]:
    """The configured early-warning topics the text mentions (case-insensitive)."""
    lowered = text.lower()
    return [topic for topic in current_app.config["DESK_ALERT_TOPICS"] if topic in lowered]


def _rank(priority: Priority) -> int:
    return PRIORITY_ORDER.index(priority)

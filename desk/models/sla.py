"""SLA policies, each ticket's clocks, escalations, message scores and early-warning alerts."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.models.base import Base, enum_column, utcnow
from desk.models.tickets import Priority


class Clock(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class ClockOutcome(enum.StrEnum):
    """How a clock ended: its target kept or missed. Recorded once, when the clock stops."""

    MET = "met"
    BREACHED = "breached"


class EscalationKind(enum.StrEnum):
    WARNING = "warning"  # a share of the target has passed
    BREACH = "breach"  # the target has passed: level 1, then one level per repeat interval
    MANUAL = "manual"  # a person raised it, with a reason
    RISK = "risk"  # a very negative post from a high-reach author


class SlaPolicy(Base):
    """Targets for one kind of ticket; the first matching policy (lowest position) wins."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    # None matches any priority / any channel.
    priority: Mapped[Priority | None] = mapped_column(enum_column(Priority, "sla_priority"))
    channel_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("channels.id", ondelete="CASCADE")
    )
    first_response_minutes: Mapped[int]
    next_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    calendar: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    pause_statuses: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Warn when this share of a target has passed (0.8 = 80 %).
    warn_share: Mapped[float] = mapped_column(default=0.8, server_default="0.8")
    # After a breach the level rises again every repeat_minutes, up to max_level.
    repeat_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    max_level: Mapped[int] = mapped_column(default=3, server_default="3")
    # Who must act on an escalation (else every supervisor); reassign to them from level 2.
    escalate_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    reassign: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    channel = relationship("Channel", lazy="joined")

    def __repr__(self) -> str:
        return f"<SlaPolicy {self.name}>"


_checked = sa.text("check_at IS NOT NULL")


class TicketSla(Base):
    """A ticket's running clocks; one row per ticket, kept by desk.sla.clocks.recompute().

    `check_at` is the next moment the sweep has something to do for the ticket (a
    warning, a breach, the next level); the sweep reads only rows whose check_at
    has passed, through a partial index, so its cost follows the due tickets.
    """

    __tablename__ = "ticket_sla"
    __table_args__ = (
        sa.Index("ix_ticket_sla_check_at", "check_at",
                 sqlite_where=_checked, postgresql_where=_checked),
        sa.Index("ix_ticket_sla_settled_at", "settled_at"),
    )

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sla_policies.id", ondelete="SET NULL")
    )
    first_response_due_at: Mapped[datetime | None]
    next_response_due_at: Mapped[datetime | None]
    # When the running next-response clock started (the customer message it answers).
    next_response_started_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    check_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    # Business minutes paused since creation (first response and resolution run from it)
    # and since the running next-response clock started (reset when it restarts).
    paused_minutes: Mapped[float] = mapped_column(default=0.0, server_default="0")
    next_response_paused_minutes: Mapped[float] = mapped_column(default=0.0,
                                                                server_default="0")
    priority_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # Outcomes of the clocks that stopped (desk.sla.clocks.settle_stopped_clocks): what
    # the reports count and the ticket shows. First response and resolution stop once
    # (a reopened ticket's resolution clock runs again); next response once per exchange.
    first_response_outcome: Mapped[ClockOutcome | None] = mapped_column(
        enum_column(ClockOutcome, "sla_first_response_outcome"))
    resolution_outcome: Mapped[ClockOutcome | None] = mapped_column(
        enum_column(ClockOutcome, "sla_resolution_outcome"))
    next_response_met: Mapped[int] = mapped_column(default=0, server_default="0")
    next_response_breached: Mapped[int] = mapped_column(default=0, server_default="0")
    # When an outcome above last changed: the report rollup re-reads these tickets too,
    # since a recompute outside a ticket change (a policy added, the sweep) may settle one.
    settled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    policy: Mapped[SlaPolicy | None] = relationship(lazy="joined")


class Escalation(Base):
    """A ticket raised to a level, with its reason and who must act.

    Unique per (ticket, policy, clock, clock start, level): a repeated or concurrent
    sweep inserts with ON CONFLICT DO NOTHING, and only the one insert that
    happened notifies. The clock start tells restarted next-response clocks apart.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "policy_id", "clock", "clock_started_at", "level"),
        sa.Index("ix_escalations_notify_id", "notify_id", "acknowledged_at"),
        sa.Index("ix_escalations_digest", "digest_sent_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sla_policies.id", ondelete="CASCADE")
    )
    clock: Mapped[str] = mapped_column(sa.String(20))
    clock_started_at: Mapped[datetime | None]
    level: Mapped[int]
    kind: Mapped[EscalationKind] = mapped_column(enum_column(EscalationKind, "escalation_kind"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    raised_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    notify_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    digest_sent_at: Mapped[datetime | None]


_negative = sa.text("is_negative")


class MessageScore(Base):
    """The sentiment of one inbound message, and the topics it mentions (early warning)."""

    __tablename__ = "message_scores"
    __table_args__ = (
        sa.Index("ix_message_scores_negative", "channel_id", "created_at",
                 sqlite_where=_negative, postgresql_where=_negative),
    )

    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    sentiment: Mapped[float]
    is_negative: Mapped[bool]
    # Space-separated configured topics the text mentions (lower case).
    topics: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[datetime]


class Alert(Base):
    """A spike of negative messages on a channel (or a topic on it) against its baseline."""

    __tablename__ = "alerts"
    __table_args__ = (sa.UniqueConstraint("channel_id", "topic", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    window_start: Mapped[datetime]
    count: Mapped[int]
    baseline_mean: Mapped[float]
    baseline_std: Mapped[float]
    message_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )

    channel = relationship("Channel", lazy="joined")

"""Reports: per-ticket facts and daily rollups kept by jobs, CSAT answers, sent digests.

The report pages never scan tickets and messages: `report_ticket_facts` holds one
row of derived numbers per ticket (business-time durations need Python, so they
are computed once, when the ticket changes), and `report_daily` sums those rows
per day, channel, team and agent. Both are rebuilt for what changed
(desk.reports.rollups), so a ticket changed after the fact is counted anew.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, utcnow


class ReportTicketFact(Base):
    """The numbers one ticket contributes to the reports, as of its last change."""

    __tablename__ = "report_ticket_facts"
    __table_args__ = (
        # On PostgreSQL the durations ride along in the index: percentiles over a period
        # are an index-only scan instead of a heap visit per ticket.
        sa.Index("ix_report_ticket_facts_day", "day", "team_id", "channel_id",
                 postgresql_include=["assignee_id", "is_spam", "first_response_s",
                                     "first_response_bh_s", "resolution_s", "resolution_bh_s"]),
        sa.Index("ix_report_ticket_facts_assignee_id", "assignee_id", "day"),
        # The rollup job re-reads tickets whose running clock has come due since.
        sa.Index("ix_report_ticket_facts_sla_due_at", "sla_due_at"),
    )

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    # The day the complaint came in, in the desk's time zone (DESK_TIMEZONE).
    day: Mapped[date]
    channel_id: Mapped[int]
    team_id: Mapped[int | None]
    assignee_id: Mapped[int | None]
    is_spam: Mapped[bool] = mapped_column(default=False)
    is_open: Mapped[bool] = mapped_column(default=False)
    is_answered: Mapped[bool] = mapped_column(default=False)
    is_resolved: Mapped[bool] = mapped_column(default=False)
    # Seconds; wall time and business time on the desk's calendar.
    first_response_s: Mapped[float | None]
    first_response_bh_s: Mapped[float | None]
    resolution_s: Mapped[float | None]
    resolution_bh_s: Mapped[float | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    is_escalated: Mapped[bool] = mapped_column(default=False)
    sentiment: Mapped[float | None]
    is_negative: Mapped[bool] = mapped_column(default=False)
    topic: Mapped[str | None] = mapped_column(sa.String(80))
    # SLA outcome per clock, as the SLA module recorded it (desk.sla.clocks.clock_outcomes):
    # "met", "breached", "running" or NULL (no target); next response counted per exchange.
    sla_first_response: Mapped[str | None] = mapped_column(sa.String(10))
    sla_resolution: Mapped[str | None] = mapped_column(sa.String(10))
    sla_next_met: Mapped[int] = mapped_column(default=0, server_default="0")
    sla_next_breached: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the next running clock comes due (the counts above change then by themselves).
    sla_due_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportDaily(Base):
    """Sums of the facts of one day, channel, team and agent (NULL: none)."""

    __tablename__ = "report_daily"
    __table_args__ = (sa.Index("ix_report_daily_day", "day", "team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    channel_id: Mapped[int]
    team_id: Mapped[int | None]
    assignee_id: Mapped[int | None]
    tickets: Mapped[int] = mapped_column(default=0)  # spam excluded from every count below
    spam: Mapped[int] = mapped_column(default=0)
    open: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    # Resolved now, or resolved once and reopened since: what the reopen rate divides by.
    ever_resolved: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[int] = mapped_column(default=0)
    with_sentiment: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)
    sla_fr_met: Mapped[int] = mapped_column(default=0)
    sla_fr_breached: Mapped[int] = mapped_column(default=0)
    sla_res_met: Mapped[int] = mapped_column(default=0)
    sla_res_breached: Mapped[int] = mapped_column(default=0)
    sla_nr_met: Mapped[int] = mapped_column(default=0, server_default="0")
    sla_nr_breached: Mapped[int] = mapped_column(default=0, server_default="0")


class ReportState(Base):
    """Where the rollup job got to: the newest ticket change it has counted."""

    __tablename__ = "report_state"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[datetime]


class CsatResponse(Base):
    """One answer to the satisfaction question under a reply; one per survey link."""

    __tablename__ = "csat_responses"
    __table_args__ = (
        # The link's random id: a second answer through the same link is refused by the database.
        sa.UniqueConstraint("link_id"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        sa.Index("ix_csat_responses_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[str] = mapped_column(sa.String(32))
    ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL")
    )
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    channel_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("channels.id", ondelete="SET NULL")
    )
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    day: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportDigest(Base):
    """A weekly management summary that went out; one per week, by a database constraint."""

    __tablename__ = "report_digests"
    __table_args__ = (sa.UniqueConstraint("week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date]
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Assignment rules per team and each person's assignment state (capacity, skills, status)."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, enum_column, utcnow
from desk.models.people import Presence


class AssignMode(enum.StrEnum):
    OFF = "off"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


class ResponseAction(enum.StrEnum):
    """What the response timer does with a ticket its assignee has not answered in time."""

    REASSIGN = "reassign"
    ESCALATE = "escalate"


class AssignmentRule(Base):
    """How a team's new tickets find their person; one row per team (none = mode off)."""

    __tablename__ = "assignment_rules"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[AssignMode] = mapped_column(
        enum_column(AssignMode, "assign_mode"), default=AssignMode.OFF, server_default="off"
    )
    # Max open tickets per person (a person's own capacity overrides it).
    capacity: Mapped[int] = mapped_column(default=10, server_default="10")
    # Minutes an offline or away person keeps new, unanswered tickets before they go back.
    grace_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    # Minutes an assignee has to answer; None: no response timer.
    response_minutes: Mapped[int | None]
    # Per priority ("urgent": 10, ...), overriding response_minutes.
    response_minutes_by_priority: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict
    )
    response_action: Mapped[ResponseAction] = mapped_column(
        enum_column(ResponseAction, "response_action"), default=ResponseAction.REASSIGN,
        server_default="reassign",
    )
    # Fair distribution: at most this many auto-assignments per person per window (0: off).
    fair_limit: Mapped[int] = mapped_column(default=0, server_default="0")
    fair_window_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentState(Base):
    """One person's assignment state: own capacity, skills, chosen status, fairness counters."""

    __tablename__ = "agent_states"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    capacity: Mapped[int | None]  # None: the team's default
    # Skills; None means any. Languages as contacts have them ("de", "en"), channels by id.
    languages: Mapped[list[str] | None] = mapped_column(sa.JSON)
    channel_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    # What the person chose (PUT /me/presence); caps what their sockets say.
    chosen_status: Mapped[Presence] = mapped_column(
        enum_column(Presence, "chosen_presence"), default=Presence.ONLINE,
        server_default="online",
    )
    chosen_at: Mapped[datetime | None]
    # Round-robin order: the auto-assignment sequence number this person last got.
    assign_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # Fair distribution: auto-assignments in the window that began at window_started_at.
    window_started_at: Mapped[datetime | None]
    window_count: Mapped[int] = mapped_column(default=0, server_default="0")

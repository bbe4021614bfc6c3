"""Intake events: each raw payload as received, stored before anything else happens."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, enum_column, utcnow


class IntakeStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    FAILED = "failed"


class IntakeEvent(Base):
    __tablename__ = "intake_events"
    __table_args__ = (
        # Idempotency: the same platform message posted twice is one event.
        sa.UniqueConstraint("channel_id", "external_id"),
        sa.Index("ix_intake_events_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    payload: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[IntakeStatus] = mapped_column(
        enum_column(IntakeStatus, "intake_status"),
        default=IntakeStatus.RECEIVED,
        server_default="received",
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(sa.Text)
    lease_token: Mapped[str | None] = mapped_column(sa.String(36))
    leased_until: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

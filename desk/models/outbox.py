"""The outbox: each reply that must go out through a channel, and how far it got."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, enum_column, utcnow


class OutboxState(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt at next_attempt_at
    SENDING = "sending"  # an attempt holds it until leased_until
    SENT = "sent"  # the platform took it; remote_id names it there
    UNKNOWN = "unknown"  # sent, but the answer never came: reconcile, never resend blindly
    FAILED = "failed"  # gave up; error says why; a person may retry
    MANUAL = "manual"  # the channel takes no replies (feeds): a person posts it


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_state", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, "outbox_state"), default=OutboxState.QUEUED,
        server_default="queued",
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    remote_id: Mapped[str | None] = mapped_column(sa.String(200))
    error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime | None]
    leased_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<OutboxItem {self.id} {self.state}>"

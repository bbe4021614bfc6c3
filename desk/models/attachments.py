"""Attachments of inbound messages: stored bytes (e-mail) or a link (platform media)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from desk.models.base import Base, utcnow


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (sa.Index("ix_attachments_message_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    # As the sender declared it; serving decides from the bytes, not from this.
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(default=0, server_default="0")
    data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    url: Mapped[str | None] = mapped_column(sa.String(2000))  # media that stays remote
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Ticket tags: a shared vocabulary of names, and which tickets carry which."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, utcnow


class Tag(Base):
    """A tag name, stored in lower case: "Refund" and "refund" are one tag."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketTag(Base):
    """One tag on one ticket; who added it and when."""

    __tablename__ = "ticket_tags"
    # The primary key serves "this ticket's tags"; the filters go by tag.
    __table_args__ = (sa.Index("ix_ticket_tags_tag_id", "tag_id", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id", ondelete="CASCADE"),
                                        primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

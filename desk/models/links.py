"""Links between tickets: the same complaint by the same person on two channels."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, utcnow


class TicketLink(Base):
    __tablename__ = "ticket_links"
    __table_args__ = (
        # One link per pair, stored with the smaller id first.
        sa.UniqueConstraint("ticket_id", "related_id"),
        sa.CheckConstraint("ticket_id < related_id", name="ordered"),
        sa.Index("ix_ticket_links_related_id", "related_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    related_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(40))  # "cross-post"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

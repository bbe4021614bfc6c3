"""Reply drafts, kept on the server per person and ticket so that none is ever lost."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, utcnow


class Draft(Base):
    """The reply a person is writing on a ticket; gone when the reply is sent."""

    __tablename__ = "drafts"
    __table_args__ = (sa.UniqueConstraint("person_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Draft person={self.person_id} ticket={self.ticket_id}>"

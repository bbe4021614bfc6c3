"""Contacts: the public people behind inbound messages."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, utcnow


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "handle"),
        sa.Index("ix_contacts_email", "email"),
        sa.Index("ix_contacts_unified_id", "unified_id"),
        # The same platform account on the platform's other channels (verified handles).
        sa.Index("ix_contacts_handle", "handle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    handle: Mapped[str] = mapped_column(sa.String(200))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    reach: Mapped[int] = mapped_column(default=0, server_default="0")
    language: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A verified e-mail address (the e-mail channel's sender, the contact form): contacts
    # on different channels with the same one are the same person.
    email: Mapped[str | None] = mapped_column(sa.String(320))
    # The contact this one was unified with (one person across channels); None: itself.
    unified_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )

    @property
    def person_id(self) -> int:
        """The id naming the person behind this contact across channels."""
        return self.unified_id or self.id

    @property
    def display_name(self) -> str:
        return self.name or self.handle

    def __repr__(self) -> str:
        return f"<Contact {self.handle}>"

"""Channels: where complaints come from and where replies go."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.models.base import Base, enum_column, utcnow
from desk.models.people import Person, Team


class ChannelKind(enum.StrEnum):
    WEBHOOK = "webhook"  # the signed JSON intake endpoint
    FORM = "form"  # the public contact form
    FEED = "feed"
    META = "meta"
    MASTODON = "mastodon"
    X = "x"
    EMAIL = "email"


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[ChannelKind] = mapped_column(enum_column(ChannelKind, "channel_kind"))
    # The HMAC key for signed intake. Never rendered, never logged.
    secret: Mapped[str | None] = mapped_column(sa.String(256))
    language: Mapped[str | None] = mapped_column(sa.String(8))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[Person | None] = relationship()
    team: Mapped[Team | None] = relationship()

    def __repr__(self) -> str:
        return f"<Channel {self.slug}>"

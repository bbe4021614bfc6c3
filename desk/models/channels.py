"""Channels: where complaints come from and where replies go."""

import enum
from datetime import datetime
from typing import Any

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
    # Connector settings that may be shown (feed URL, keywords, API base URL, mailbox
    # host); secrets never go here.
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    # Connector secrets (tokens, passwords) as JSON: write-only, never rendered or logged.
    credentials: Mapped[str | None] = mapped_column(sa.Text)
    # Lets the connector reach loopback and private addresses (desk.outbound); off by default.
    allow_private: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Where the last poll stopped (ETag, Last-Modified, since_id, UIDVALIDITY+UID).
    cursor: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    poll_interval: Mapped[int] = mapped_column(default=300, server_default="300")
    next_poll_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_error_at: Mapped[datetime | None]
    # How many items the polls and webhooks took in (new intake events), kept per store.
    taken_count: Mapped[int] = mapped_column(default=0, server_default="0")

    owner: Mapped[Person | None] = relationship()
    team: Mapped[Team | None] = relationship()

    def __repr__(self) -> str:
        return f"<Channel {self.slug}>"

"""Canned replies: reusable answers with placeholders, personal, team or global."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.models.base import Base, enum_column, utcnow
from desk.models.people import Person, Team


class CannedScope(enum.StrEnum):
    PERSONAL = "personal"  # its owner's alone
    TEAM = "team"  # every member of one team
    GLOBAL = "global"  # everyone who works tickets


class CannedLanguage(enum.StrEnum):
    DE = "de"
    EN = "en"


class CannedReply(Base):
    __tablename__ = "canned_replies"
    __table_args__ = (
        # Who holds a reply follows from its scope; nothing else is a valid row.
        sa.CheckConstraint(
            "(scope = 'personal' AND owner_id IS NOT NULL AND team_id IS NULL)"
            " OR (scope = 'team' AND team_id IS NOT NULL AND owner_id IS NULL)"
            " OR (scope = 'global' AND owner_id IS NULL AND team_id IS NULL)",
            name="holder_matches_scope",
        ),
        sa.Index("ix_canned_replies_owner_id", "owner_id"),
        sa.Index("ix_canned_replies_team_id", "team_id"),
        sa.Index("ix_canned_replies_shortcut", "shortcut"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    # Typed after `/` or `::` in the composer; lower case letters, digits, `-` and `_`.
    shortcut: Mapped[str] = mapped_column(sa.String(40))
    scope: Mapped[CannedScope] = mapped_column(enum_column(CannedScope, "canned_scope"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    # Maintained by desk.canned.service at save: the picker searches one lower-case column
    # and knows the languages without loading any variant.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    languages: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    # A counter kept with every recorded use, so ranking by usage reads no other table.
    use_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])
    team: Mapped[Team | None] = relationship()
    variants: Mapped[list["CannedReplyVariant"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="CannedReplyVariant.language"
    )
    tag_rows: Mapped[list["CannedReplyTag"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="CannedReplyTag.tag"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    def variant(self, language: str) -> "CannedReplyVariant | None":
        return next((v for v in self.variants if v.language.value == language), None)

    def __repr__(self) -> str:
        return f"<CannedReply {self.id} /{self.shortcut}>"


class CannedReplyVariant(Base):
    """The body of a canned reply in one language."""

    __tablename__ = "canned_reply_variants"

    canned_reply_id: Mapped[int] = mapped_column(
        sa.ForeignKey("canned_replies.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[CannedLanguage] = mapped_column(
        enum_column(CannedLanguage, "canned_language"), primary_key=True
    )
    # Cleaned HTML (desk.sanitize) in which the template tags are kept as escaped text:
    # inert wherever it is shown. desk.canned.templating turns it back into the source.
    body_html: Mapped[str] = mapped_column(sa.Text)


class CannedReplyTag(Base):
    """A tag (or folder) of a canned reply."""

    __tablename__ = "canned_reply_tags"
    __table_args__ = (sa.Index("ix_canned_reply_tags_tag", "tag"),)

    canned_reply_id: Mapped[int] = mapped_column(
        sa.ForeignKey("canned_replies.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class CannedReplyUse(Base):
    """One reply sent with a canned reply inserted: who, on which ticket, in which message."""

    __tablename__ = "canned_reply_uses"
    __table_args__ = (
        sa.UniqueConstraint("message_id", "canned_reply_id"),
        sa.Index("ix_canned_reply_uses_canned_reply_id", "canned_reply_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canned_reply_id: Mapped[int] = mapped_column(
        sa.ForeignKey("canned_replies.id", ondelete="CASCADE")
    )
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""The FAQ: candidates proposed from tickets, reviewed entries, their versions and votes."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.models.base import Base, enum_column, utcnow
from desk.models.people import Person


class FaqLanguage(enum.StrEnum):
    DE = "de"
    EN = "en"


class CandidateSource(enum.StrEnum):
    AGENT = "agent"  # an agent proposed a reply (or a ticket)
    CLUSTER = "cluster"  # the clustering job found a frequent question
    CANNED = "canned"  # a canned reply used often, and the customers rarely wrote again


class CandidateStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"  # became a new entry
    MERGED = "merged"  # joined an existing entry
    REJECTED = "rejected"


class EntryStatus(enum.StrEnum):
    PUBLISHED = "published"  # public from publish_at on (a future publish_at is "scheduled")
    ARCHIVED = "archived"  # taken down; kept for its history and provenance


class FaqCandidate(Base):
    """A proposed question and answer, already redacted, waiting for an editor."""

    __tablename__ = "faq_candidates"
    __table_args__ = (
        sa.Index("ix_faq_candidates_status", "status", "cluster_size", "id"),
        sa.Index("ix_faq_candidates_proposer_id", "proposer_id", "id"),
        # The clustering job may run twice: one candidate per cluster signature.
        sa.UniqueConstraint("cluster_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[CandidateSource] = mapped_column(
        enum_column(CandidateSource, "faq_candidate_source")
    )
    status: Mapped[CandidateStatus] = mapped_column(
        enum_column(CandidateStatus, "faq_candidate_status"),
        default=CandidateStatus.PENDING, server_default="pending",
    )
    # Redacted texts: personal data replaced by [placeholders] the editor sees marked.
    question: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    language: Mapped[FaqLanguage | None] = mapped_column(enum_column(FaqLanguage, "faq_language"))
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    proposer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    # Every ticket the candidate came from (one for a proposal, many for a cluster).
    ticket_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    cluster_key: Mapped[str | None] = mapped_column(sa.String(64))
    cluster_size: Mapped[int] = mapped_column(default=1, server_default="1")
    reject_reason: Mapped[str | None] = mapped_column(sa.Text)
    entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("faq_entries.id", ondelete="SET NULL")
    )
    reviewer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposer: Mapped[Person | None] = relationship(foreign_keys=[proposer_id], lazy="joined")
    reviewer: Mapped[Person | None] = relationship(foreign_keys=[reviewer_id])
    entry: Mapped["FaqEntry | None"] = relationship()

    def __repr__(self) -> str:
        return f"<FaqCandidate {self.id} {self.status}>"


class FaqEntry(Base):
    """A reviewed, public question and answer."""

    __tablename__ = "faq_entries"
    __table_args__ = (
        sa.UniqueConstraint("slug"),
        sa.Index("ix_faq_entries_public", "status", "language", "category", "publish_at"),
        sa.Index("ix_faq_entries_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100))
    question: Mapped[str] = mapped_column(sa.String(300))
    # Cleaned by desk.sanitize.clean_html; answer_text is its plain text, for search.
    answer_html: Mapped[str] = mapped_column(sa.Text)
    answer_text: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(80))
    language: Mapped[FaqLanguage] = mapped_column(enum_column(FaqLanguage, "faq_language"))
    status: Mapped[EntryStatus] = mapped_column(
        enum_column(EntryStatus, "faq_entry_status"),
        default=EntryStatus.PUBLISHED, server_default="published",
    )
    publish_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Counters, each changed by one UPDATE ... SET n = n + 1 (never read-modify-write).
    view_count: Mapped[int] = mapped_column(default=0, server_default="0")
    helpful_yes: Mapped[int] = mapped_column(default=0, server_default="0")
    helpful_no: Mapped[int] = mapped_column(default=0, server_default="0")
    sent_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Inbound messages like this question that still came in after publishing (clustering job).
    followup_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def votes(self) -> int:
        return self.helpful_yes + self.helpful_no

    @property
    def helpful_ratio(self) -> float | None:
        return self.helpful_yes / self.votes if self.votes else None

    def is_visible(self, now: datetime | None = None) -> bool:
        return self.status == EntryStatus.PUBLISHED and self.publish_at <= (now or utcnow())

    def __repr__(self) -> str:
        return f"<FaqEntry {self.slug}>"


class FaqEntryVersion(Base):
    """One saved state of an entry: its history, and what a diff compares."""

    __tablename__ = "faq_entry_versions"
    __table_args__ = (sa.UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("faq_entries.id", ondelete="CASCADE"))
    version: Mapped[int]
    question: Mapped[str] = mapped_column(sa.String(300))
    answer_html: Mapped[str] = mapped_column(sa.Text)
    answer_text: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(80))
    language: Mapped[FaqLanguage] = mapped_column(enum_column(FaqLanguage, "faq_language"))
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus, "faq_entry_status"))
    publish_at: Mapped[datetime]
    editor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped[Person | None] = relationship(lazy="joined")


class FaqSource(Base):
    """Provenance: a ticket an entry came from (through which candidate)."""

    __tablename__ = "faq_sources"
    __table_args__ = (
        sa.UniqueConstraint("entry_id", "ticket_id"),
        sa.Index("ix_faq_sources_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("faq_entries.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    candidate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("faq_candidates.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqVote(Base):
    """One "was this helpful?" answer; one per visitor and entry, by a database constraint."""

    __tablename__ = "faq_votes"
    __table_args__ = (sa.UniqueConstraint("entry_id", "visitor_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("faq_entries.id", ondelete="CASCADE"))
    # HMAC of the visitor's random cookie id: no IP address or other personal data is kept.
    visitor_key: Mapped[str] = mapped_column(sa.String(64))
    is_helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqLinkUse(Base):
    """A reply that linked an entry: how often entries are sent to customers."""

    __tablename__ = "faq_link_uses"
    __table_args__ = (sa.UniqueConstraint("entry_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("faq_entries.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def entry_facts(entry: FaqEntry) -> dict[str, Any]:
    """The public facts of an entry (API and search results)."""
    return {
        "id": entry.id, "slug": entry.slug, "question": entry.question,
        "answer_html": entry.answer_html, "answer_text": entry.answer_text,
        "category": entry.category, "language": entry.language.value,
        "publish_at": entry.publish_at, "updated_at": entry.updated_at,
        "version": entry.version,
    }

"""Tickets and their messages: one conversation with one contact on one channel."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.models.base import Base, enum_column, utcnow
from desk.models.channels import Channel
from desk.models.contacts import Contact
from desk.models.people import Person, Team


class Status(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    SPAM = "spam"


# Statuses that still ask something of the team; queue views list only these.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class MessageKind(enum.StrEnum):
    INBOUND = "inbound"
    REPLY = "reply"
    NOTE = "note"


class Delivery(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    MANUAL = "manual"  # read-only channels: a person posts it by hand


_open = sa.text("status IN ('new', 'open', 'pending')")
UNDATED_OPEN = "status IN ('new', 'open', 'pending') AND due_at IS NULL"


def undated_queue_indexes() -> list[sa.Index]:
    """PostgreSQL-only partial indexes for the undated part of each queue view."""
    views = {
        "open": ((), UNDATED_OPEN),
        "unassigned": ((), UNDATED_OPEN + " AND assignee_id IS NULL"),
        "assignee": (("assignee_id",), UNDATED_OPEN),
        "team": (("team_id",), UNDATED_OPEN),
        "channel": (("channel_id",), UNDATED_OPEN),
    }
    return [
        sa.Index(f"ix_tickets_undated_{name}", *leading, "created_at", "id",
                 postgresql_where=sa.text(where)).ddl_if(dialect="postgresql")
        for name, (leading, where) in views.items()
    ]


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # A thread on a channel is one ticket, even when two intake jobs race.
        sa.UniqueConstraint("channel_id", "thread_key"),
        # Queue views: each a partial index in queue order, so the first page is a short
        # index range scan whatever the table size.
        sa.Index(
            "ix_tickets_queue_open", "due_at", "created_at", "id",
            sqlite_where=_open, postgresql_where=_open,
        ),
        sa.Index(
            "ix_tickets_queue_unassigned", "due_at", "created_at", "id",
            sqlite_where=sa.text("status IN ('new', 'open', 'pending') AND assignee_id IS NULL"),
            postgresql_where=sa.text(
                "status IN ('new', 'open', 'pending') AND assignee_id IS NULL"
            ),
        ),
        sa.Index(
            "ix_tickets_queue_assignee", "assignee_id", "due_at", "created_at", "id",
            sqlite_where=_open, postgresql_where=_open,
        ),
        sa.Index(
            "ix_tickets_queue_team", "team_id", "due_at", "created_at", "id",
            sqlite_where=_open, postgresql_where=_open,
        ),
        sa.Index(
            "ix_tickets_queue_channel", "channel_id", "due_at", "created_at", "id",
            sqlite_where=_open, postgresql_where=_open,
        ),
        sa.Index("ix_tickets_queue_status", "status", "due_at", "created_at", "id"),
        # Covers an agent's capped sidebar counts, which add "my teams or no team" to the
        # view: answered from the index alone instead of a table read per open ticket.
        sa.Index(
            "ix_tickets_open_assignee_team", "assignee_id", "team_id",
            sqlite_where=_open, postgresql_where=_open,
        ),
        # Tickets without a due time come after the dated ones, oldest first. SQLite walks
        # the indexes above for `due_at IS NULL ORDER BY created_at, id`; PostgreSQL reads
        # every undated row and sorts, so it gets these (docs/benchmarks.md, foundation).
        *undated_queue_indexes(),
        sa.Index("ix_tickets_contact_id", "contact_id", "created_at"),
        # Backlog drain: a team's unassigned open tickets, oldest first.
        sa.Index(
            "ix_tickets_backlog", "team_id", "created_at", "id",
            sqlite_where=sa.text("status IN ('new', 'open', 'pending') AND assignee_id IS NULL"),
            postgresql_where=sa.text(
                "status IN ('new', 'open', 'pending') AND assignee_id IS NULL"
            ),
        ),
        # Response timer: only tickets whose assignee still owes an answer.
        sa.Index(
            "ix_tickets_response_due", "response_due_at",
            sqlite_where=sa.text("response_due_at IS NOT NULL"),
            postgresql_where=sa.text("response_due_at IS NOT NULL"),
        ),
        # Reports: the live backlog and today's open counters read every open ticket; this
        # index holds all they need (age, scope, unassigned, overdue), so they never visit
        # the table - 120,000 open tickets were 19,000 heap pages read at random, 0.4 s
        # on a cold cache (docs/benchmarks.md, reports).
        sa.Index(
            "ix_tickets_open_snapshot", "status", "created_at", "team_id", "channel_id",
            "assignee_id", "due_at", sqlite_where=_open, postgresql_where=_open,
        ),
        # Reports: the rollup job reads what changed since its last run; today's counters.
        sa.Index("ix_tickets_updated_at", "updated_at"),
        sa.Index("ix_tickets_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    # The platform's thread id (or the first message's external id): later messages join here.
    thread_key: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(200))
    # The start of the newest inbound message, so the queue needs no join on messages.
    preview: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    status: Mapped[Status] = mapped_column(
        enum_column(Status, "ticket_status"), default=Status.NEW, server_default="new"
    )
    priority: Mapped[Priority] = mapped_column(
        enum_column(Priority, "ticket_priority"), default=Priority.NORMAL, server_default="normal"
    )
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None]
    # When the current assignee got it, and by when they must answer (response timer).
    assigned_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    sentiment: Mapped[float | None]
    # Bumped by every change; writers compare it so no change is overwritten unseen.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    message_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_message_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    channel: Mapped[Channel] = relationship(lazy="joined", innerjoin=True)
    contact: Mapped[Contact] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[Person | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return f"<Ticket {self.id} {self.status}>"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # One platform message is stored once per channel.
        sa.UniqueConstraint("channel_id", "external_id"),
        sa.Index("ix_messages_ticket_id", "ticket_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "message_kind"))
    # Sanitised at the boundary (desk.sanitize); templates may render it as HTML.
    body_html: Mapped[str] = mapped_column(sa.Text)
    body_text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    external_id: Mapped[str | None] = mapped_column(sa.String(200))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    intake_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("intake_events.id", ondelete="SET NULL"), unique=True
    )
    delivery: Mapped[Delivery | None] = mapped_column(enum_column(Delivery, "message_delivery"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Person | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.kind}>"

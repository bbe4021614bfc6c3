"""Queue views: which tickets a list shows, in which order, one page at a time.

Lists select only the columns a row shows, in one query per page segment, and
page by keyset (due time, then age, then id), never by OFFSET. Tickets with no
due time come after those with one; they form a second segment, so each
segment is one range scan on a partial index (see the Ticket model).
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from desk.auth.access import visible_parts, visible_tickets
from desk.errors import Invalid
from desk.extensions import db
from desk.models import (
    OPEN_STATUSES,
    Channel,
    Contact,
    Escalation,
    EscalationKind,
    Person,
    Role,
    Status,
    Tag,
    Team,
    Ticket,
    TicketSla,
    TicketTag,
    inline,
    utcnow,
)

VIEWS = ("open", "unassigned", "mine", "teams", "all", "at_risk", "breached", "escalated")


@dataclass(frozen=True)
class QueueFilter:
    """What a queue shows: a named view narrowed by optional filters."""

    view: str = "open"
    status: Status | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    channel_id: int | None = None
    q: str | None = None
    tag_id: int | None = None


@dataclass(frozen=True)
class Cursor:
    due_at: datetime | None
    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([
            self.due_at.isoformat() if self.due_at else None,
            self.created_at.isoformat(),
            self.id,
        ])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            padded = token + "=" * (-len(token) % 4)
            due, created, ticket_id = json.loads(base64.urlsafe_b64decode(padded))
            return cls(
                due_at=datetime.fromisoformat(due) if due else None,
                created_at=datetime.fromisoformat(created),
                id=int(ticket_id),
            )
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
            raise Invalid("the cursor is not one this server gave out",
                          {"cursor": ["unreadable"]}) from exc


@dataclass
class Page:
    rows: list[sa.Row[Any]] = field(default_factory=list)
    next_cursor: str | None = None
    # Each row's tag names, sorted (read with the rows: ROW_COLUMNS' tag_names).
    tags: dict[int, list[str]] = field(default_factory=dict)


# A row's tag names in one string, read with the row rather than by a second query for
# the page (a round trip costs more than the 25 index lookups). Tag names hold no spaces
# (desk.tags.service.normalized), so a space separates them; the order is sorted later.
TAG_NAMES = (
    sa.select(sa.func.aggregate_strings(Tag.name, " "))
    .join(TicketTag, TicketTag.tag_id == Tag.id)
    .where(TicketTag.ticket_id == Ticket.id)
    .correlate(Ticket)
    .scalar_subquery()
    .label("tag_names")
)


ROW_COLUMNS = (
    Ticket.id, Ticket.subject, Ticket.preview, Ticket.status, Ticket.priority, Ticket.due_at,
    Ticket.created_at, Ticket.updated_at, Ticket.last_message_at, Ticket.message_count,
    Ticket.version, Ticket.team_id, Ticket.assignee_id, Ticket.escalation_level,
    Ticket.sentiment,
    Channel.slug.label("channel_slug"), Channel.name.label("channel_name"),
    Contact.handle.label("contact_handle"), Contact.name.label("contact_name"),
    Contact.reach.label("contact_reach"),
    Person.name.label("assignee_name"), Team.name.label("team_name"),
    TicketSla.warn_at.label("sla_warn_at"), TicketSla.paused_at.label("sla_paused_at"),
    TAG_NAMES,
)


# Rendered as literals, never as bound parameters: a planner can use a partial index
# (WHERE status IN ('new', 'open', 'pending')) only when it can prove the query's condition
# implies the index's, which SQLite never can, and PostgreSQL cannot in a generic plan.
OPEN_CONDITION = Ticket.status.in_(
    inline([s.value for s in OPEN_STATUSES], Ticket.status.type)
)


def conditions(
    person: Person, wanted: QueueFilter, visible: sa.ColumnElement[bool] | None = None
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for a view, a filter and what the person may see (or a part of it)."""
    where: list[sa.ColumnElement[bool]] = [
        visible if visible is not None else visible_tickets(person)
    ]
    if wanted.status is not None:
        where.append(Ticket.status == wanted.status)
    elif wanted.view != "all":
        where.append(OPEN_CONDITION)
    if wanted.view == "unassigned":
        where.append(Ticket.assignee_id.is_(None))
    elif wanted.view == "mine":
        where.append(Ticket.assignee_id == inline(person.id))
    elif wanted.view == "teams":
        where.append(Ticket.team_id.in_(inline(person.team_ids)))
    elif wanted.view in SLA_VIEWS:
        where.append(sla_condition(person, wanted.view))
    if wanted.assignee_id is not None:
        where.append(Ticket.assignee_id == wanted.assignee_id)
    if wanted.team_id is not None:
        where.append(Ticket.team_id == wanted.team_id)
    if wanted.channel_id is not None:
        where.append(Ticket.channel_id == wanted.channel_id)
    if wanted.tag_id is not None:
        where.append(Ticket.id.in_(
            sa.select(TicketTag.ticket_id).where(TicketTag.tag_id == wanted.tag_id)))
    if wanted.q:
        where.append(matches_text(wanted.q))
    return where


SLA_VIEWS = ("at_risk", "breached", "escalated")


def sla_condition(person: Person, view: str) -> sa.ColumnElement[bool]:
    """at_risk: past the warning share, not yet due; breached: past due (due_at is the
    nearest running clock, so both ride the queue indexes); escalated: escalations that
    name the person, or name nobody and the person supervises, not yet acknowledged."""
    now = utcnow()
    if view == "breached":
        return Ticket.due_at <= now
    if view == "at_risk":
        warned = (sa.exists().where(TicketSla.ticket_id == Ticket.id, TicketSla.warn_at <= now)
                  .correlate(Ticket))
        return sa.and_(Ticket.due_at > now, warned)
    mine = Escalation.notify_id == person.id
    if person.has_role(Role.SUPERVISOR, Role.ADMIN):
        mine = sa.or_(mine, Escalation.notify_id.is_(None))
    return sa.exists().where(
        Escalation.ticket_id == Ticket.id, Escalation.acknowledged_at.is_(None),
        Escalation.kind != EscalationKind.WARNING, mine,
    )


def matches_text(q: str) -> sa.ColumnElement[bool]:
    """Subject or any message body contains every word of `q` (case-insensitive)."""
    from desk.models import Message

    clauses = []
    for word in q.split()[:8]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_messages = sa.exists().where(
            Message.ticket_id == Ticket.id, Message.body_text.ilike(pattern, escape="\\")
        )
        clauses.append(sa.or_(Ticket.subject.ilike(pattern, escape="\\"), in_messages))
    return sa.and_(*clauses)


def list_page(
    person: Person, wanted: QueueFilter, cursor: str | None = None, limit: int | None = None
) -> Page:
    """One page of a queue in queue order, and the cursor of the next page."""
    limit = limit or current_app.config["DESK_PAGE_SIZE"]
    after = Cursor.decode(cursor) if cursor else None
    base = (
        sa.select(*ROW_COLUMNS)
        .join(Channel, Channel.id == Ticket.channel_id)
        .join(Contact, Contact.id == Ticket.contact_id)
        .outerjoin(Person, Person.id == Ticket.assignee_id)
        .outerjoin(Team, Team.id == Ticket.team_id)
        .outerjoin(TicketSla, TicketSla.ticket_id == Ticket.id)
        .where(*conditions(person, wanted))
    )
    rows: list[sa.Row[Any]] = []
    if after is None or after.due_at is not None:
        due = base.where(Ticket.due_at.is_not(None))
        if after is not None:
            due = due.where(
                sa.tuple_(Ticket.due_at, Ticket.created_at, Ticket.id)
                > sa.tuple_(after.due_at, after.created_at, after.id)
            )
        due = due.order_by(Ticket.due_at, Ticket.created_at, Ticket.id).limit(inline(limit + 1))
        rows.extend(db.session.execute(due).all())
    if len(rows) <= limit:
        undated = base.where(Ticket.due_at.is_(None))
        if after is not None and after.due_at is None:
            undated = undated.where(
                sa.tuple_(Ticket.created_at, Ticket.id) > sa.tuple_(after.created_at, after.id)
            )
        undated = undated.order_by(Ticket.created_at, Ticket.id).limit(
            inline(limit + 1 - len(rows)))
        rows.extend(db.session.execute(undated).all())
    page = Page(rows=rows[:limit])
    page.tags = {row.id: sorted(row.tag_names.split()) for row in page.rows if row.tag_names}
    if len(rows) > limit:
        last = rows[limit - 1]
        page.next_cursor = Cursor(last.due_at, last.created_at, last.id).encode()
    return page


SIDEBAR_VIEWS = ("open", "unassigned", "mine")


def count(person: Person, wanted: QueueFilter) -> int:
    """How many tickets a view holds, counted up to the cap (shown as "999+")."""
    return _capped_counts(person, [wanted])[0]


def view_counts(person: Person) -> dict[str, int]:
    """The counts for the sidebar, all in one statement (a round trip each cost more than
    the counting on PostgreSQL)."""
    counts = _capped_counts(person, [QueueFilter(view=view) for view in SIDEBAR_VIEWS])
    return dict(zip(SIDEBAR_VIEWS, counts, strict=True))


def _capped_counts(person: Person, wanted: list[QueueFilter]) -> list[int]:
    """Each view's size up to the cap. The visible parts of a view are disjoint, so their
    counts add up; each part is a capped index range, a scalar subquery of one SELECT."""
    cap = current_app.config["DESK_COUNT_CAP"]
    parts = visible_parts(person)
    columns = [
        sa.select(sa.func.count()).select_from(
            sa.select(Ticket.id).where(*conditions(person, view, part)).limit(inline(cap))
            .subquery()
        ).scalar_subquery()
        for view in wanted for part in parts
    ]
    values = db.session.execute(sa.select(*columns)).one()
    return [min(cap, sum(values[i * len(parts):(i + 1) * len(parts)]))
            for i in range(len(wanted))]

"""Tagging tickets: names checked and shared, each change audited and announced live.

A tag name is 1-40 characters: letters, digits, "-" and "_", starting with a letter
or digit; it is stored in lower case, so "Refund" and "refund" are one tag (the
database's unique name is then case-insensitive on SQLite and PostgreSQL alike).
Adding a tag a ticket already has, or removing one it lacks, changes nothing.
"""

import re
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk import audit, events
from desk.commits import commit, savepoint, send_after_commit
from desk.errors import Invalid
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.models import Person, Tag, Ticket, TicketTag
from desk.tickets import change

MAX_LENGTH = 40
MAX_PER_TICKET = 20
_NAME = re.compile(r"[^\W_][\w-]*")


def normalized(name: str) -> str:
    """The stored form of a tag name, or Invalid (field `name`) saying what is wrong."""
    cleaned = (name or "").strip().lower()
    if not cleaned:
        raise Invalid("a tag needs a name", {"name": ["required"]})
    if len(cleaned) > MAX_LENGTH:
        raise Invalid(f"a tag name has at most {MAX_LENGTH} characters",
                      {"name": [f"at most {MAX_LENGTH} characters"]})
    if not _NAME.fullmatch(cleaned):
        raise Invalid("a tag name holds letters, digits, '-' and '_' only, and starts with a "
                      "letter or digit", {"name": ["letters, digits, - and _ only"]})
    return cleaned


def tag_id(name: str) -> int | None:
    """The id of an existing tag (any case), or None."""
    return db.session.scalar(sa.select(Tag.id).where(Tag.name == name.strip().lower()))


def _tag_named(name: str) -> Tag:
    """The tag, created on first use; two people creating it at once both get the one row."""
    found = db.session.scalar(sa.select(Tag).where(Tag.name == name))
    if found is not None:
        return found
    try:
        with savepoint():
            tag = Tag(name=name)
            db.session.add(tag)
            db.session.flush()
            return tag
    except IntegrityError:
        return db.session.scalars(sa.select(Tag).where(Tag.name == name)).one()


def add_tag(person: Person, ticket_id: int, name: str) -> Ticket:
    """Put the tag on the ticket (creating the tag on first use)."""
    wanted = normalized(name)
    ticket = get_ticket(person, ticket_id)
    current = names_on(ticket.id)
    if wanted in current:
        return ticket
    if len(current) >= MAX_PER_TICKET:
        raise Invalid(f"a ticket has at most {MAX_PER_TICKET} tags",
                      {"name": [f"at most {MAX_PER_TICKET} tags per ticket"]})
    tag = _tag_named(wanted)
    try:
        with savepoint():
            db.session.add(TicketTag(ticket_id=ticket.id, tag_id=tag.id, added_by_id=person.id))
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return get_ticket(person, ticket_id)  # someone put it on at the same moment
    return _changed(person, ticket, "ticket.tag_added", wanted, sorted([*current, wanted]))


def remove_tag(person: Person, ticket_id: int, name: str) -> Ticket:
    """Take the tag off the ticket; the tag itself stays in the vocabulary."""
    wanted = (name or "").strip().lower()
    ticket = get_ticket(person, ticket_id)
    current = names_on(ticket.id)
    if wanted not in current:
        return ticket
    db.session.execute(sa.delete(TicketTag).where(
        TicketTag.ticket_id == ticket.id,
        TicketTag.tag_id == sa.select(Tag.id).where(Tag.name == wanted).scalar_subquery()))
    return _changed(person, ticket, "ticket.tag_removed", wanted,
                    [tag for tag in current if tag != wanted])


def _changed(person: Person, ticket: Ticket, action: str, name: str,
             now_on: list[str]) -> Ticket:
    # Through change(): the version moves (open forms see a change) and updated_at too
    # (the report rollup re-reads the ticket).
    ticket = change(ticket.id, {})
    audit.record(action, person, ticket.id, tag=name)
    send_after_commit(events.ticket_updated, ticket_id=ticket.id, team_id=ticket.team_id,
                      changes={"tags": now_on}, version=ticket.version)
    commit()
    return ticket


def names_on(ticket_id: int) -> list[str]:
    return tags_of([ticket_id]).get(ticket_id, [])


def tags_of(ticket_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each ticket's tag names, sorted, for many tickets in one query (a page of rows)."""
    ids = list(ticket_ids)
    found: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(TicketTag.ticket_id, Tag.name).join(Tag, Tag.id == TicketTag.tag_id)
        .where(TicketTag.ticket_id.in_(ids)).order_by(TicketTag.ticket_id, Tag.name))
    for ticket_id, name in rows:
        found[ticket_id].append(name)
    return dict(found)


def tagged(tag: int) -> sa.ColumnElement[bool]:
    """Tickets carrying the tag, as a condition on Ticket.id (an index range on ticket_tags)."""
    return Ticket.id.in_(sa.select(TicketTag.ticket_id).where(TicketTag.tag_id == tag))


def all_names() -> list[str]:
    """Every tag in use or once used, for filter pickers."""
    return list(db.session.scalars(sa.select(Tag.name).order_by(Tag.name)))

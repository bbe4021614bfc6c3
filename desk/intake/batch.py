"""Turning a leased batch of intake events into contacts, tickets and messages, set-based.

A batch costs a fixed handful of statements whatever its size: one look-up of
messages stored before, one of the authors' contacts (and one insert of the new
ones), one of the threads the events point at, then the new tickets, the
messages, their scores and SLA rows and the audit entries, each written in one
batched statement. Per event that is a fraction of a millisecond instead of the
dozen round trips a message-at-a-time unit of work costs (docs/benchmarks.md,
intake).

The events are handled in the order they arrived, so a reply in the same batch
as the post it answers joins that post's new ticket. A payload that cannot be
read is quarantined with the reason; the others go on. `store()` raises
IntegrityError when a concurrent run created one of the same contacts or threads
a moment before; the caller (desk.intake.service) then goes event by event.
"""

import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from desk import audit, events
from desk.commits import savepoint, send_after_commit
from desk.errors import DeskError, Invalid
from desk.extensions import db
from desk.models import (
    OPEN_STATUSES,
    Channel,
    Contact,
    IntakeEvent,
    IntakeStatus,
    Message,
    MessageKind,
    Priority,
    SlaPolicy,
    Status,
    Ticket,
    utcnow,
)
from desk.models.base import dialect_insert
from desk.sanitize import clean_html, clean_line, html_to_text, safe_url, text_to_html
from desk.sla import hooks as sla
from desk.sla.policies import list_policies
from desk.sla.service import prepare_new_ticket

log = logging.getLogger(__name__)

DUPLICATE = "duplicate: the message was stored before"


@dataclass
class Arrival:
    """One readable event on its way to becoming a message."""

    event: IntakeEvent
    channel: Channel
    data: dict[str, Any]  # the validated payload
    raw: dict[str, Any]  # the payload as sent (e-mail keeps its MIME source here)
    body_html: str
    body_text: str
    created_at: datetime
    handle: str
    contact: Contact | None = None
    ticket: Ticket | None = None
    is_new: bool = False
    message: Message | None = None

    @property
    def message_key(self) -> tuple[int, str]:
        return self.channel.id, self.data["external_id"]


def store(events_: list[IntakeEvent]) -> None:
    """Process the events in the current transaction; every one ends processed or failed."""
    arrivals = [arrival for event in events_ if (arrival := read(event)) is not None]
    arrivals = without_duplicates(arrivals)
    if not arrivals:
        return
    attach_contacts(arrivals)
    attach_tickets(arrivals)
    add_messages(arrivals)
    link_new_tickets(arrivals)
    sla.inbound_messages([(a.ticket, a.message, a.contact) for a in arrivals])  # type: ignore[misc]
    audit.record_many("message.inbound", None, [
        (a.ticket.id, {"message_id": a.message.id, "intake_event_id": a.event.id})  # type: ignore[union-attr]
        for a in arrivals])
    for arrival in arrivals:
        announce(arrival)
    mark_all_processed([arrival.event for arrival in arrivals])


# -- reading ----------------------------------------------------------------------------


def read(event: IntakeEvent) -> Arrival | None:
    """The event's payload, validated and sanitised; None when it is done already
    (quarantined, or a raw delivery mapped again into events of its own)."""
    from desk.intake.service import validate_payload

    if event.external_id.startswith("raw:"):
        remap(event)
        return None
    try:
        raw = json.loads(event.payload)
        data = validate_payload(raw)
    except (Invalid, ValueError) as exc:
        quarantine(event, exc)
        return None
    channel = db.session.get(Channel, event.channel_id)
    assert channel is not None  # noqa: S101 - the foreign key guarantees it
    body_html = clean_html(data["html"]) if data.get("html") else text_to_html(data["text"])
    return Arrival(
        event=event, channel=channel, data=data, raw=raw, body_html=body_html,
        body_text=html_to_text(body_html), created_at=data.get("created_at") or utcnow(),
        handle=clean_line(data["author"]["handle"], 200) or "unknown",
    )


def remap(event: IntakeEvent) -> None:
    """A retried raw delivery or mail: map it again into intake events of its own."""
    from desk.channels.webhooks import remap_quarantined

    try:
        with savepoint():
            added = remap_quarantined(event)
    except (DeskError, ValueError, KeyError, TypeError) as exc:
        quarantine(event, exc)
        return
    mark_processed(event, f"mapped again into {added} new event(s)")


def quarantine(event: IntakeEvent, exc: Exception) -> None:
    """Keep the raw payload with the reason, for an admin to look at and retry."""
    event.status = IntakeStatus.FAILED
    event.error = str(exc)[:2000]
    event.lease_token = None
    log.warning("intake event %s failed: %s", event.id, exc)


def mark_processed(event: IntakeEvent, note: str | None = None) -> None:
    event.status = IntakeStatus.PROCESSED
    event.processed_at = utcnow()
    event.lease_token = None
    event.error = note


def mark_all_processed(events_: list[IntakeEvent]) -> None:
    """The batch's events are done: one UPDATE for all (the unit of work would send one
    per event)."""
    db.session.execute(
        sa.update(IntakeEvent)
        .where(IntakeEvent.id.in_([event.id for event in events_]))
        .values(status=IntakeStatus.PROCESSED, processed_at=utcnow(), lease_token=None,
                error=None)
    )


def without_duplicates(arrivals: list[Arrival]) -> list[Arrival]:
    """Drop messages stored before (or twice in this batch): the event is done, noted."""
    if not arrivals:
        return []
    stored = set(tuple(row) for row in db.session.execute(
        sa.select(Message.channel_id, Message.external_id).where(
            sa.tuple_(Message.channel_id, Message.external_id).in_(
                {a.message_key for a in arrivals}))
    ).all())
    fresh = []
    for arrival in arrivals:
        if arrival.message_key in stored:
            mark_processed(arrival.event, DUPLICATE)
            continue
        stored.add(arrival.message_key)
        fresh.append(arrival)
    return fresh


# -- contacts ---------------------------------------------------------------------------


def attach_contacts(arrivals: list[Arrival]) -> None:
    """Find every author's contact, creating the missing ones in one statement."""
    keys = {(a.channel.id, a.handle) for a in arrivals}
    known = _contacts(keys)
    missing = sorted(keys - known.keys())  # sorted: concurrent runs insert in one order
    if missing:
        first = {}
        for arrival in arrivals:
            first.setdefault((arrival.channel.id, arrival.handle), arrival)
        _insert_contacts([_new_contact(first[key]) for key in missing])
        created = _contacts(set(missing))
        known.update(created)
        from desk.contacts.service import note_verified_identities

        note_verified_identities([(contact, first[key].channel)
                                  for key, contact in created.items()])
    for arrival in arrivals:
        contact = known[(arrival.channel.id, arrival.handle)]
        author = arrival.data["author"]
        # The newest post knows the current display name and follower count best.
        contact.name = clean_line(author.get("name"), 200) or contact.name
        contact.reach = author.get("reach") or contact.reach
        arrival.contact = contact


def _contacts(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Contact]:
    found = db.session.scalars(
        sa.select(Contact).where(sa.tuple_(Contact.channel_id, Contact.handle).in_(keys)))
    return {(contact.channel_id, contact.handle): contact for contact in found}


def _new_contact(arrival: Arrival) -> dict[str, Any]:
    author = arrival.data["author"]
    return {
        "channel_id": arrival.channel.id, "handle": arrival.handle,
        "name": clean_line(author.get("name"), 200) or None, "reach": author.get("reach") or 0,
        "language": arrival.data.get("language") or arrival.channel.language,
        "created_at": utcnow(),
    }


def _insert_contacts(rows: list[dict[str, Any]]) -> None:
    """Insert, skipping any a concurrent run stored meanwhile (it waits for that run)."""
    db.session.execute(dialect_insert(Contact.__table__).on_conflict_do_nothing(), rows)


# -- tickets ----------------------------------------------------------------------------


def attach_tickets(arrivals: list[Arrival]) -> None:
    """Join each message to the ticket its thread or reply points at, or open one."""
    by_message, by_thread = _referenced_tickets(arrivals)
    policies = list_policies()  # a new ticket's clocks are known before it is stored
    opened: list[Ticket] = []
    for arrival in arrivals:
        channel_id = arrival.channel.id
        ticket = None
        for key in (arrival.data.get("in_reply_to"), arrival.data.get("thread_id")):
            # A reply to a message we never received (often the brand's own post) must
            # still find its thread, so both references are tried.
            if key:
                ticket = by_message.get((channel_id, key)) or by_thread.get((channel_id, key))
            if ticket is not None:
                break
        if ticket is None:
            ticket = _new_ticket(arrival, policies)
            by_thread[(channel_id, ticket.thread_key)] = ticket
            opened.append(ticket)
            arrival.is_new = True
        by_message[arrival.message_key] = ticket  # a later reply in this batch finds it
        arrival.ticket = ticket
        joined(arrival)  # before the INSERT: a new ticket is written once, complete
    # In arrival order, so ticket ids follow it. Two runs opening the same new threads in
    # different orders may deadlock here; the caller leases again (desk.intake.service).
    db.session.add_all(opened)
    db.session.flush()  # a racing run's same new thread fails here: IntegrityError


def _referenced_tickets(arrivals: list[Arrival]) -> tuple[dict[tuple[int, str], Ticket],
                                                           dict[tuple[int, str], Ticket]]:
    """The stored tickets the batch's replies and thread ids point at, in two queries."""
    references = {
        (a.channel.id, key) for a in arrivals
        for key in (a.data.get("in_reply_to"), a.data.get("thread_id")) if key
    }
    if not references:
        return {}, {}
    replied = db.session.execute(
        sa.select(Message.channel_id, Message.external_id, Message.ticket_id).where(
            sa.tuple_(Message.channel_id, Message.external_id).in_(references))
    ).all()
    tickets = db.session.scalars(
        sa.select(Ticket).where(sa.or_(
            sa.tuple_(Ticket.channel_id, Ticket.thread_key).in_(references),
            Ticket.id.in_({row.ticket_id for row in replied}),
        ))
    ).unique()
    by_id = {ticket.id: ticket for ticket in tickets}
    by_message = {(row.channel_id, row.external_id): by_id[row.ticket_id]
                  for row in replied if row.ticket_id in by_id}
    by_thread = {(t.channel_id, t.thread_key): t for t in by_id.values()}
    return by_message, by_thread


def _new_ticket(arrival: Arrival, policies: list[SlaPolicy]) -> Ticket:
    data = arrival.data
    assert arrival.contact is not None  # noqa: S101 - attach_contacts ran first
    ticket = Ticket(
        channel_id=arrival.channel.id,
        contact_id=arrival.contact.id,
        thread_key=data.get("thread_id") or data.get("in_reply_to") or data["external_id"],
        subject=clean_line(data.get("subject"), 200) or subject_from(arrival.body_text),
        status=Status.NEW,
        priority=Priority.NORMAL,
        team_id=arrival.channel.team_id,
        created_at=arrival.created_at,
        updated_at=utcnow(),
        message_count=0,
        version=1,
    )
    prepare_new_ticket(ticket, arrival.body_text, arrival.contact, policies)
    return ticket


def subject_from(body_text: str) -> str:
    first_line = clean_line(body_text.split("\n", 1)[0], 200)
    if len(first_line) <= 80:
        return first_line or "(no text)"
    return first_line[:77].rsplit(" ", 1)[0] + "…"


# -- messages ---------------------------------------------------------------------------


def add_messages(arrivals: list[Arrival]) -> None:
    """The messages in one batched insert (their tickets' counters were set by joined())."""
    for arrival in arrivals:
        arrival.message = Message(
            ticket_id=arrival.ticket.id,  # type: ignore[union-attr]
            channel_id=arrival.channel.id,
            kind=MessageKind.INBOUND,
            body_html=arrival.body_html,
            body_text=arrival.body_text,
            external_id=arrival.data["external_id"],
            url=safe_url(arrival.data.get("url")),
            intake_event_id=arrival.event.id,
            created_at=arrival.created_at,
        )
        db.session.add(arrival.message)
    db.session.flush()
    for arrival in arrivals:
        store_attachments(arrival)


def joined(arrival: Arrival) -> None:
    """The ticket took one more customer message."""
    ticket = arrival.ticket
    assert ticket is not None  # noqa: S101 - attach_tickets ran first
    ticket.message_count = (ticket.message_count or 0) + 1
    ticket.preview = clean_line(arrival.body_text, 200)
    ticket.last_message_at = max(arrival.created_at, ticket.last_message_at or arrival.created_at)
    ticket.updated_at = utcnow()
    if arrival.is_new:
        return
    ticket.version += 1
    if ticket.status not in OPEN_STATUSES or ticket.status == Status.PENDING:
        if ticket.status != Status.PENDING:  # a reopen: the reports count it (desk.reports)
            audit.record("ticket.status", None, ticket.id, old=ticket.status, new=Status.OPEN)
        ticket.status = Status.OPEN  # the customer wrote again: it needs us
        ticket.resolved_at = None


def store_attachments(arrival: Arrival) -> None:
    """Keep an e-mail's attachments (bytes) and a post's media (links) with the message."""
    media = arrival.data.get("media") or []
    raw_mime = arrival.raw.get("raw_mime_b64")
    if not media and not raw_mime:
        return
    from desk.models import Attachment

    message = arrival.message
    assert message is not None  # noqa: S101 - add_messages made it
    for url in media:
        if safe_url(url):
            name = url.rsplit("/", 1)[-1].split("?", 1)[0][:200] or "media"
            db.session.add(Attachment(message_id=message.id, filename=name,
                                      content_type="application/octet-stream", url=url))
    if raw_mime:
        from desk.channels.mail import attachment_parts
        from desk.contacts.service import image_type

        for filename, declared, content in attachment_parts(base64.b64decode(raw_mime)):
            # The type is what the bytes are, never only what the sender declared.
            kind = image_type(content) or ("application/octet-stream"
                                           if declared.startswith("image/") else declared)
            db.session.add(Attachment(message_id=message.id, filename=filename,
                                      content_type=kind, size=len(content), data=content))


# -- after the messages -----------------------------------------------------------------


def link_new_tickets(arrivals: list[Arrival]) -> None:
    """Link new tickets to the same person's similar open tickets on other channels.

    Only people known on several channels can cross-post; one query finds them.
    """
    from desk.contacts.service import link_cross_posts, people_on_several_channels

    new = [a for a in arrivals if a.is_new]
    several = people_on_several_channels({a.contact.person_id for a in new})  # type: ignore[union-attr]
    for arrival in new:
        if arrival.contact.person_id in several:  # type: ignore[union-attr]
            link_cross_posts(arrival.ticket, arrival.contact,  # type: ignore[arg-type]
                             f"{arrival.ticket.subject} {arrival.body_text}")  # type: ignore[union-attr]


def announce(arrival: Arrival) -> None:
    """The live events, sent once the batch has committed."""
    ticket, message = arrival.ticket, arrival.message
    assert ticket is not None and message is not None  # noqa: S101 - made above
    facts = {"ticket_id": ticket.id, "team_id": ticket.team_id}
    if arrival.is_new:
        send_after_commit(events.ticket_created, **facts, channel_id=arrival.channel.id,
                          status=ticket.status.value, priority=ticket.priority.value)
    else:
        send_after_commit(events.ticket_updated, **facts,
                          changes={"status": ticket.status.value}, version=ticket.version)
    send_after_commit(events.message_created, **facts, message_id=message.id,
                      kind=MessageKind.INBOUND.value, version=ticket.version)

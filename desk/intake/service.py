"""Intake: store each raw payload first, then turn it into tickets and messages.

`receive()` is the fast path a channel waits on: validate, store the raw
payload, acknowledge. `process_pending()` (a job) leases a batch of stored
events and, each in its own savepoint, finds or creates the contact and the
ticket and stores the message, sanitised.
"""

import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from desk import audit, events
from desk.commits import commit, savepoint, send_after_commit
from desk.errors import DeskError, Forbidden, Invalid, NotFound, Unauthorized
from desk.extensions import db
from desk.intake.schemas import IntakePayloadSchema
from desk.models import (
    OPEN_STATUSES,
    Channel,
    ChannelKind,
    Contact,
    IntakeEvent,
    IntakeStatus,
    Message,
    MessageKind,
    Status,
    Ticket,
    utcnow,
)
from desk.sanitize import clean_html, clean_line, html_to_text, safe_url, text_to_html
from desk.sla import hooks as sla

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
CONTACT_FORM_SLUG = "contact-form"
_payload_schema = IntakePayloadSchema()


def active_channel(slug: str) -> Channel:
    channel = db.session.scalar(sa.select(Channel).where(Channel.slug == slug))
    if channel is None:
        raise NotFound(f"no channel '{slug}'")
    if not channel.is_active:
        raise Forbidden(f"channel '{slug}' is paused")
    return channel


def verify_signature(channel: Channel, body: bytes, header: str | None) -> None:
    """Check `X-Desk-Signature: sha256=<hex>` over the raw body, in constant time."""
    if not channel.secret:
        raise Unauthorized("this channel has no signing secret; it cannot take signed intake")
    if not header or not header.startswith("sha256="):
        raise Unauthorized("X-Desk-Signature header missing or not of the form sha256=<hex>")
    expected = hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower()):
        raise Unauthorized("the signature does not match the body")


def sign(secret: str, body: bytes) -> str:
    """The signature header value a channel sends (for clients, tests and the CLI)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def validate_payload(data: Any) -> dict[str, Any]:
    """The payload as the documented schema reads it, or Invalid naming the fields."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_schema": ["not an object"]})
    try:
        return _payload_schema.load(data, unknown="exclude")
    except ValidationError as exc:
        fields = exc.normalized_messages()
        names = ", ".join(sorted(fields))
        raise Invalid(f"invalid or missing fields: {names}", _flatten(fields)) from exc


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = [str(item) for item in value]
    return flat


def receive(channel: Channel, external_id: str, raw_payload: str) -> tuple[int, bool]:
    """Store one raw payload; returns (event id, created). Seen before: nothing added."""
    existing = _event_id(channel.id, external_id)
    if existing is not None:
        return existing, False
    event = IntakeEvent(channel_id=channel.id, external_id=external_id, payload=raw_payload)
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request stored the same external id a moment ago; the constraint decided.
        db.session.rollback()
        existing = _event_id(channel.id, external_id)
        assert existing is not None  # noqa: S101 - the unique constraint just said so
        return existing, False
    event_id = event.id
    schedule_processing()
    commit()
    return event_id, True


def quarantine_raw(channel: Channel, raw_payload: str, reason: str) -> int:
    """Keep a payload that cannot be mapped, as a failed event for the intake problems page.

    It is named by its content hash, so the platform's redelivery adds nothing.
    """
    external_id = "raw:" + hashlib.sha256(raw_payload.encode("utf-8", "replace")).hexdigest()
    existing = _event_id(channel.id, external_id)
    if existing is not None:
        return existing
    event = IntakeEvent(channel_id=channel.id, external_id=external_id, payload=raw_payload,
                        status=IntakeStatus.FAILED, error=reason[:2000])
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _event_id(channel.id, external_id) or 0
    event_id = event.id
    log.warning("intake payload on %s quarantined: %s", channel.slug, reason)
    commit()
    return event_id


def _event_id(channel_id: int, external_id: str) -> int | None:
    return db.session.scalar(
        sa.select(IntakeEvent.id).where(
            IntakeEvent.channel_id == channel_id, IntakeEvent.external_id == external_id
        )
    )


def schedule_processing() -> None:
    from desk.intake.jobs import kick_intake

    kick_intake()


def submit_contact_form(name: str, email: str, subject: str, text: str) -> int:
    """A message from the public contact form enters like any other intake."""
    channel = active_channel(CONTACT_FORM_SLUG)
    external_id = f"form-{uuid.uuid4()}"
    payload = {
        "external_id": external_id,
        "subject": subject,
        "text": text,
        "author": {"handle": email.strip().lower(), "name": name},
    }
    event_id, _ = receive(channel, external_id, json.dumps(payload, ensure_ascii=False))
    return event_id


def _write_transaction() -> None:
    """On SQLite, begin the next transaction as a writer: a deferred transaction that
    reads, then writes after another connection committed, fails at once with "database
    is locked" (SQLITE_BUSY_SNAPSHOT), which no busy timeout waits out."""
    session = db.session()
    if not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("BEGIN IMMEDIATE"))


def lease_batch(limit: int) -> list[IntakeEvent]:
    """Take up to `limit` waiting events (or ones whose lease ran out) for this run."""
    now = utcnow()
    waiting = sa.or_(
        IntakeEvent.status == IntakeStatus.RECEIVED,
        sa.and_(IntakeEvent.status == IntakeStatus.PROCESSING, IntakeEvent.leased_until < now),
    )
    _write_transaction()
    candidates = sa.select(IntakeEvent.id).where(waiting).order_by(IntakeEvent.id).limit(limit)
    token = str(uuid.uuid4())
    # The outer WHERE repeats the condition: of two racing workers, only one gets each row.
    db.session.execute(
        sa.update(IntakeEvent)
        .where(IntakeEvent.id.in_(candidates.scalar_subquery()), waiting)
        .values(
            status=IntakeStatus.PROCESSING,
            lease_token=token,
            leased_until=now + LEASE,
            attempts=IntakeEvent.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    commit()
    _write_transaction()  # the batch is processed in this transaction: a writer from the start
    return list(
        db.session.scalars(
            sa.select(IntakeEvent).where(IntakeEvent.lease_token == token).order_by(IntakeEvent.id)
        )
    )


def process_pending(batch_size: int) -> int:
    """Process leased batches until none is waiting; returns how many events were done."""
    done = 0
    deadlocks = 0
    while True:
        batch = lease_batch(batch_size)
        if not batch:
            db.session.rollback()  # end the writer transaction lease_batch began
            return done
        token = batch[0].lease_token
        try:
            for event in in_lock_order(batch):
                process_event(event)
            commit()
        except OperationalError as exc:
            db.session.rollback()
            release_lease(token)
            if not is_deadlock(exc) or deadlocks >= MAX_DEADLOCK_RETRIES:
                raise
            # Two workers met on the same contacts or tickets; PostgreSQL chose us to give
            # way. Lease again after a moment (the other run has committed by then).
            deadlocks += 1
            log.info("intake batch deadlocked with another run; leasing again")
            time.sleep(random.uniform(0.05, 0.3))  # noqa: S311 - jitter, not security
            continue
        except Exception:
            # An unexpected failure (the database went away, a bug): hand the batch back
            # at once so the job's retry finds it, instead of waiting for the lease to end.
            db.session.rollback()
            release_lease(token)
            raise
        done += len(batch)


MAX_DEADLOCK_RETRIES = 5


def is_deadlock(exc: OperationalError) -> bool:
    """PostgreSQL's deadlock (40P01) or serialization failure (40001): retry, not a bug."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def in_lock_order(batch: list[IntakeEvent]) -> list[IntakeEvent]:
    """The batch ordered by channel and author, so concurrent runs lock contact and ticket
    rows in the same order (fewer deadlocks); one author's events keep their order."""
    def author(event: IntakeEvent) -> tuple[int, str]:
        try:
            return event.channel_id, str(json.loads(event.payload)["author"]["handle"])
        except (ValueError, KeyError, TypeError):
            return event.channel_id, ""

    return sorted(batch, key=author)


def release_lease(token: str | None) -> None:
    """Put a leased batch back in line, untouched."""
    db.session.execute(
        sa.update(IntakeEvent)
        .where(IntakeEvent.lease_token == token, IntakeEvent.status == IntakeStatus.PROCESSING)
        .values(status=IntakeStatus.RECEIVED, lease_token=None, leased_until=None)
        .execution_options(synchronize_session=False)
    )
    commit()


def process_event(event: IntakeEvent, attempts: int = 2) -> None:
    if event.external_id.startswith("raw:"):
        _remap(event)
        return
    for attempt in range(1, attempts + 1):
        try:
            with savepoint():
                data = validate_payload(json.loads(event.payload))
                outcome = open_or_join_ticket(event, data)
            break
        except IntegrityError as exc:
            # Another run created the same contact or thread a moment ago: try again, and
            # this time find theirs.
            if attempt == attempts:
                _quarantine(event, exc)
                return
        except (Invalid, ValueError) as exc:
            _quarantine(event, exc)
            return
    event.status = IntakeStatus.PROCESSED
    event.processed_at = utcnow()
    event.lease_token = None
    event.error = None if outcome else "duplicate: the message was stored before"


def _remap(event: IntakeEvent) -> None:
    """A retried raw delivery or mail: map it again into intake events of its own."""
    from desk.channels.webhooks import remap_quarantined

    try:
        with savepoint():
            added = remap_quarantined(event)
    except (DeskError, ValueError, KeyError, TypeError) as exc:
        _quarantine(event, exc)
        return
    event.status = IntakeStatus.PROCESSED
    event.processed_at = utcnow()
    event.lease_token = None
    event.error = f"mapped again into {added} new event(s)"


def _quarantine(event: IntakeEvent, exc: Exception) -> None:
    """Keep the raw payload with the reason, for an admin to look at and retry."""
    event.status = IntakeStatus.FAILED
    event.error = str(exc)[:2000]
    event.lease_token = None
    log.warning("intake event %s failed: %s", event.id, exc)


def open_or_join_ticket(event: IntakeEvent, data: dict[str, Any]) -> Message | None:
    """Turn one validated payload into a message on a new or existing ticket."""
    channel = db.session.get(Channel, event.channel_id)
    assert channel is not None  # noqa: S101 - the foreign key guarantees it
    if _message_exists(channel.id, data["external_id"]):
        return None
    contact = _find_or_create_contact(channel, data)
    body_html = clean_html(data["html"]) if data.get("html") else text_to_html(data["text"])
    body_text = html_to_text(body_html)
    created_at = data.get("created_at") or utcnow()
    ticket, is_new = _find_or_open_ticket(channel, contact, data, body_text, created_at)
    message = Message(
        ticket_id=ticket.id,
        channel_id=channel.id,
        kind=MessageKind.INBOUND,
        body_html=body_html,
        body_text=body_text,
        external_id=data["external_id"],
        url=safe_url(data.get("url")),
        intake_event_id=event.id,
        created_at=created_at,
    )
    db.session.add(message)
    ticket.message_count = (ticket.message_count or 0) + 1
    ticket.preview = clean_line(body_text, 200)
    ticket.last_message_at = max(created_at, ticket.last_message_at or created_at)
    ticket.updated_at = utcnow()
    if not is_new:
        ticket.version += 1
        if ticket.status not in OPEN_STATUSES or ticket.status == Status.PENDING:
            if ticket.status != Status.PENDING:  # a reopen: the reports count it (desk.reports)
                audit.record("ticket.status", None, ticket.id, old=ticket.status, new=Status.OPEN)
            ticket.status = Status.OPEN  # the customer wrote again: it needs us
            ticket.resolved_at = None
    db.session.flush()
    store_attachments(message, event, data)
    if is_new:
        from desk.contacts.service import link_cross_posts

        link_cross_posts(ticket, contact, f"{ticket.subject} {body_text}")
    sla.inbound_message(ticket, message, contact)  # sentiment, risk priority, clocks
    audit.record("message.inbound", None, ticket.id, message_id=message.id,
                 intake_event_id=event.id)
    facts = {"ticket_id": ticket.id, "team_id": ticket.team_id}
    if is_new:
        send_after_commit(events.ticket_created, **facts, channel_id=channel.id,
                          status=ticket.status.value, priority=ticket.priority.value)
    else:
        send_after_commit(events.ticket_updated, **facts,
                          changes={"status": ticket.status.value}, version=ticket.version)
    send_after_commit(events.message_created, **facts, message_id=message.id,
                      kind=MessageKind.INBOUND.value, version=ticket.version)
    return message


def store_attachments(message: Message, event: IntakeEvent, data: dict[str, Any]) -> None:
    """Keep an e-mail's attachments (bytes) and a post's media (links) with the message."""
    from desk.models import Attachment

    for url in data.get("media") or []:
        if safe_url(url):
            name = url.rsplit("/", 1)[-1].split("?", 1)[0][:200] or "media"
            db.session.add(Attachment(message_id=message.id, filename=name,
                                      content_type="application/octet-stream", url=url))
    raw = json.loads(event.payload).get("raw_mime_b64")
    if raw:
        import base64

        from desk.channels.mail import attachment_parts
        from desk.contacts.service import image_type

        for filename, declared, content in attachment_parts(base64.b64decode(raw)):
            # The type is what the bytes are, never only what the sender declared.
            kind = image_type(content) or ("application/octet-stream"
                                           if declared.startswith("image/") else declared)
            db.session.add(Attachment(message_id=message.id, filename=filename,
                                      content_type=kind, size=len(content), data=content))


def _message_exists(channel_id: int, external_id: str) -> bool:
    return db.session.scalar(
        sa.select(Message.id).where(
            Message.channel_id == channel_id, Message.external_id == external_id
        )
    ) is not None


def _find_or_create_contact(channel: Channel, data: dict[str, Any]) -> Contact:
    author = data["author"]
    handle = clean_line(author["handle"], 200) or "unknown"
    contact = db.session.scalar(
        sa.select(Contact).where(Contact.channel_id == channel.id, Contact.handle == handle)
    )
    name = clean_line(author.get("name"), 200) or None
    if contact is None:
        contact = Contact(channel_id=channel.id, handle=handle, name=name,
                          reach=author.get("reach") or 0,
                          language=data.get("language") or channel.language)
        db.session.add(contact)
        db.session.flush()
        from desk.contacts.service import note_verified_email

        note_verified_email(contact, channel)
        return contact
    # The newest post knows the current display name and follower count best.
    contact.name = name or contact.name
    contact.reach = author.get("reach") or contact.reach
    return contact


def _find_or_open_ticket(
    channel: Channel, contact: Contact, data: dict[str, Any], body_text: str, created_at: Any
) -> tuple[Ticket, bool]:
    # A reply to a message we never received (often the brand's own post) must still
    # find its thread, so both references are tried.
    for key in (data.get("in_reply_to"), data.get("thread_id")):
        ticket = _ticket_for_reference(channel.id, key) if key else None
        if ticket is not None:
            return ticket, False
    thread_key = data.get("thread_id") or data.get("in_reply_to") or data["external_id"]
    subject = clean_line(data.get("subject"), 200) or _subject_from(body_text)
    ticket = Ticket(
        channel_id=channel.id,
        contact_id=contact.id,
        thread_key=thread_key,
        subject=subject,
        status=Status.NEW,
        team_id=channel.team_id,
        created_at=created_at,
        message_count=0,
        version=1,
    )
    db.session.add(ticket)
    db.session.flush()  # a racing job with the same thread key fails here, in its savepoint
    return ticket, True


def _ticket_for_reference(channel_id: int, key: str) -> Ticket | None:
    """The ticket a thread id or a replied-to message id points at, if known."""
    replied_to = db.session.scalar(
        sa.select(Message.ticket_id).where(Message.channel_id == channel_id,
                                           Message.external_id == key)
    )
    if replied_to is not None:
        return db.session.get(Ticket, replied_to)
    return db.session.scalar(
        sa.select(Ticket).where(Ticket.channel_id == channel_id, Ticket.thread_key == key)
    )


def _subject_from(body_text: str) -> str:
    first_line = clean_line(body_text.split("\n", 1)[0], 200)
    if len(first_line) <= 80:
        return first_line or "(no text)"
    return first_line[:77].rsplit(" ", 1)[0] + "…"


def retry_event(event_id: int) -> None:
    """Put a quarantined event back in line (an admin fixed the cause)."""
    event = db.session.get(IntakeEvent, event_id)
    if event is None:
        raise NotFound(f"no intake event {event_id}")
    event.status = IntakeStatus.RECEIVED
    event.error = None
    audit.record("intake.retry", None, intake_event_id=event_id)
    schedule_processing()
    commit()


def channel_for_intake(slug: str) -> Channel:
    channel = active_channel(slug)
    if channel.kind == ChannelKind.FORM:
        raise Forbidden(f"channel '{slug}' takes messages only through the contact form")
    if channel.kind in POLLED_ONLY:
        raise Forbidden(f"channel '{slug}' is polled; it takes no pushed messages")
    return channel


# Kinds desk fetches itself; nobody may push into them.
POLLED_ONLY = frozenset({ChannelKind.FEED, ChannelKind.MASTODON, ChannelKind.EMAIL})

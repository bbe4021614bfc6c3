"""Intake: store each raw payload first, then turn it into tickets and messages.

`receive()` stores a raw payload for the importer, the contact form and the demo;
the signed endpoint's fast path is desk.intake.acknowledgement. `process_pending()`
(a job) leases a batch of stored events and hands it to desk.intake.batch, which
finds or creates the contacts and tickets and stores the messages, sanitised,
set-based.
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

from desk import audit
from desk.commits import commit, savepoint
from desk.errors import Forbidden, Invalid, NotFound
from desk.extensions import db
from desk.intake import batch
from desk.intake.schemas import IntakePayloadSchema
from desk.models import (
    Channel,
    IntakeEvent,
    IntakeStatus,
    utcnow,
)
from desk.models.base import dialect_insert

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
CONTACT_FORM_SLUG = "contact-form"
_payload_schema = IntakePayloadSchema()


def active_channel(slug: str) -> Channel:
    channel = db.session.scalar(sa.select(Channel).where(Channel.slug == slug))
    refuse_unless_active(slug, channel)
    assert channel is not None  # noqa: S101 - refused above otherwise
    return channel


def refuse_unless_active(slug: str, channel: Any) -> None:
    """NotFound for no channel, Forbidden for a paused one (`channel`: a Channel, or a
    row with its `is_active`)."""
    if channel is None:
        raise NotFound(f"no channel '{slug}'")
    if not channel.is_active:
        raise Forbidden(f"channel '{slug}' is paused")


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
    """Store one raw payload; returns (event id, created). Seen before: nothing added.

    One statement decides: the insert skips a payload whose (channel, external id) is
    stored already, even one a concurrent request stores at this very moment.
    """
    event_id = db.session.scalar(
        dialect_insert(IntakeEvent.__table__)
        .values(channel_id=channel.id, external_id=external_id, payload=raw_payload,
                status=IntakeStatus.RECEIVED, attempts=0, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
        .returning(IntakeEvent.id)
    )
    if event_id is None:
        existing = existing_event_id(channel.id, external_id)
        assert existing is not None  # noqa: S101 - the unique constraint just said so
        return existing, False
    schedule_processing()
    commit()
    return event_id, True


def quarantine_raw(channel: Channel, raw_payload: str, reason: str) -> int:
    """Keep a payload that cannot be mapped, as a failed event for the intake problems page.

    It is named by its content hash, so the platform's redelivery adds nothing.
    """
    external_id = "raw:" + hashlib.sha256(raw_payload.encode("utf-8", "replace")).hexdigest()
    existing = existing_event_id(channel.id, external_id)
    if existing is not None:
        return existing
    event = IntakeEvent(channel_id=channel.id, external_id=external_id, payload=raw_payload,
                        status=IntakeStatus.FAILED, error=reason[:2000])
    db.session.add(event)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return existing_event_id(channel.id, external_id) or 0
    event_id = event.id
    log.warning("intake payload on %s quarantined: %s", channel.slug, reason)
    commit()
    return event_id


def existing_event_id(channel_id: int, external_id: str) -> int | None:
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
    # Two workers leasing at once take different events: PostgreSQL skips rows another
    # run is leasing (SQLite has one writer at a time: BEGIN IMMEDIATE above).
    candidates = (sa.select(IntakeEvent.id).where(waiting).order_by(IntakeEvent.id)
                  .limit(limit).with_for_update(skip_locked=True))
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
    return leased(token)


def leased(token: str) -> list[IntakeEvent]:
    """The events of one lease, in arrival order; the next transaction writes from the start."""
    _write_transaction()
    return list(
        db.session.scalars(
            sa.select(IntakeEvent).where(IntakeEvent.lease_token == token).order_by(IntakeEvent.id)
        )
    )


def process_pending(batch_size: int, linger: float = 0.0) -> int:
    """Process leased batches until none is waiting; returns how many events were done.

    `linger` (seconds, RQ workers only): after a batch that was not full, wait that long
    before leasing again. Under a steady stream a worker would otherwise lease a handful
    of events at a time and spend its time on each batch's fixed statements; a moment's
    wait lets the next batch fill (docs/benchmarks.md, intake).
    """
    done = 0
    deadlocks = 0
    while True:
        events = lease_batch(batch_size)
        if not events:
            db.session.rollback()  # end the writer transaction lease_batch began
            return done
        token = events[0].lease_token
        assert token is not None  # noqa: S101 - lease_batch set it
        try:
            process_leased(token, events)
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
        done += len(events)
        if linger and len(events) < batch_size:
            time.sleep(linger)


def process_leased(token: str, events: list[IntakeEvent]) -> None:
    """Store the leased events as one batch; if a concurrent run created one of the same
    contacts or threads meanwhile, go again event by event, each finding theirs."""
    try:
        batch.store(events)
        commit()
        return
    except IntegrityError:
        db.session.rollback()
    for event in leased(token):
        try:
            with savepoint():
                batch.store([event])
        except IntegrityError as exc:
            batch.quarantine(event, exc)
    commit()


MAX_DEADLOCK_RETRIES = 5


def is_deadlock(exc: OperationalError) -> bool:
    """PostgreSQL's deadlock (40P01) or serialization failure (40001): retry, not a bug."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def release_lease(token: str | None) -> None:
    """Put a leased batch back in line, untouched."""
    db.session.execute(
        sa.update(IntakeEvent)
        .where(IntakeEvent.lease_token == token, IntakeEvent.status == IntakeStatus.PROCESSING)
        .values(status=IntakeStatus.RECEIVED, lease_token=None, leased_until=None)
        .execution_options(synchronize_session=False)
    )
    commit()


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

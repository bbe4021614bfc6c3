"""The signed intake's fast path: what a channel waits on, in one round trip.

An acknowledgement used to cost four round trips to the database (BEGIN, the channel
row, the INSERT, COMMIT), most of its time on a busy intake. Now each process
remembers what it needs of a channel (id, kind, secret) and stores the raw payload
with one INSERT outside a transaction. That INSERT re-checks the remembered facts
against the channels table in the same statement, so a remembered fact is never
trusted on its own: a channel paused or given a new secret since is looked up again,
and the request is judged by what the table says now. A signature that does not
match the remembered secret is checked once more against the table's, so a new
secret works at once in every process.
"""

import functools
import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from desk.commits import commit
from desk.errors import Conflict, Forbidden, Unauthorized
from desk.extensions import db
from desk.intake.service import (
    existing_event_id,
    refuse_unless_active,
    schedule_processing,
    sign,
)
from desk.models import Channel, ChannelKind, IntakeEvent, IntakeStatus, utcnow

# Kinds desk fetches itself; nobody may push into them.
POLLED_ONLY = frozenset({ChannelKind.FEED, ChannelKind.MASTODON, ChannelKind.EMAIL})


@dataclass(frozen=True)
class IntakeChannel:
    """What an acknowledgement needs of a channel; remembered per process."""

    id: int
    slug: str
    kind: ChannelKind
    secret: str | None


def intake_channel(slug: str, *, fresh: bool = False) -> IntakeChannel:
    """The active channel that may take pushed complaints, as remembered (or `fresh`
    from the table); NotFound or Forbidden as the table says."""
    remembered = _remembered()
    channel = None if fresh else remembered.get(slug)
    if channel is None:
        remembered.pop(slug, None)
        channel = _look_up(slug)
        remembered[slug] = channel
    return channel


def _look_up(slug: str) -> IntakeChannel:
    row = db.session.execute(
        sa.select(Channel.id, Channel.kind, Channel.secret, Channel.is_active)
        .where(Channel.slug == slug)
    ).one_or_none()
    refuse_unless_active(slug, row)
    if row.kind == ChannelKind.FORM:
        raise Forbidden(f"channel '{slug}' takes messages only through the contact form")
    if row.kind in POLLED_ONLY:
        raise Forbidden(f"channel '{slug}' is polled; it takes no pushed messages")
    return IntakeChannel(row.id, slug, row.kind, row.secret)


def _remembered() -> dict[str, IntakeChannel]:
    # Per app (tests run several apps on different databases in one process).
    return current_app.extensions.setdefault("desk.intake_channels", {})


def signed_channel(channel: IntakeChannel, body: bytes, header: str | None) -> IntakeChannel:
    """The channel whose secret signed the body; a mismatch with the remembered secret
    asks the table once more (the secret may be new) before it is a 401."""
    try:
        verify_signature(channel, body, header)
        return channel
    except Unauthorized:
        current = intake_channel(channel.slug, fresh=True)
        if current == channel:
            raise
    verify_signature(current, body, header)
    return current


def verify_signature(channel: IntakeChannel, body: bytes, header: str | None) -> None:
    """Check `X-Desk-Signature: sha256=<hex>` over the raw body, in constant time."""
    if not channel.secret:
        raise Unauthorized("this channel has no signing secret; it cannot take signed intake")
    if not header or not header.startswith("sha256="):
        raise Unauthorized("X-Desk-Signature header missing or not of the form sha256=<hex>")
    if not hmac.compare_digest(sign(channel.secret, body), header.strip().lower()):
        raise Unauthorized("the signature does not match the body")


def acknowledge(channel: IntakeChannel, external_id: str, body: bytes,
                header: str | None) -> tuple[int, bool]:
    """Store one verified raw payload; returns (event id, created). Seen before: nothing
    added. A channel changed since it was remembered is judged again as it is now."""
    raw = body.decode("utf-8")
    event_id = _store_unless_changed(channel, external_id, raw)
    if event_id is None:
        # A duplicate, or the channel changed: paused or gone is a 403 or 404 here, a new
        # secret is checked as a new request would be.
        current = intake_channel(channel.slug, fresh=True)
        if current != channel:
            if current.kind != channel.kind:
                raise Conflict(f"channel '{channel.slug}' changed meanwhile; send again")
            verify_signature(current, body, header)
            channel = current
            event_id = _store_unless_changed(channel, external_id, raw)
    if event_id is None:
        existing = existing_event_id(channel.id, external_id)
        if existing is None:
            raise Conflict(f"channel '{channel.slug}' changed meanwhile; send again")
        return existing, False
    schedule_processing()
    commit()  # nothing to commit (the INSERT committed itself); queues the processing run
    return event_id, True


def _store_unless_changed(channel: IntakeChannel, external_id: str, raw: str) -> int | None:
    """INSERT the raw payload if the channel is still as remembered and the (channel,
    external id) is new, in one statement outside a transaction; None otherwise."""
    session = db.session()
    if session.in_transaction():
        session.rollback()  # a look-up of the channel began one; this INSERT needs none
    connection = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return connection.scalar(_store_statement(connection.dialect.name), {
        "channel_id": channel.id, "slug": channel.slug, "kind": channel.kind,
        "secret": channel.secret, "external_id": external_id, "payload": raw,
        "status": IntakeStatus.RECEIVED, "received_at": utcnow(),
    })


@functools.cache
def _store_statement(dialect: str) -> Insert:
    """Built once per process: building the expression cost more than sending it."""
    channels, events = Channel.__table__, IntakeEvent.__table__
    channel_id = sa.bindparam("channel_id", type_=channels.c.id.type)
    unchanged = sa.exists().where(
        channels.c.id == channel_id,
        channels.c.slug == sa.bindparam("slug", type_=channels.c.slug.type),
        channels.c.kind == sa.bindparam("kind", type_=channels.c.kind.type),
        channels.c.secret == sa.bindparam("secret", type_=channels.c.secret.type),
        channels.c.is_active,
    )
    values = sa.select(
        channel_id,
        sa.bindparam("external_id", type_=events.c.external_id.type),
        sa.bindparam("payload", type_=events.c.payload.type),
        sa.bindparam("status", type_=events.c.status.type),
        sa.literal(0),
        sa.bindparam("received_at", type_=events.c.received_at.type),
    ).where(unchanged)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(events)
        .from_select(["channel_id", "external_id", "payload", "status", "attempts",
                      "received_at"], values)
        .on_conflict_do_nothing(index_elements=["channel_id", "external_id"])
        .returning(events.c.id)
    )

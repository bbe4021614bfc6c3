"""Polling channels (feeds, Mastodon, mailboxes): due polls, one poll, storing what came.

A poll stores each new item as an intake event (raw payload first, as every
intake path does) and records on the channel when it ran and its error, if
any. A failing channel keeps its error for the admins and is simply polled
again at its next turn; it never holds up the others.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk import outbound
from desk.channels.connectors import Batch, connector_for, is_polled
from desk.commits import commit
from desk.errors import DeskError, NotFound
from desk.extensions import db
from desk.intake.service import quarantine_raw, schedule_processing, validate_payload
from desk.models import Channel, ChannelKind, IntakeEvent, utcnow

log = logging.getLogger(__name__)

POLLED_KINDS = [kind for kind in ChannelKind if is_polled(kind)]


@dataclass
class PollReport:
    slug: str
    taken: list[str] = field(default_factory=list)  # external ids stored now
    skipped: int = 0
    quarantined: int = 0
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"{self.slug}: error: {self.error}"
        text = f"{self.slug}: {len(self.taken)} new, {self.skipped} filtered out or seen before"
        return text + (f", {self.quarantined} quarantined" if self.quarantined else "")


def due_channels(limit: int = 500) -> list[int]:
    """Claim the active polled channels whose next poll is due; each claimed once.

    The claim is one conditional UPDATE per channel (next_poll_at moved on only
    if it is still what we read), so two schedulers racing cannot poll twice.
    """
    now = utcnow()
    rows = db.session.execute(
        sa.select(Channel.id, Channel.next_poll_at, Channel.poll_interval)
        .where(Channel.is_active, Channel.kind.in_(POLLED_KINDS),
               sa.or_(Channel.next_poll_at.is_(None), Channel.next_poll_at <= now))
        .order_by(Channel.next_poll_at.is_not(None), Channel.next_poll_at, Channel.id)
        .limit(limit)
    ).all()
    claimed = []
    for channel_id, seen, interval in rows:
        same = Channel.next_poll_at.is_(None) if seen is None else Channel.next_poll_at == seen
        result = db.session.execute(
            sa.update(Channel).where(Channel.id == channel_id, same)
            .values(next_poll_at=now + timedelta(seconds=interval))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(channel_id)
    commit()
    return claimed


def poll_channel(channel_id: int) -> PollReport:
    """Poll one channel now; store what is new; record success or the error."""
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"no channel {channel_id}")
    connector = connector_for(channel.kind)
    report = PollReport(channel.slug)
    if connector is None or not is_polled(channel.kind):
        report.error = f"a {channel.kind.value} channel is not polled"
        return report
    try:
        batch: Batch = connector.poll(channel)
    except (outbound.OutboundError, DeskError, ValueError) as exc:
        db.session.rollback()
        return _record_error(channel_id, report, exc)
    except Exception as exc:  # a parser bug must not stop the other channels either
        log.exception("poll of channel %s failed", channel_id)
        db.session.rollback()
        return _record_error(channel_id, report, exc)
    report.skipped = batch.skipped
    for raw, reason in batch.quarantined:
        quarantine_raw(channel, raw, reason)
    report.quarantined = len(batch.quarantined)
    report.taken = store_batch(channel, batch.payloads)
    channel = db.session.get(Channel, channel_id)
    channel.cursor = {k: v for k, v in batch.cursor.items() if k != "to_mark_seen"}
    channel.last_polled_at = utcnow()
    channel.last_error = None
    commit()
    # Only now that it is committed may the source forget it (e-mail: flag \Seen).
    after_stored = getattr(connector, "after_stored", None)
    if after_stored is not None:
        try:
            after_stored(channel, batch.cursor)
        except (outbound.OutboundError, DeskError) as exc:
            return _record_error(channel_id, report, exc)
    return report


def _record_error(channel_id: int, report: PollReport, exc: Exception) -> PollReport:
    report.error = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
    channel = db.session.get(Channel, channel_id)
    channel.last_polled_at = channel.last_error_at = utcnow()
    channel.last_error = report.error[:2000]
    commit()
    log.warning("poll of %s failed: %s", channel.slug, report.error)
    return report


def store_batch(channel: Channel, payloads: list[dict[str, Any]]) -> list[str]:
    """Store the new payloads of one poll in one transaction; returns their external ids.

    Known external ids are skipped in one query; the unique constraint still decides
    when a webhook stored the same item a moment ago (then each is stored on its own).
    """
    fresh = _unseen(channel.id, payloads)
    if not fresh:
        return []
    try:
        with db.session.begin_nested():
            _add_events(channel.id, fresh)
    except IntegrityError:
        stored = []
        for payload in fresh:
            try:
                with db.session.begin_nested():
                    _add_events(channel.id, [payload])
                stored.append(payload)
            except IntegrityError:
                continue
        fresh = stored
    db.session.execute(
        sa.update(Channel).where(Channel.id == channel.id)
        .values(taken_count=Channel.taken_count + len(fresh))
        .execution_options(synchronize_session=False)
    )
    if fresh:
        schedule_processing()
    commit()
    return [payload["external_id"] for payload in fresh]


def add_unseen(channel_id: int, payloads: list[dict[str, Any]]) -> int:
    """Add the payloads not stored yet as intake events, in the caller's transaction."""
    fresh = _unseen(channel_id, payloads)
    if fresh:
        with db.session.begin_nested():
            _add_events(channel_id, fresh)
    return len(fresh)


def _unseen(channel_id: int, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for payload in payloads:
        by_id.setdefault(payload["external_id"], payload)  # a feed may repeat an entry
    known = set(db.session.scalars(
        sa.select(IntakeEvent.external_id).where(IntakeEvent.channel_id == channel_id,
                                                 IntakeEvent.external_id.in_(list(by_id)))
    )) if by_id else set()
    return [payload for key, payload in by_id.items() if key not in known]


def _add_events(channel_id: int, payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        db.session.add(IntakeEvent(channel_id=channel_id, external_id=payload["external_id"],
                                   payload=json.dumps(payload, ensure_ascii=False)))
    db.session.flush()


def check_payloads(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate mapped payloads against the intake schema (connectors' own tests use it)."""
    return [validate_payload(payload) for payload in payloads]

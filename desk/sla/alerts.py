"""Early warning: negative messages per channel and topic against their own baseline.

The baseline of a window is the same hour of the week in each of the last
`DESK_ALERT_WEEKS` weeks, so a Monday-morning rush that happens every Monday is
normal and raises nothing. A spike is a count that is at least
`DESK_ALERT_MIN_COUNT`, more than `DESK_ALERT_SIGMA` deviations above the
baseline's mean (the deviation is at least the square root of the mean, the
noise of a count, and at least 1), and as far out on the variance-stabilised
Poisson scale 2(√count − √mean), so a flat, quiet baseline does not make every
small bump a spike. An alert is unique per (channel, topic, hour); once a
supervisor acknowledges it, the same channel and topic stay quiet for
`QUIET` even if the spike goes on.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from desk import audit, events
from desk.commits import commit, send_after_commit
from desk.errors import Forbidden, NotFound
from desk.extensions import db
from desk.models import Alert, MessageScore, Person, Role, utcnow
from desk.models.base import dialect_insert

WINDOW = timedelta(hours=1)
QUIET = timedelta(hours=6)
ALL_TOPICS = ""  # the topic of a whole channel's count


@dataclass(frozen=True)
class Verdict:
    spike: bool
    mean: float
    deviation: float


def judge(count: int, baseline: list[int], sigma: float, min_count: int) -> Verdict:
    """Is `count` a spike against `baseline` (earlier counts of the same hour of week)?"""
    mean = statistics.fmean(baseline) if baseline else 0.0
    spread = statistics.pstdev(baseline) if len(baseline) > 1 else 0.0
    deviation = max(spread, math.sqrt(mean), 1.0)
    # Counts are Poisson-like: 2(sqrt(x) - sqrt(mean)) is about standard normal, which keeps
    # the tail of a small mean (3 -> 9 happens every few hundred hours) from alerting.
    poisson = 2 * (math.sqrt(count) - math.sqrt(mean))
    spike = count >= min_count and count > mean + sigma * deviation and poisson > sigma
    return Verdict(spike, mean, deviation)


@dataclass
class Tally:
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # week ago -> n
    message_ids: list[int] = field(default_factory=list)  # the current window's messages


def tallies(now: datetime, weeks: int) -> dict[tuple[int, str], Tally]:
    """Negative-message counts per (channel, topic) now and in the same hour of past weeks."""
    windows = [(now - timedelta(weeks=k) - WINDOW, now - timedelta(weeks=k))
               for k in range(weeks + 1)]
    in_windows = sa.or_(*(sa.and_(MessageScore.created_at >= start, MessageScore.created_at < end)
                          for start, end in windows))
    rows = db.session.execute(
        sa.select(MessageScore.message_id, MessageScore.channel_id, MessageScore.topics,
                  MessageScore.created_at)
        .where(MessageScore.is_negative, in_windows)
    )
    found: dict[tuple[int, str], Tally] = defaultdict(Tally)
    for message_id, channel_id, topics, created_at in rows:
        week = next(k for k, (start, end) in enumerate(windows) if start <= created_at < end)
        for topic in [ALL_TOPICS, *topics.split()]:
            tally = found[(channel_id, topic)]
            tally.counts[week] += 1
            if week == 0:
                tally.message_ids.append(message_id)
    return found


def watch(now: datetime | None = None) -> list[int]:
    """Raise an alert for every spike now; returns the new alerts' ids."""
    now = now or utcnow()
    config = current_app.config
    weeks = config["DESK_ALERT_WEEKS"]
    raised = []
    for (channel_id, topic), tally in sorted(tallies(now, weeks).items()):
        count = tally.counts.get(0, 0)
        verdict = judge(count, [tally.counts.get(k, 0) for k in range(1, weeks + 1)],
                        config["DESK_ALERT_SIGMA"], config["DESK_ALERT_MIN_COUNT"])
        if not verdict.spike or _quiet(channel_id, topic, now):
            continue
        alert_id = _insert_once(channel_id, topic, now, count, verdict, tally.message_ids)
        if alert_id is not None:
            raised.append(alert_id)
            send_after_commit(events.alert_raised, alert_id=alert_id, channel_id=channel_id,
                              topic=topic, count=count, baseline_mean=round(verdict.mean, 2))
    commit()
    return raised


def _quiet(channel_id: int, topic: str, now: datetime) -> bool:
    """Acknowledged lately: the same spike does not alert again."""
    return db.session.scalar(
        sa.select(Alert.id).where(Alert.channel_id == channel_id, Alert.topic == topic,
                                  Alert.acknowledged_at >= now - QUIET).limit(1)
    ) is not None


def _insert_once(channel_id: int, topic: str, now: datetime, count: int, verdict: Verdict,
                 message_ids: list[int]) -> int | None:
    statement = dialect_insert(Alert).values(
        channel_id=channel_id, topic=topic, window_start=now.replace(minute=0, second=0,
                                                                     microsecond=0),
        count=count, baseline_mean=verdict.mean, baseline_std=verdict.deviation,
        message_ids=sorted(message_ids)[:200], created_at=now,
    ).on_conflict_do_nothing().returning(Alert.id)
    return db.session.scalar(statement)


def recent_alerts(limit: int = 50) -> list[Alert]:
    return list(db.session.scalars(
        sa.select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def open_alerts() -> list[Alert]:
    """Alerts no supervisor acknowledged yet: the banner shows them."""
    return list(db.session.scalars(
        sa.select(Alert).where(Alert.acknowledged_at.is_(None))
        .order_by(Alert.created_at.desc()).limit(10)))


def acknowledge(person: Person, alert_id: int) -> Alert:
    if not person.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("only supervisors acknowledge alerts")
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = person.id
        audit.record("alert.acknowledged", person, alert_id=alert.id)
    commit()
    return alert

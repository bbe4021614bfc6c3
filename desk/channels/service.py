"""Creating, changing, pausing and finding channels.

Connector settings (feed URL, keywords, API base URL) are kept in
`Channel.settings`; secrets (tokens, app secrets, passwords) in
`Channel.credentials` or, for the HMAC key of signed kinds, `Channel.secret`.
Secrets are write-only: a change replaces them, nothing ever shows them, and the
audit log records only that a secret was set.
"""

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk import audit
from desk.auth.service import find_person, team_named
from desk.channels.connectors import connector_for, credentials, is_polled
from desk.commits import commit
from desk.errors import Conflict, Invalid, NotFound
from desk.extensions import db
from desk.models import Channel, ChannelKind, IntakeEvent, IntakeStatus, Person

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Kinds whose messages arrive signed (HMAC over the body); they cannot work without a secret.
SIGNED_KINDS = frozenset({ChannelKind.WEBHOOK})
# Kinds whose HMAC key is given by the platform (Meta's app secret, X's consumer secret).
PLATFORM_SIGNED = frozenset({ChannelKind.META, ChannelKind.X})
MIN_POLL_INTERVAL = 60


def new_secret() -> str:
    """A signing secret strong enough for HMAC-SHA256 (256 random bits)."""
    return secrets.token_urlsafe(32)


def find_channel(slug: str) -> Channel | None:
    return db.session.scalar(sa.select(Channel).where(Channel.slug == slug))


def get_channel(slug: str) -> Channel:
    channel = find_channel(slug)
    if channel is None:
        raise NotFound(f"no channel '{slug}'")
    return channel


def create_channel(
    slug: str,
    kind: ChannelKind,
    *,
    name: str | None = None,
    secret: str | None = None,
    team: str | None = None,
    owner_email: str | None = None,
    language: str | None = None,
    settings: dict[str, Any] | None = None,
    secrets_given: dict[str, str] | None = None,
    allow_private: bool = False,
    actor: Person | None = None,
) -> Channel:
    """Create a channel; a signed kind without a secret gets a generated one."""
    if not SLUG_PATTERN.match(slug):
        raise Invalid(
            f"slug '{slug}' must be 2-63 characters of a-z, 0-9 and '-', starting with a "
            "letter or digit",
            {"slug": ["does not match ^[a-z0-9][a-z0-9-]{1,62}$"]},
        )
    _check_name(name)
    _check_secret(secret)
    _check_language(language)
    if secret is None and kind in SIGNED_KINDS:
        secret = new_secret()
    if secret is None and kind in PLATFORM_SIGNED:
        raise Invalid(f"a {kind.value} channel needs --secret (the platform's signing secret)",
                      {"secret": ["required"]})
    owner = _owner(owner_email) if owner_email else None
    if find_channel(slug) is not None:  # said first; the constraint below still decides races
        raise Conflict(f"a channel with slug '{slug}' exists already")
    clean_settings, clean_secrets = _configure(kind, settings or {}, secrets_given or {},
                                               allow_private)
    channel = Channel(
        slug=slug,
        name=(name or slug.replace("-", " ").title()).strip()[:120],
        kind=kind,
        secret=secret,
        language=language,
        team=team_named(team) if team else None,
        owner=owner,
        settings=clean_settings,
        credentials=json.dumps(clean_secrets) if clean_secrets else None,
        allow_private=allow_private,
        cursor={},
    )
    db.session.add(channel)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # The unique constraint on the slug decides, even against a concurrent creator.
        db.session.rollback()
        raise Conflict(f"a channel with slug '{slug}' exists already") from exc
    # The secrets themselves never go into the audit log: only which ones were set.
    audit.record("channel.created", actor, slug=slug, kind=kind,
                 team=team, has_secret=secret is not None,
                 secrets_set=sorted(clean_secrets), settings=clean_settings,
                 allow_private=allow_private)
    commit()
    return channel


def update_channel(
    channel_id: int,
    actor: Person | None,
    *,
    name: str | None = None,
    team: str | None = None,
    owner_email: str | None = None,
    language: str | None = None,
    settings: dict[str, Any] | None = None,
    secret: str | None = None,
    secrets_given: dict[str, str] | None = None,
    allow_private: bool | None = None,
    poll_interval: int | None = None,
) -> Channel:
    """Change a channel. Empty secret fields keep the stored secrets (write-only)."""
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"no channel {channel_id}")
    _check_name(name)
    _check_language(language or None)
    changed: dict[str, Any] = {}
    if name is not None and name.strip() != channel.name:
        channel.name = changed["name"] = name.strip()[:120]
    if team is not None:
        channel.team = team_named(team) if team.strip() else None
        changed["team"] = team.strip() or None
    if owner_email is not None:
        channel.owner = _owner(owner_email) if owner_email.strip() else None
        changed["owner"] = owner_email.strip() or None
    if language is not None:
        channel.language = changed["language"] = language or None
    if allow_private is not None and allow_private != channel.allow_private:
        channel.allow_private = changed["allow_private"] = allow_private
    if poll_interval is not None:
        if poll_interval < MIN_POLL_INTERVAL:
            raise Invalid(f"poll at most once a minute ({MIN_POLL_INTERVAL} s)",
                          {"poll_interval": [f"at least {MIN_POLL_INTERVAL}"]})
        channel.poll_interval = changed["poll_interval"] = poll_interval
    new_secrets = {k: v for k, v in (secrets_given or {}).items() if v and v.strip()}
    merged_secrets = {**credentials(channel), **new_secrets}
    if secret and secret.strip():
        channel.secret = secret.strip()
        new_secrets["secret"] = ""  # the audit log names which secrets changed, nothing more
    merged_settings = {**(channel.settings or {}), **(settings or {})}
    clean_settings, clean_secrets = _configure(channel.kind, merged_settings, merged_secrets,
                                               channel.allow_private)
    if clean_settings != (channel.settings or {}):
        changed["settings"] = clean_settings
    channel.settings = clean_settings
    channel.credentials = json.dumps(clean_secrets) if clean_secrets else None
    audit.record("channel.updated", actor, slug=channel.slug, changes=changed,
                 secrets_set=sorted(new_secrets))
    commit()
    return channel


def set_paused(channel_id: int, paused: bool, actor: Person | None) -> Channel:
    """Pause (no intake, no polls) or resume a channel."""
    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(f"no channel {channel_id}")
    channel.is_active = not paused
    if not paused:
        channel.next_poll_at = None  # resume: poll at the next turn
    audit.record("channel.paused" if paused else "channel.resumed", actor, slug=channel.slug)
    commit()
    return channel


def _configure(kind: ChannelKind, settings: dict[str, Any], secrets_given: dict[str, str],
               allow_private: bool) -> tuple[dict[str, Any], dict[str, str]]:
    connector = connector_for(kind)
    if connector is None:
        return {}, {}
    return connector.configure(settings, secrets_given, allow_private)


def _check_name(name: str | None) -> None:
    if name is not None and not name.strip():
        raise Invalid("the name must not be empty", {"name": ["must not be empty"]})


def _check_secret(secret: str | None) -> None:
    if secret is not None and not secret.strip():
        raise Invalid("the secret must not be empty", {"secret": ["must not be empty"]})


def _check_language(language: str | None) -> None:
    if language is not None and not re.fullmatch(r"[a-z]{2}(-[A-Za-z]{2})?", language):
        raise Invalid(f"language '{language}' is not a language code like de or en",
                      {"language": ["not a language code"]})


def _owner(email: str) -> Person:
    person = find_person(email)
    if person is None:
        raise NotFound(f"no person with e-mail {email}")
    return person


@dataclass(frozen=True)
class ChannelStatus:
    """A channel as admins see it in lists: settings and health, never secrets."""

    channel: Channel
    received: int
    waiting: int
    failed: int

    @property
    def polled(self) -> bool:
        return is_polled(self.channel.kind)

    def as_json(self) -> dict[str, Any]:
        c = self.channel
        return {
            "id": c.id, "slug": c.slug, "name": c.name, "kind": c.kind.value,
            "active": c.is_active, "language": c.language,
            "team": c.team.name if c.team else None,
            "owner": c.owner.email if c.owner else None,
            "settings": c.settings or {}, "allow_private": c.allow_private,
            "has_secret": bool(c.secret), "secrets_set": sorted(credentials(c)),
            "polled": self.polled, "poll_interval": c.poll_interval,
            "last_polled_at": _iso(c.last_polled_at), "next_poll_at": _iso(c.next_poll_at),
            "last_error": c.last_error, "last_error_at": _iso(c.last_error_at),
            "taken": c.taken_count,
            "counts": {"received": self.received, "waiting": self.waiting,
                       "failed": self.failed},
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def channel_statuses() -> list[ChannelStatus]:
    """Every channel with its intake counts (one grouped query)."""
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        sa.select(IntakeEvent.channel_id, IntakeEvent.status, sa.func.count())
        .group_by(IntakeEvent.channel_id, IntakeEvent.status)
    )
    for channel_id, status, number in rows:
        counts.setdefault(channel_id, {})[status] = number
    channels = db.session.scalars(sa.select(Channel).order_by(Channel.slug)).all()
    result = []
    for channel in channels:
        mine = counts.get(channel.id, {})
        result.append(ChannelStatus(
            channel,
            received=sum(mine.values()),
            waiting=mine.get(IntakeStatus.RECEIVED, 0) + mine.get(IntakeStatus.PROCESSING, 0),
            failed=mine.get(IntakeStatus.FAILED, 0),
        ))
    return result

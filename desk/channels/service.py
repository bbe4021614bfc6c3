"""Creating and finding channels."""

import re
import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk import audit
from desk.auth.service import find_person, team_named
from desk.commits import commit
from desk.errors import Conflict, Invalid, NotFound
from desk.extensions import db
from desk.models import Channel, ChannelKind, Person

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Kinds whose messages arrive signed (HMAC over the body); they cannot work without a secret.
SIGNED_KINDS = frozenset({ChannelKind.WEBHOOK})


def new_secret() -> str:
    """A signing secret strong enough for HMAC-SHA256 (256 random bits)."""
    return secrets.token_urlsafe(32)


def find_channel(slug: str) -> Channel | None:
    return db.session.scalar(sa.select(Channel).where(Channel.slug == slug))


def create_channel(
    slug: str,
    kind: ChannelKind,
    *,
    name: str | None = None,
    secret: str | None = None,
    team: str | None = None,
    owner_email: str | None = None,
    language: str | None = None,
    actor: Person | None = None,
) -> Channel:
    """Create a channel; a signed kind without a secret gets a generated one."""
    if not SLUG_PATTERN.match(slug):
        raise Invalid(
            f"slug '{slug}' must be 2-63 characters of a-z, 0-9 and '-', starting with a "
            "letter or digit",
            {"slug": ["does not match ^[a-z0-9][a-z0-9-]{1,62}$"]},
        )
    if name is not None and not name.strip():
        raise Invalid("the name must not be empty", {"name": ["must not be empty"]})
    if secret is not None and not secret.strip():
        raise Invalid("the secret must not be empty", {"secret": ["must not be empty"]})
    if language is not None and not re.fullmatch(r"[a-z]{2}(-[A-Za-z]{2})?", language):
        raise Invalid(f"language '{language}' is not a language code like de or en",
                      {"language": ["not a language code"]})
    if secret is None and kind in SIGNED_KINDS:
        secret = new_secret()
    channel = Channel(
        slug=slug,
        name=(name or slug.replace("-", " ").title()).strip()[:120],
        kind=kind,
        secret=secret,
        language=language,
        team=team_named(team) if team else None,
        owner=_owner(owner_email) if owner_email else None,
    )
    db.session.add(channel)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # The unique constraint on the slug decides, even against a concurrent creator.
        db.session.rollback()
        raise Conflict(f"a channel with slug '{slug}' exists already") from exc
    # The secret itself never goes into the audit log.
    audit.record("channel.created", actor, slug=slug, kind=kind,
                 team=team, has_secret=secret is not None)
    commit()
    return channel


def _owner(email: str) -> Person:
    person = find_person(email)
    if person is None:
        raise NotFound(f"no person with e-mail {email}")
    return person

"""Connectors: one module per kind of channel, each with the same shape.

A connector module offers:

- `describe() -> Description`: what it is, how it takes messages in, whether it replies;
- `configure(settings, credentials, allow_private)`: check and normalise what an admin
  entered (raises `desk.errors.Invalid`);
- for polled kinds, `poll(channel) -> Batch`: new items as intake payloads plus the
  cursor to continue from;
- for webhook kinds, `handshake(channel, args) -> (body, status)` (GET verification)
  and `webhook(channel, body, headers) -> list[payload]` (verifies the signature first,
  raises `Unauthorized`/`Forbidden`, or `Unreadable` for a body it cannot map);
- for kinds that reply, `send(channel, reply) -> remote id`, and `find_sent(channel,
  reply) -> remote id | None` to reconcile a send whose answer was lost.

Every payload is the documented intake payload (DESIGN.md, "Intake"), stored by
`desk.intake.service`; the mapping of each platform is in docs/connectors.md.
"""

import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from desk.errors import DeskError, Invalid
from desk.models import Channel, ChannelKind


@dataclass(frozen=True)
class Description:
    kind: str
    title: str
    intake: str  # "poll", "webhook", "signed" (desk's own JSON) or "form"
    replies: bool  # False: a person posts replies by hand
    settings: tuple[str, ...] = ()
    credentials: tuple[str, ...] = ()


@dataclass
class Batch:
    """What one poll took in: payloads (newest last) and where to continue."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    skipped: int = 0  # items seen but filtered out (keywords) or known
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (raw, reason)


@dataclass(frozen=True)
class OutboundReply:
    """A reply as a connector needs it: the text and what it answers."""

    outbox_id: int
    text: str
    in_reply_to: str | None  # external id of the contact's newest message
    thread_key: str
    contact_handle: str
    original_url: str | None
    subject: str = ""


class Unreadable(DeskError):
    """A signed, authentic body that cannot be mapped: stored and quarantined."""

    status = 202
    title = "Stored for review"


class SendRefused(Exception):
    """The platform refused the reply for good (a 4xx): retrying will not help."""


class SendFailed(Exception):
    """This attempt failed before anything was sent; a later one may work."""


def connector_for(kind: ChannelKind | str) -> ModuleType | None:
    """The connector module of a kind, or None for desk's own webhook and form."""
    from desk.channels.connectors import email, feed, mastodon, meta, x

    return {
        ChannelKind.EMAIL: email,
        ChannelKind.FEED: feed,
        ChannelKind.META: meta,
        ChannelKind.MASTODON: mastodon,
        ChannelKind.X: x,
    }.get(ChannelKind(kind))


def can_reply(channel: Channel) -> bool:
    """Whether desk sends replies on this channel itself; without the platform's access
    token a channel is read-only, and replies are posted by hand."""
    connector = connector_for(channel.kind)
    if not (connector and connector.describe().replies):
        return False
    if hasattr(connector, "can_send"):
        return connector.can_send(channel)
    return bool(credentials(channel).get("token"))


def is_polled(kind: ChannelKind | str) -> bool:
    connector = connector_for(kind)
    return bool(connector and connector.describe().intake == "poll")


def credentials(channel: Channel) -> dict[str, str]:
    """The channel's secrets; only connectors read them, nothing shows them."""
    if not channel.credentials:
        return {}
    try:
        return json.loads(channel.credentials)
    except ValueError:
        return {}


def required(values: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not (values.get(name) or "").strip()]
    if missing:
        raise Invalid(f"missing: {', '.join(missing)}", {name: ["required"] for name in missing})

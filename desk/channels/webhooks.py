"""Platform webhooks at the channel's own /api/v1/intake/<slug>: handshake and events.

The connector checks the platform's signature over the raw body first (a bad
one stores nothing); each mapped item is stored as an intake event; an
authentic delivery that cannot be mapped is stored whole and quarantined.
"""

from typing import Any

from desk.channels import polling
from desk.channels.connectors import Unreadable, connector_for
from desk.errors import Forbidden, Invalid
from desk.intake.service import quarantine_raw, validate_payload
from desk.models import Channel, ChannelKind, IntakeEvent

PLATFORM_KINDS = frozenset({ChannelKind.META, ChannelKind.X})


def handshake(channel: Channel, args: dict[str, str]) -> tuple[str, int]:
    connector = connector_for(channel.kind)
    if channel.kind not in PLATFORM_KINDS or connector is None:
        raise Forbidden(f"channel '{channel.slug}' has no verification handshake")
    return connector.handshake(channel, args)


def take(channel: Channel, body: bytes, headers: Any) -> dict[str, Any]:
    """Verify and store one platform delivery; returns what was stored."""
    connector = connector_for(channel.kind)
    assert connector is not None  # noqa: S101 - only called for PLATFORM_KINDS
    raw = body.decode("utf-8", "replace")
    try:
        payloads = connector.webhook(channel, body, headers)
    except Unreadable as exc:
        return {"stored": [], "quarantined": [quarantine_raw(channel, raw, exc.detail)]}
    good, quarantined = [], []
    for payload in payloads:
        try:
            validate_payload(payload)  # raises Invalid naming the fields
            good.append(payload)
        except Invalid as exc:
            quarantined.append(quarantine_raw(channel, str(payload), exc.detail))
    stored = polling.store_batch(channel, good)
    return {"stored": stored, "quarantined": quarantined}



def remap_quarantined(event: IntakeEvent) -> int:
    """Map a stored raw delivery or mail again (an admin retried it after a fix).

    Adds the mapped items as new intake events in the current transaction (the
    running intake run picks them up); raises Unreadable/Unparseable/Invalid when
    it still cannot be read. Returns how many items were added.
    """
    import base64
    import json

    from desk.channels.mail import read_mail
    from desk.channels.polling import add_unseen
    from desk.extensions import db

    channel = db.session.get(Channel, event.channel_id)
    if channel.kind == ChannelKind.EMAIL:
        raw = base64.b64decode(json.loads(event.payload)["raw_mime_b64"])
        mail = read_mail(raw)
        payloads = [] if mail.ignored else [{**mail.payload, "raw_mime_b64":
                                             base64.b64encode(raw).decode()}]
    elif channel.kind in PLATFORM_KINDS:
        payloads = connector_for(channel.kind).map_delivery(event.payload.encode())
    else:
        raise Invalid("only platform deliveries and mails are mapped again", {})
    for payload in payloads:
        validate_payload(payload)
    return add_unseen(channel.id, payloads)

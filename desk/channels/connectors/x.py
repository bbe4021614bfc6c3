"""X (Twitter): Account Activity webhooks for mentions, replies through the v2 API.

CRC: `GET ?crc_token=<t>` answers `{"response_token": "sha256=<base64 HMAC-SHA256 of
the token with the consumer secret>"}`. Events: `POST` signed with
`x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the raw body>`
(else 401, nothing stored); `tweet_create_events` become intake payloads,
except the account's own tweets. Replies: `POST {api}/2/tweets` with
`reply.in_reply_to_tweet_id`, the user access token as bearer.
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from desk import outbound
from desk.channels.connectors import (
    Description,
    OutboundReply,
    SendFailed,
    SendRefused,
    Unreadable,
    credentials,
)
from desk.errors import Invalid, Unauthorized
from desk.models import Channel

API_URL = "https://api.x.com"


def describe() -> Description:
    return Description(kind="x", title="X (Account Activity API)", intake="webhook",
                       replies=True, settings=("url",), credentials=("token",))


def configure(settings: dict[str, Any], secrets: dict[str, str],
              allow_private: bool) -> tuple[dict[str, Any], dict[str, str]]:
    base = (settings.get("url") or API_URL).strip().rstrip("/")
    outbound.check_url_at_save(base, allow_private)
    kept = {"token": secrets["token"].strip()} if (secrets.get("token") or "").strip() else {}
    return {"url": base}, kept


def _digest(secret: str, data: bytes) -> str:
    mac = hmac.new(secret.encode(), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


def handshake(channel: Channel, args: dict[str, str]) -> tuple[str, int]:
    token = args.get("crc_token")
    if not token:
        raise Invalid("crc_token is missing", {"crc_token": ["required"]})
    return json.dumps({"response_token": _digest(channel.secret or "", token.encode())}), 200


def webhook(channel: Channel, body: bytes, headers: Any) -> list[dict[str, Any]]:
    header = headers.get("x-twitter-webhooks-signature") or ""
    if not channel.secret or not hmac.compare_digest(_digest(channel.secret, body).encode(),
                                                     header.strip().encode()):
        raise Unauthorized("x-twitter-webhooks-signature missing or not matching the body")
    return map_delivery(body)


def map_delivery(body: bytes) -> list[dict[str, Any]]:
    """An authentic delivery's tweets as intake payloads (also for a quarantined retry)."""
    try:
        data = json.loads(body)
        own = str(data.get("for_user_id") or "")
        payloads = [tweet_payload(tweet) for tweet in data.get("tweet_create_events") or []
                    if str(tweet["user"]["id_str"]) != own]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Unreadable(f"cannot map this X delivery: {exc!r}") from exc
    return [payload for payload in payloads if payload]


def tweet_payload(tweet: dict[str, Any]) -> dict[str, Any] | None:
    text = (tweet.get("extended_tweet") or {}).get("full_text") or tweet.get("text") or ""
    if not text.strip():
        return None
    user = tweet["user"]
    payload: dict[str, Any] = {
        "external_id": str(tweet["id_str"]),
        "text": text,
        "author": {"handle": "@" + user["screen_name"], "name": user.get("name"),
                   "reach": max(int(user.get("followers_count") or 0), 0)},
        "url": f"https://x.com/{user['screen_name']}/status/{tweet['id_str']}",
    }
    if tweet.get("in_reply_to_status_id_str"):
        payload["in_reply_to"] = str(tweet["in_reply_to_status_id_str"])
    created = _time(tweet.get("created_at"))
    if created:
        payload["created_at"] = created.isoformat()
    if tweet.get("lang") and tweet["lang"] != "und":
        payload["language"] = tweet["lang"][:8]
    return payload


def _time(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def send(channel: Channel, reply: OutboundReply) -> str:
    token = credentials(channel).get("token")
    if not token:
        raise SendRefused("the channel has no user access token (set one under Channels)")
    if not reply.in_reply_to:
        raise SendRefused("nothing on X to answer: the ticket has no tweet id")
    body = {"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.in_reply_to}}
    response = outbound.fetch("POST", f"{channel.settings.get('url') or API_URL}/2/tweets",
                              json=body, headers={"Authorization": f"Bearer {token}"},
                              allow_private=channel.allow_private, follow_redirects=False)
    if response.ok:
        return str(response.json()["data"]["id"])
    if response.status == 429 or response.status >= 500:
        raise SendFailed(f"X answered HTTP {response.status}")
    try:
        reason = response.json().get("detail") or ""
    except (ValueError, AttributeError):
        reason = ""
    raise SendRefused(f"X refused the reply (HTTP {response.status}) {reason}".strip())

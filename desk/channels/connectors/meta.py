"""Meta webhooks: Facebook page comments and Messenger messages, Instagram comments.

Verification: `GET ?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<c>`
answers the challenge when the token matches (else 403). Events: `POST` with
`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app
secret>` (else 401, nothing stored). Replies go through the Graph API:
`POST /{comment-id}/comments` (Facebook), `POST /{comment-id}/replies`
(Instagram), `POST /me/messages` (Messenger), with the page access token.
"""

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from desk import outbound
from desk.channels.connectors import (
    Description,
    OutboundReply,
    SendFailed,
    SendRefused,
    Unreadable,
    credentials,
    required,
)
from desk.errors import Forbidden, Unauthorized
from desk.models import Channel

GRAPH_URL = "https://graph.facebook.com/v21.0"
FB_COMMENT, IG_COMMENT, FB_MESSAGE = "fb-comment:", "ig-comment:", "fb-message:"
DM_THREAD = "fb-dm:"


def describe() -> Description:
    return Description(kind="meta", title="Facebook and Instagram (Meta webhooks)",
                       intake="webhook", replies=True, settings=("url",),
                       credentials=("verify_token", "token"))


def configure(settings: dict[str, Any], secrets: dict[str, str],
              allow_private: bool) -> tuple[dict[str, Any], dict[str, str]]:
    required(secrets, "verify_token")
    base = (settings.get("url") or GRAPH_URL).strip().rstrip("/")
    outbound.check_url_at_save(base, allow_private)
    kept = {"verify_token": secrets["verify_token"].strip()}
    if (secrets.get("token") or "").strip():
        kept["token"] = secrets["token"].strip()
    return {"url": base}, kept


def handshake(channel: Channel, args: dict[str, str]) -> tuple[str, int]:
    """Meta's subscription check: echo hub.challenge for the right verify token."""
    expected = credentials(channel).get("verify_token") or ""
    given = args.get("hub.verify_token") or ""
    if args.get("hub.mode") != "subscribe" or not expected \
            or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Forbidden("wrong hub.mode or hub.verify_token")
    return args.get("hub.challenge") or "", 200


def verify(channel: Channel, body: bytes, headers: Any) -> None:
    header = headers.get("X-Hub-Signature-256") or ""
    if not channel.secret or not header.startswith("sha256="):
        raise Unauthorized("X-Hub-Signature-256 missing or not of the form sha256=<hex>")
    expected = hmac.new(channel.secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower()):
        raise Unauthorized("X-Hub-Signature-256 does not match the body")


def webhook(channel: Channel, body: bytes, headers: Any) -> list[dict[str, Any]]:
    """Verify, then map every comment and message of the delivery to intake payloads."""
    verify(channel, body, headers)
    return map_delivery(body)


def map_delivery(body: bytes) -> list[dict[str, Any]]:
    """An authentic delivery's items as intake payloads (also for a quarantined retry)."""
    import json

    try:
        data = json.loads(body)
        return list(_payloads(data))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Unreadable(f"cannot map this Meta delivery: {exc!r}") from exc


def _payloads(data: dict[str, Any]) -> Any:
    kind = data["object"]
    for entry in data["entry"]:
        own_id = str(entry.get("id"))
        for change in entry.get("changes") or []:
            payload = (_facebook_comment(change, own_id) if kind == "page"
                       else _instagram_comment(change, own_id) if kind == "instagram"
                       else None)
            if payload:
                yield payload
        for event in entry.get("messaging") or []:
            payload = _message(event, own_id)
            if payload:
                yield payload


def _facebook_comment(change: dict[str, Any], page_id: str) -> dict[str, Any] | None:
    value = change["value"]
    if change.get("field") != "feed" or value.get("item") != "comment" \
            or value.get("verb") != "add":
        return None  # likes, edits, removals and posts are not complaints to answer
    author = value.get("from") or {}
    if str(author.get("id")) == page_id:
        return None  # our own reply, echoed back
    payload = {
        "external_id": FB_COMMENT + str(value["comment_id"]),
        "text": value.get("message") or "",
        "author": {"handle": "fb:" + str(author.get("id") or "unknown"),
                   "name": author.get("name")},
        "url": value.get("permalink_url") or
        f"https://www.facebook.com/{value.get('post_id', '')}",
        "created_at": _time(value.get("created_time")),
    }
    parent = value.get("parent_id")
    if parent and parent != value.get("post_id"):
        payload["in_reply_to"] = FB_COMMENT + str(parent)
    return _with_media(payload, [value.get("photo"), value.get("video")])


def _instagram_comment(change: dict[str, Any], account_id: str) -> dict[str, Any] | None:
    value = change["value"]
    if change.get("field") not in ("comments", "live_comments"):
        return None
    author = value.get("from") or {}
    if str(author.get("id")) == account_id:
        return None
    payload = {
        "external_id": IG_COMMENT + str(value["id"]),
        "text": value.get("text") or "",
        "author": {"handle": "@" + str(author.get("username") or author.get("id") or "unknown"),
                   "name": author.get("username")},
        "url": None,
    }
    if value.get("parent_id"):
        payload["in_reply_to"] = IG_COMMENT + str(value["parent_id"])
    return payload


def _message(event: dict[str, Any], page_id: str) -> dict[str, Any] | None:
    message = event.get("message")
    sender = str((event.get("sender") or {}).get("id") or "")
    if not isinstance(message, dict) or message.get("is_echo") or sender == page_id:
        return None
    payload = {
        "external_id": FB_MESSAGE + str(message["mid"]),
        "text": message.get("text") or "",
        "author": {"handle": "fb:" + sender, "name": None},
        # One Messenger conversation per person: their messages join one ticket.
        "thread_id": DM_THREAD + sender,
        "created_at": _time(event.get("timestamp")),
    }
    media = [(a.get("payload") or {}).get("url") for a in message.get("attachments") or []]
    return _with_media(payload, media)


def _with_media(payload: dict[str, Any], urls: list[Any]) -> dict[str, Any] | None:
    links = [url for url in urls if isinstance(url, str) and url.startswith("https://")]
    if links:
        payload["media"] = links[:20]
        if not payload["text"].strip():
            payload["text"] = "\n".join(links)  # a picture without words
    if not payload["text"].strip():
        return None
    return {key: value for key, value in payload.items() if value is not None}


def _time(value: Any) -> str | None:
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value  # Messenger sends milliseconds
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("+0000", "+00:00")).isoformat()
        except ValueError:
            return None
    return None


def send(channel: Channel, reply: OutboundReply) -> str:
    target = reply.in_reply_to or ""
    token = credentials(channel).get("token")
    if not token:
        raise SendRefused("the channel has no page access token (set one under Channels)")
    base = channel.settings.get("url") or GRAPH_URL
    # The remote id is returned in the same namespace as inbound ids, so an answer to
    # our reply names a message desk knows.
    if target.startswith(FB_COMMENT):
        url, body = f"{base}/{target.removeprefix(FB_COMMENT)}/comments", {"message": reply.text}
        namespace = FB_COMMENT
    elif target.startswith(IG_COMMENT):
        url, body = f"{base}/{target.removeprefix(IG_COMMENT)}/replies", {"message": reply.text}
        namespace = IG_COMMENT
    elif reply.thread_key.startswith(DM_THREAD):
        url, namespace = f"{base}/me/messages", FB_MESSAGE
        body = {"recipient": {"id": reply.thread_key.removeprefix(DM_THREAD)},
                "message": {"text": reply.text}, "messaging_type": "RESPONSE"}
    else:
        raise SendRefused("nothing on Meta to answer: the ticket has no comment or message id")
    response = outbound.fetch("POST", url, json=body, allow_private=channel.allow_private,
                              headers={"Authorization": f"Bearer {token}"},
                              follow_redirects=False)
    if response.ok:
        data = response.json()
        return namespace + str(data.get("id") or data.get("message_id"))
    if response.status == 429 or response.status >= 500:
        raise SendFailed(f"the Graph API answered HTTP {response.status}")
    try:
        reason = (response.json().get("error") or {}).get("message") or ""
    except (ValueError, AttributeError):
        reason = ""
    raise SendRefused(f"the Graph API refused the reply (HTTP {response.status}) {reason}".strip())


def find_sent(channel: Channel, reply: OutboundReply) -> str | None:
    """Our comment under the replied-to comment, if it is there (Messenger cannot tell)."""
    target = reply.in_reply_to or ""
    if not target.startswith((FB_COMMENT, IG_COMMENT)):
        raise SendRefused("Messenger offers no way to check; check the conversation")
    token = credentials(channel).get("token", "")
    base = channel.settings.get("url") or GRAPH_URL
    edge = "comments" if target.startswith(FB_COMMENT) else "replies"
    comment_id = target.split(":", 1)[1]
    response = outbound.fetch("GET", f"{base}/{comment_id}/{edge}?fields=id,message,from",
                              headers={"Authorization": f"Bearer {token}"},
                              allow_private=channel.allow_private)
    if not response.ok:
        raise SendFailed(f"the Graph API answered HTTP {response.status}")
    namespace = target.split(":", 1)[0] + ":"
    for comment in response.json().get("data") or []:
        if (comment.get("message") or comment.get("text") or "").strip() == reply.text.strip():
            return namespace + str(comment["id"])
    return None

"""Mastodon: mentions through the notifications API, replies as statuses.

Poll: `GET {base}/api/v1/notifications?types[]=mention&since_id=<cursor>` with the
account's access token, paging back with `max_id` when a page is full. Reply:
`POST {base}/api/v1/statuses` with `in_reply_to_id` and an `Idempotency-Key`
(the outbox id), visibility `direct` for conversations that began as direct
messages. Reconcile: the replied-to status's context is searched for our reply.
"""

from typing import Any

from desk import outbound
from desk.channels.connectors import (
    Batch,
    Description,
    OutboundReply,
    SendFailed,
    SendRefused,
    credentials,
    required,
)
from desk.models import Channel

PAGE = 40
MAX_PAGES = 10
DIRECT_THREAD = "masto-dm:"


def describe() -> Description:
    return Description(kind="mastodon", title="Mastodon account", intake="poll", replies=True,
                       settings=("url",), credentials=("token",))


def configure(settings: dict[str, Any], secrets: dict[str, str],
              allow_private: bool) -> tuple[dict[str, Any], dict[str, str]]:
    required(settings, "url")
    base = settings["url"].strip().rstrip("/")
    outbound.check_url_at_save(base, allow_private)
    token = (secrets.get("token") or "").strip()
    return {"url": base}, {"token": token} if token else {}


def _headers(channel: Channel) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials(channel).get('token', '')}",
            "Accept": "application/json"}


def _get(channel: Channel, path: str, params: str) -> Any:
    url = f"{channel.settings['url']}{path}?{params}"
    response = outbound.fetch("GET", url, headers=_headers(channel),
                              allow_private=channel.allow_private)
    if response.status in (401, 403):
        raise outbound.OutboundError(f"Mastodon refused the token (HTTP {response.status})")
    if not response.ok:
        raise outbound.OutboundError(f"Mastodon answered HTTP {response.status}")
    try:
        return response.json()
    except ValueError as exc:
        raise outbound.OutboundError("Mastodon answered something that is not JSON") from exc


def poll(channel: Channel) -> Batch:
    if not credentials(channel).get("token"):
        raise outbound.OutboundError("no access token: set one (--token) to read mentions")
    cursor = dict(channel.cursor or {})
    since = cursor.get("since_id")
    seen: list[dict[str, Any]] = []
    max_id = None
    for _page in range(MAX_PAGES):
        params = f"types[]=mention&limit={PAGE}"
        if since:
            params += f"&since_id={since}"
        if max_id:
            params += f"&max_id={max_id}"
        page = _get(channel, "/api/v1/notifications", params)
        if not isinstance(page, list):
            raise outbound.OutboundError("Mastodon's notifications are not a list")
        seen.extend(page)
        if len(page) < PAGE:
            break
        max_id = min((n["id"] for n in page), key=_id_order)
    batch = Batch(cursor=cursor)
    for notification in seen:
        payload = notification_payload(notification)
        if payload is None:
            batch.skipped += 1
        else:
            batch.payloads.append(payload)
    if seen:
        cursor["since_id"] = max((n["id"] for n in seen), key=_id_order)
    batch.payloads.sort(key=lambda p: _id_order(p["external_id"]))
    return batch


def _id_order(value: str) -> tuple[int, str]:
    # Mastodon ids are decimal strings of growing length; compare them as numbers.
    return (len(str(value)), str(value))


def notification_payload(notification: dict[str, Any]) -> dict[str, Any] | None:
    """One mention notification as an intake payload (docs/connectors.md)."""
    status = notification.get("status")
    account = notification.get("account") or {}
    if notification.get("type") != "mention" or not isinstance(status, dict):
        return None
    content = status.get("content") or ""
    media = [m.get("url") for m in status.get("media_attachments") or [] if m.get("url")]
    if not content.strip():
        if not media:
            return None
        content = " ".join(media)
    payload: dict[str, Any] = {
        "external_id": str(status["id"]),
        "html": content,
        "author": {"handle": "@" + (account.get("acct") or "unknown"),
                   "name": account.get("display_name") or account.get("username"),
                   "reach": max(int(account.get("followers_count") or 0), 0)},
        "url": status.get("url") or status.get("uri"),
        "created_at": status.get("created_at"),
    }
    if status.get("in_reply_to_id"):
        payload["in_reply_to"] = str(status["in_reply_to_id"])
    if status.get("visibility") == "direct":
        payload["thread_id"] = DIRECT_THREAD + (account.get("acct") or "unknown")
    if status.get("language"):
        payload["language"] = status["language"][:8]
    if media:
        payload["media"] = media[:20]
    return payload


def _status_text(reply: OutboundReply) -> str:
    handle = reply.contact_handle if reply.contact_handle.startswith("@") else ""
    # Mastodon threads a reply for its readers only when it mentions the author.
    return f"{handle} {reply.text}".strip() if handle and handle not in reply.text else reply.text


def send(channel: Channel, reply: OutboundReply) -> str:
    form = {"status": _status_text(reply),
            "visibility": "direct" if reply.thread_key.startswith(DIRECT_THREAD) else "public"}
    if reply.in_reply_to:
        form["in_reply_to_id"] = reply.in_reply_to
    headers = {**_headers(channel), "Idempotency-Key": f"desk-outbox-{reply.outbox_id}"}
    response = outbound.fetch("POST", f"{channel.settings['url']}/api/v1/statuses",
                              data=form, headers=headers, allow_private=channel.allow_private,
                              follow_redirects=False)
    if response.ok:
        return str(response.json()["id"])
    _raise_for(response)
    raise AssertionError("unreachable")


def _raise_for(response: outbound.Response) -> None:
    if response.status == 429 or response.status >= 500:
        raise SendFailed(f"Mastodon answered HTTP {response.status}; trying again later")
    try:
        reason = response.json().get("error") or ""
    except (ValueError, AttributeError):
        reason = ""
    raise SendRefused(f"Mastodon refused the reply (HTTP {response.status}) {reason}".strip())


def find_sent(channel: Channel, reply: OutboundReply) -> str | None:
    """Our reply under the replied-to status, if it is there; None if it certainly is not."""
    if not reply.in_reply_to:
        raise SendFailed("no replied-to status to look under")
    context = _get(channel, f"/api/v1/statuses/{reply.in_reply_to}/context", "")
    me = _get(channel, "/api/v1/accounts/verify_credentials", "")
    text = _status_text(reply)
    for status in context.get("descendants") or []:
        if (str(status.get("in_reply_to_id")) == reply.in_reply_to
                and (status.get("account") or {}).get("id") == me.get("id")
                and _plain(text) in _plain(status.get("content") or "")):
            return str(status["id"])
    return None


def _plain(html: str) -> str:
    from desk.sanitize import clean_html, html_to_text

    return " ".join(html_to_text(clean_html(html)).split())

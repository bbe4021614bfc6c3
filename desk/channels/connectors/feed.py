"""Feeds (RSS and Atom): forums, blogs, review sites, Mastodon and Reddit feeds.

Polled with a conditional GET (ETag / Last-Modified), parsed by feedparser from
the bytes we fetched (feedparser fetches nothing itself, and its XML parser has
external entities switched off), filtered by the channel's keywords, deduplicated
by entry id (guid), or link + date when a feed gives none. Feeds take no
replies: a person posts them by hand.
"""

import calendar
import hashlib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from desk import outbound
from desk.channels.connectors import Batch, Description, OutboundReply, required
from desk.errors import Invalid
from desk.models import Channel

MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 500


def describe() -> Description:
    return Description(kind="feed", title="RSS/Atom feed", intake="poll", replies=False,
                       settings=("url", "keywords"))


def configure(settings: dict[str, Any], credentials: dict[str, str],
              allow_private: bool) -> tuple[dict[str, Any], dict[str, str]]:
    required(settings, "url")
    outbound.check_url_at_save(settings["url"], allow_private)
    keywords = [k.strip() for k in settings.get("keywords") or [] if k and k.strip()]
    for keyword in keywords:
        if keyword in ("-", "!"):
            raise Invalid("a keyword must not be only a minus sign",
                          {"keywords": ["empty negation"]})
    return {"url": settings["url"].strip(), "keywords": keywords}, {}


def matches(keywords: list[str], text: str) -> bool:
    """Keyword and brand filter: any negated term ("-x" or "!x") drops the entry; else
    at least one plain term must occur (no plain terms: everything passes)."""
    folded = text.casefold()
    wanted = []
    for keyword in keywords:
        if keyword[0] in "-!":
            if _occurs(keyword[1:], folded):
                return False
        else:
            wanted.append(keyword)
    return not wanted or any(_occurs(term, folded) for term in wanted)


def _occurs(term: str, folded: str) -> bool:
    term = term.strip().strip('"').casefold()
    # Whole words: "DB" must not match "feedback"; a brand like "@bahn" or "#db" too.
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", folded) is not None


def poll(channel: Channel) -> Batch:
    """Fetch the feed (conditionally) and turn its new entries into payloads."""
    headers = {"Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, "
                         "text/xml;q=0.8, */*;q=0.1"}
    cursor = dict(channel.cursor or {})
    if cursor.get("etag"):
        headers["If-None-Match"] = cursor["etag"]
    if cursor.get("last_modified"):
        headers["If-Modified-Since"] = cursor["last_modified"]
    response = outbound.fetch("GET", channel.settings["url"], headers=headers,
                              allow_private=channel.allow_private, max_bytes=MAX_FEED_BYTES)
    if response.status == 304:
        return Batch(cursor=cursor)
    if not response.ok:
        raise outbound.OutboundError(f"the feed answered HTTP {response.status}")
    parsed = parse(response.body)
    for name, header in (("etag", "etag"), ("last_modified", "last-modified")):
        if response.headers.get(header):
            cursor[name] = response.headers[header]
    batch = Batch(cursor=cursor)
    keywords = channel.settings.get("keywords") or []
    for entry in parsed.entries[:MAX_ENTRIES]:
        payload = entry_payload(entry, parsed.feed, channel.settings["url"])
        if payload is None or not matches(keywords, payload["subject"] + " " + _text(payload)):
            batch.skipped += 1
            continue
        batch.payloads.append(payload)
    batch.payloads.reverse()  # oldest first, so tickets open in the order people wrote
    return batch


def parse(body: bytes) -> Any:
    """Parse feed bytes; Invalid when they are not a feed at all."""
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise Invalid(f"not a feed: {reason}", {"url": ["not an RSS or Atom feed"]})
    return parsed


def entry_payload(entry: Any, feed: Any, feed_url: str) -> dict[str, Any] | None:
    link = entry.get("link") or ""
    published = _time(entry.get("published_parsed") or entry.get("updated_parsed"))
    title = (entry.get("title") or "").strip()
    summary = _body(entry)
    if not summary.strip() and not title:
        return None
    external_id = (entry.get("id") or entry.get("guid") or "").strip()
    if not external_id or len(external_id) > 200:
        # No usable guid: the link and date name the entry; hashed to fit the column.
        basis = f"{link}|{published.isoformat() if published else ''}|{title}"
        external_id = "feed:" + hashlib.sha256(basis.encode()).hexdigest()
    author = (entry.get("author") or feed.get("title") or urlsplit(feed_url).hostname or "feed")
    payload: dict[str, Any] = {
        "external_id": external_id,
        "subject": title[:200] or summary[:80],
        "html": summary or title,
        "author": {"handle": author.strip()[:200], "name": author.strip()[:200]},
        "url": link[:2000] or None,
    }
    if published:
        payload["created_at"] = published.isoformat()
    language = (feed.get("language") or "")[:2].lower()
    if re.fullmatch(r"[a-z]{2}", language):
        payload["language"] = language
    return payload


def _body(entry: Any) -> str:
    for content in entry.get("content") or []:
        if content.get("value"):
            return content["value"]
    return entry.get("summary") or ""


def _text(payload: dict[str, Any]) -> str:
    from desk.sanitize import clean_html, html_to_text

    return html_to_text(clean_html(payload["html"]))


def _time(parsed: Any) -> datetime | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def send(channel: Channel, reply: OutboundReply) -> str:
    raise NotImplementedError("feeds take no replies")  # can_reply() is False

"""Channels: feed polls at scale and e-mail parsing.

    .venv/bin/python -m bench.channels [--db sqlite|postgresql|both] [--channels 100]
        [--entries 50] [--mails 1000]

(a) feeds   `--channels` feed channels, each an RSS document of `--entries` entries
            served by a local HTTP server (127.0.0.1, allow_private): one sweep of
            polls (fetch, parse, filter, store the new entries as intake events; the
            processing run is only queued, on Redis db 13 by default), then a second
            sweep where every feed answers 304 to the conditional GET, then the
            intake processing of everything stored (events to tickets, in-process).
(b) e-mail  `--mails` realistic MIME messages (plain, multipart/alternative with HTML,
            quoted-printable and base64 bodies, ISO-8859-1 and UTF-8, RFC 2047 subjects,
            attachments, replies with References) built from the GermEval 2017 posts
            in ../shared/data (read through a loader, never copied), then parsed by
            `desk.channels.mail.read_mail`.

Texts come from /work/shared/data (DESK_SHARED_DATA overrides). The client, the
server and the database share the same 2 cores.
"""

import argparse
import base64
import csv
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from redis import Redis

from bench.common import (
    REDIS_URL,
    create_bench_app,
    database_names,
    format_table,
    fresh_database,
    git_revision,
    load_average,
    machine_summary,
    migrate,
    progress,
)

DATA_DIR = Path(os.environ.get("DESK_SHARED_DATA")
                or Path(__file__).resolve().parents[2] / "shared" / "data")


def shared_texts(limit: int = 3000) -> list[str]:
    """Post texts of the GermEval 2017 dev set (German posts about rail travel)."""
    path = DATA_DIR / "germeval2017_dev.tsv"
    texts = []
    with path.open(encoding="utf-8", newline="") as handle:
        for cells in csv.reader(handle, delimiter="\t"):
            if len(cells) >= 2 and cells[1].strip():
                texts.append(cells[1].strip())
            if len(texts) >= limit:
                break
    return texts


# -- feeds ----------------------------------------------------------------------------------


def rss_document(feed: int, entries: int, texts: list[str]) -> bytes:
    items = []
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(entries):
        text = texts[(feed * entries + n) % len(texts)]
        when = format_datetime(start + timedelta(minutes=feed * entries + n))
        items.append(f"<item><title>{escape(text[:70])}</title>"
                     f"<link>https://forum.example/t/{feed}/{n}</link>"
                     f"<guid>forum-{feed}-{n}</guid><pubDate>{when}</pubDate>"
                     f"<description>{escape('<p>' + escape(text) + '</p>')}</description></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Forum {feed}</title><link>https://forum.example/</link>"
            "<language>de</language>" + "".join(items) + "</channel></rss>").encode()


class FeedServer:
    def __init__(self, documents: dict[str, bytes]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = documents.get(self.path)
                etag = f'"{self.path}"'
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


def bench_feeds(kind: str, channels: int, entries: int, texts: list[str]) -> list[tuple]:
    from desk.channels.polling import poll_channel
    from desk.channels.service import create_channel
    from desk.extensions import db
    from desk.intake.service import process_pending
    from desk.models import Channel, ChannelKind, IntakeEvent, Ticket

    url = fresh_database(kind, "desk-bench-channels")
    app = create_bench_app(url)
    migrate(app)
    server = FeedServer({f"/feed/{i}": rss_document(i, entries, texts) for i in range(channels)})
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    app.extensions["desk.redis"] = redis  # processing runs are queued, not run, during polls
    rows = []
    with app.app_context():
        ids = [create_channel(f"forum-{i}", ChannelKind.FEED, allow_private=True,
                              settings={"url": f"{server.url}/feed/{i}"}).id
               for i in range(channels)]
        for label in ("first sweep (all new)", "second sweep (304 Not Modified)"):
            progress(f"{kind}: feeds, {label}")
            started = time.perf_counter()
            taken = sum(len(poll_channel(channel_id).taken) for channel_id in ids)
            seconds = time.perf_counter() - started
            rows.append((kind, label, channels, taken, seconds, channels / seconds,
                         taken / seconds if taken else None))
        errors = db.session.scalar(sa.select(sa.func.count()).select_from(Channel)
                                   .where(Channel.last_error.is_not(None)))
        progress(f"{kind}: intake processing of the stored entries")
        app.extensions.pop("desk.redis")
        started = time.perf_counter()
        done = process_pending(app.config["DESK_INTAKE_BATCH"])
        seconds = time.perf_counter() - started
        tickets = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
        events = db.session.scalar(sa.select(sa.func.count()).select_from(IntakeEvent))
        rows.append((kind, f"processing to tickets ({tickets} tickets)", channels, done,
                     seconds, None, done / seconds if seconds else None))
        assert errors == 0, f"{errors} channels reported an error"
        assert events == channels * entries
    server.httpd.shutdown()
    redis.flushdb()
    return rows


# -- e-mail ---------------------------------------------------------------------------------


def realistic_mail(n: int, text: str) -> bytes:
    """One of several shapes customers' mail clients produce."""
    shape = n % 5
    message = EmailMessage()
    message["From"] = f"Kundin {n} <kundin{n}@example.org>"
    message["To"] = "service@example.com"
    message["Subject"] = ("Re: " if shape == 4 else "") + text[:60]  # non-ASCII: RFC 2047
    message["Message-ID"] = f"<mail-{n}@example.org>"
    message["Date"] = format_datetime(datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n))
    if shape == 4:
        message["In-Reply-To"] = f"<mail-{n - 1}@example.org>"
        message["References"] = f"<mail-{n - 4}@example.org> <mail-{n - 1}@example.org>"
    if shape == 0:
        message.set_content(text)
    elif shape == 1:
        latin = text.encode("iso-8859-1", "replace").decode("iso-8859-1")
        message.set_content(latin, charset="iso-8859-1", cte="quoted-printable")
    elif shape == 2:
        message.set_content(text)
        message.add_alternative(f"<html><body><p>{escape(text)}</p></body></html>",
                                subtype="html")
    elif shape == 3:
        message.set_content(text, cte="base64")
        message.add_attachment(base64.b64decode("iVBORw0KGgoAAAANSUhEUg==") * 200,
                               maintype="image", subtype="png", filename="foto.png")
    else:
        quoted = "\n".join("> " + line for line in text.splitlines())
        message.set_content(f"Ich warte immer noch.\n\nAm 1.11. schrieben Sie:\n{quoted}")
    return message.as_bytes()


def bench_mail(count: int, texts: list[str]) -> list[tuple]:
    from desk.channels.mail import read_mail

    mails = [realistic_mail(n, texts[n % len(texts)]) for n in range(count)]
    size = sum(len(m) for m in mails)
    started = time.perf_counter()
    parsed = [read_mail(raw) for raw in mails]
    seconds = time.perf_counter() - started
    assert all(p.payload["text"] for p in parsed)
    return [("parse", count, size / count, seconds, count / seconds,
             seconds / count * 1000)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.channels", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--mails", type=int, default=1000)
    args = parser.parse_args(argv)
    load_at_start = load_average()
    texts = shared_texts()
    feed_rows = [row for kind in database_names(args.db)
                 for row in bench_feeds(kind, args.channels, args.entries, texts)]
    progress(f"parsing {args.mails} e-mails")
    mail_rows = bench_mail(args.mails, texts)
    from bench.common import PG_URL

    print(machine_summary(PG_URL if "postgresql" in database_names(args.db) else None,
                          git_revision()))
    print(f"\nfeeds: {args.channels} channels x {args.entries} entries, local HTTP server\n")
    print(format_table(("db", "phase", "channels", "entries stored", "seconds",
                        "channels/s", "entries/s"), feed_rows))
    print(f"\ne-mail: {args.mails} MIME messages from GermEval texts\n")
    print(format_table(("step", "mails", "mean bytes", "seconds", "mails/s", "ms per mail"),
                       mail_rows))
    print(f"\nload average at start (1/5/15 min): {load_at_start}")


if __name__ == "__main__":
    main()

"""Feed channels: RSS and Atom polled with conditional GET, filtered, deduplicated.

The feeds are served by a local HTTP server (tests/platforms.py) speaking RSS 2.0
and Atom 1.0 as their specifications describe; the real sites cannot be reached
from here. The channels opt into loopback with `allow_private`.
"""

import sqlalchemy as sa

from desk.channels import jobs as channel_jobs
from desk.channels.polling import poll_channel
from desk.channels.service import create_channel, get_channel
from desk.errors import Invalid
from desk.extensions import db
from desk.models import Channel, ChannelKind, IntakeEvent, Message, Ticket, utcnow
from tests.platforms import Reply


def rss(*items: tuple[str, str, str | None, str | None]) -> str:
    """An RSS 2.0 document; each item is (title, description, guid, pubDate)."""
    body = []
    for title, description, guid, date in items:
        parts = [f"<title>{title}</title>", f"<description>{description}</description>",
                 f"<link>https://forum.example/t/{abs(hash(title))}</link>"]
        if guid:
            parts.append(f"<guid>{guid}</guid>")
        if date:
            parts.append(f"<pubDate>{date}</pubDate>")
        body.append("<item>" + "".join(parts) + "</item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>Forum</title><link>https://forum.example/</link><language>de</language>"
            + "".join(body) + "</channel></rss>")


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:blog</id>
<updated>2026-11-20T10:00:00Z</updated>
<entry><id>urn:blog:1</id><title>Zug schon wieder weg</title>
<link href="https://blog.example/1"/><updated>2026-11-20T10:00:00Z</updated>
<author><name>Pendlerin</name></author>
<content type="html">&lt;p&gt;Die &lt;b&gt;Bahn&lt;/b&gt; hat mich versetzt 🚆&lt;/p&gt;
</content></entry>
</feed>"""


def feed_channel(platform, slug="forum", path="/feed", keywords=()):
    return create_channel(slug, ChannelKind.FEED, allow_private=True,
                          settings={"url": platform.url + path, "keywords": list(keywords)})


def tickets(app, slug="forum"):
    with app.app_context():
        return db.session.scalars(
            sa.select(Ticket).join(Channel).where(Channel.slug == slug).order_by(Ticket.id)
        ).all()


def test_rss_entries_become_tickets_once(app, ctx, platform):
    platform.route("GET", "/feed", Reply(200, rss(
        ("Bahn zu spät", "Mein Zug kam nicht", "g1", "Mon, 23 Nov 2026 08:00:00 +0000"),
        ("Noch einmal Bahn", "<p>Wieder <script>x()</script>nichts</p>", "g2", None),
    ), {"Content-Type": "application/rss+xml"}))
    channel = feed_channel(platform)
    report = poll_channel(channel.id)
    # A feed lists the newest first; they are taken in oldest first.
    assert report.taken == ["g2", "g1"]
    assert report.error is None
    found = tickets(app)
    assert [t.subject for t in found] == ["Noch einmal Bahn", "Bahn zu spät"]
    body = db.session.scalar(sa.select(Message.body_html).where(Message.external_id == "g2"))
    assert "script" not in body and "nichts" in body
    # Polled again: the same entries add nothing.
    assert poll_channel(channel.id).taken == []
    assert len(tickets(app)) == 2
    assert get_channel("forum").taken_count == 2


def test_atom_with_html_content_and_emoji(app, ctx, platform):
    platform.route("GET", "/feed", Reply(200, ATOM, {"Content-Type": "application/atom+xml"}))
    channel = feed_channel(platform)
    assert poll_channel(channel.id).taken == ["urn:blog:1"]
    message = db.session.scalar(sa.select(Message).where(Message.external_id == "urn:blog:1"))
    assert "<b>Bahn</b>" in message.body_html and "🚆" in message.body_text
    assert message.url == "https://blog.example/1"


def test_conditional_get_sends_etag_and_last_modified(app, ctx, platform):
    calls = []

    def answer(seen):
        calls.append(seen.headers)
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, rss(("Bahn", "kaputt", "g1", None)),
                     {"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 08:00:00 GMT"})

    platform.route("GET", "/feed", answer)
    channel = feed_channel(platform)
    assert len(poll_channel(channel.id).taken) == 1
    report = poll_channel(channel.id)
    assert report.taken == [] and report.error is None
    assert calls[1]["if-none-match"] == '"v1"'
    assert calls[1]["if-modified-since"] == "Mon, 23 Nov 2026 08:00:00 GMT"


def test_keyword_and_brand_filters_with_negation(app, ctx, platform):
    platform.route("GET", "/feed", Reply(200, rss(
        ("DB Regio verspätet", "Zug fällt aus", "a", None),
        ("Feedback zur Seite", "nichts mit Zügen", "b", None),
        ("DB Gewinnspiel", "Werbung: jetzt gewinnen", "c", None),
        ("@bahn hilft nicht", "seit Stunden", "d", None),
    )))
    channel = feed_channel(platform, keywords=["DB", "@bahn", "-gewinnspiel", "!Werbung"])
    report = poll_channel(channel.id)
    assert sorted(report.taken) == ["a", "d"]  # "DB" is a word: "Feedback" does not match
    assert report.skipped == 2


def test_entries_without_guid_are_named_by_link_and_date(app, ctx, platform):
    platform.route("GET", "/feed", Reply(200, rss(
        ("Ohne Kennung", "erster", None, "Mon, 23 Nov 2026 08:00:00 +0000"),
        ("Ohne Kennung 2", "zweiter", None, "Mon, 23 Nov 2026 09:00:00 +0000"),
    )))
    channel = feed_channel(platform)
    taken = poll_channel(channel.id).taken
    assert len(taken) == 2 and all(t.startswith("feed:") for t in taken)
    assert poll_channel(channel.id).taken == []


def test_a_broken_feed_shows_its_error_and_does_not_hold_up_the_others(app, ctx, platform):
    platform.route("GET", "/broken", Reply(200, "<html><body>Not a feed</body></html>",
                                           {"Content-Type": "text/html"}))
    platform.route("GET", "/big", Reply(200, b"<rss>" + b"x" * (6 * 1024 * 1024)))
    platform.route("GET", "/good", Reply(200, rss(("Bahn", "kaputt", "g1", None))))
    feed_channel(platform, "broken", "/broken")
    feed_channel(platform, "big", "/big")
    feed_channel(platform, "good", "/good")
    assert channel_jobs.poll_due_channels() == 3  # in-process: each poll ran now
    db.session.expire_all()
    assert "not a feed" in get_channel("broken").last_error
    assert "bytes" in get_channel("big").last_error
    assert get_channel("good").last_error is None and len(tickets(app, "good")) == 1
    # Not due again until its interval passed; then the fixed feed is read and the error goes.
    assert channel_jobs.poll_due_channels() == 0
    platform.route("GET", "/broken", Reply(200, rss(("Bahn", "wieder da", "x1", None))))
    db.session.execute(sa.update(Channel).values(next_poll_at=utcnow()))
    db.session.commit()
    assert channel_jobs.poll_due_channels() == 3
    db.session.expire_all()
    assert get_channel("broken").last_error is None
    assert len(tickets(app, "broken")) == 1


def test_a_slow_feed_times_out_with_a_clear_error(app, ctx, platform, monkeypatch):
    from desk import outbound

    monkeypatch.setattr(outbound, "TIMEOUT", 0.5)
    platform.route("GET", "/slow", Reply(200, rss(("a", "b", "c", None)), delay=1.5))
    channel = feed_channel(platform, path="/slow")
    report = poll_channel(channel.id)
    assert report.error and "time" in report.error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeEvent)) == 0


def test_feed_urls_on_internal_addresses_are_refused_when_saved(app, ctx):
    for url in ("http://127.0.0.1/feed", "http://[::ffff:10.0.0.1]/", "http://2130706433/"):
        try:
            create_channel("intranet", ChannelKind.FEED, settings={"url": url})
        except Invalid as exc:
            assert "may not be reached" in exc.detail
        else:
            raise AssertionError(f"{url} was accepted")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Channel)) == 0


def test_a_paused_feed_is_not_polled(app, ctx, platform):
    from desk.channels.service import set_paused

    platform.route("GET", "/feed", Reply(200, rss(("Bahn", "kaputt", "g1", None))))
    channel = feed_channel(platform)
    set_paused(channel.id, True, None)
    assert channel_jobs.poll_due_channels() == 0
    assert platform.seen == []


def test_replies_on_a_feed_are_for_posting_by_hand(app, ctx, platform, make_person):
    from desk.models import Delivery, OutboxItem, OutboxState, Role
    from desk.replies.service import add_reply

    platform.route("GET", "/feed", Reply(200, rss(("Bahn", "kaputt", "g1", None))))
    poll_channel(feed_channel(platform).id)
    person = make_person(roles=(Role.AGENT,))
    ticket = tickets(app)[0]
    reply = add_reply(person, ticket.id, "Das tut uns leid!")
    assert reply.delivery == Delivery.MANUAL
    item = db.session.scalar(sa.select(OutboxItem))
    assert item.state == OutboxState.MANUAL


def test_external_entities_in_a_feed_are_not_resolved(app, ctx, platform):
    evil = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            '<rss version="2.0"><channel><title>x</title><item><guid>e1</guid>'
            "<title>Bahn</title><description>&xxe;</description></item></channel></rss>")
    platform.route("GET", "/feed", Reply(200, evil))
    poll_channel(feed_channel(platform).id)
    bodies = " ".join(db.session.scalars(sa.select(Message.body_text)))
    assert "root:" not in bodies

"""Real complaints (../shared/data) through the importer: German posts and Twitter threads."""

import csv
import re
from collections import defaultdict

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.intake import importer
from desk.models import IntakeEvent, IntakeStatus, Message, Ticket
from tests import shared_data
from tests.shared_data import germeval_posts, twcs_customer_rows, twcs_tweets, words

UMLAUT = re.compile("[äöüÄÖÜß]")


def test_loaders_read_every_record():
    tweets = twcs_tweets()
    assert len(tweets) == 5000
    assert {t.inbound for t in tweets} == {True, False}
    assert len(germeval_posts()) == 2584


def test_missing_data_fails_instead_of_skipping(monkeypatch, tmp_path):
    monkeypatch.setenv("DESK_SHARED_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.fail.Exception, match="DESK_SHARED_DATA"):
        shared_data.data_file(shared_data.TWCS)


def test_conversation_roots_follow_the_reply_chain():
    tweets = [
        shared_data.Tweet("1", "c", True, None, "root", None),
        shared_data.Tweet("2", "brand", False, None, "answer", "1"),
        shared_data.Tweet("3", "c", True, None, "again", "2"),
        shared_data.Tweet("4", "d", True, None, "parent not in file", "99"),
    ]
    assert shared_data.conversation_roots(tweets) == {"1": "1", "2": "1", "3": "1", "4": "4"}


@pytest.fixture
def germeval_relevant():
    """The relevant posts among the first 300 GermEval documents."""
    posts = [post for post in germeval_posts(limit=300) if post.relevant]
    assert len(posts) > 200
    return posts


def test_german_posts_become_tickets_with_their_text_and_umlauts_intact(
        app, runner, make_channel, tmp_path, germeval_relevant):
    make_channel(slug="listening")
    path = tmp_path / "germeval.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["external_id", "text", "author_handle",
                                                    "language"])
        writer.writeheader()
        writer.writerows(post.import_row() for post in germeval_relevant)

    result = runner.invoke(args=["desk", "import", str(path), "--channel", "listening"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{len(germeval_relevant)} new, 0 already known, 0 rejected"
    with app.app_context():
        bodies = dict(db.session.execute(
            sa.select(Message.external_id, Message.body_text)).all())
        tickets = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    assert tickets == len(germeval_relevant)  # every post is its own conversation
    with_umlauts = 0
    for post in germeval_relevant:
        stored = bodies[f"germeval-{post.number}"]
        assert words(stored) == words(post.text)
        with_umlauts += bool(UMLAUT.search(stored))
    assert with_umlauts > 100

    again = runner.invoke(args=["desk", "import", str(path), "--channel", "listening"])
    assert again.stdout.strip() == f"0 new, {len(germeval_relevant)} already known, 0 rejected"


def test_tweets_of_one_conversation_join_one_ticket(app, ctx, make_channel):
    make_channel(slug="twitter")
    rows, roots = twcs_customer_rows(max_rows=300)
    conversations = set(roots.values())
    assert len(conversations) < len(rows)  # some conversations have several customer tweets

    report = importer.import_rows(
        (importer.Row(number, row) for number, row in enumerate(rows, start=1)), "twitter")

    assert (report.new, report.rejected, report.failed) == (len(rows), [], 0)
    assert set(db.session.scalars(sa.select(IntakeEvent.status))) == {IntakeStatus.PROCESSED}
    ticket_of = dict(db.session.execute(
        sa.select(Message.external_id, Message.ticket_id)).all())
    tickets_by_conversation = defaultdict(set)
    for tweet_id, root in roots.items():
        tickets_by_conversation[root].add(ticket_of[f"twcs-{tweet_id}"])
    assert all(len(tickets) == 1 for tickets in tickets_by_conversation.values())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == len(
        conversations)
    counts = dict(db.session.execute(
        sa.select(Ticket.thread_key, Ticket.message_count)).all())
    for root in conversations:
        assert counts[f"twcs-{root}"] == sum(1 for r in roots.values() if r == root)


def test_plain_text_becomes_the_same_html_with_or_without_the_link_shortcut():
    """text_to_html skips bleach.linkify when the text cannot hold a link; on every real
    post and tweet the result is what linkify itself gives."""
    import bleach

    from desk import sanitize

    texts = [post.text for post in germeval_posts()] + [t.text for t in twcs_tweets()]
    linked = 0
    for text in texts:
        html = sanitize.text_to_html(text)
        assert html == bleach.linkify(html, callbacks=[sanitize._external_link],
                                      parse_email=False), text
        linked += "<a " in html
    assert linked > 100  # the sample has links, and they are still made clickable

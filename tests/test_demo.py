"""`flask desk demo`: a realistic, idempotent demo loaded through the real services."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk.auth.service import authenticate
from desk.demo.content import PEOPLE, THREADS
from desk.extensions import db
from desk.models import (
    Channel,
    ChannelKind,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
    utcnow,
)
from tests.shared_data import germeval_posts, twcs_tweets, words


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["desk", "demo"])
    assert result.exit_code == 0, result.output
    return result


def table_counts(app):
    with app.app_context():
        return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


def test_demo_people_can_sign_in_and_channels_take_complaints(app, client, demo):
    lines = demo.stdout.splitlines()
    with app.app_context():
        for person in PEOPLE:
            assert authenticate(person.email, person.password) is not None
            [row] = [line for line in lines if line.startswith(person.email)]
            assert person.password in row
        channels = {c.slug: c for c in db.session.scalars(sa.select(Channel))}
        webhook = channels["social-listening"]
        assert webhook.kind == ChannelKind.WEBHOOK and len(webhook.secret) >= 40
        assert demo.stdout.count(webhook.secret) == 1
        assert {c.kind for c in channels.values()} >= {ChannelKind.FORM, ChannelKind.FEED,
                                                        ChannelKind.MASTODON}
    assert re.fullmatch(r"Sign in at http://127\.0\.0\.1:\d+/login", lines[-1])

    # The public contact form needs the channel "contact-form".
    response = client.post("/contact", data={
        "name": "Erika Mustermann", "email": "erika@example.com",
        "subject": "Rechnung doppelt", "message": "Sie haben im März zweimal abgebucht.",
    })
    assert response.status_code == 302
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.subject == "Rechnung doppelt"))
        assert ticket.channel.slug == "contact-form" and ticket.team.name == "Abrechnung"


def test_demo_tickets_look_like_a_real_queue(app, demo):
    now = utcnow()
    with app.app_context():
        tickets = db.session.scalars(sa.select(Ticket)).all()
        messages = db.session.scalars(sa.select(Message)).all()
    assert 60 <= len(tickets) <= 80
    assert {t.status for t in tickets} == set(Status)
    assert {t.priority for t in tickets} == set(Priority)
    assert {t.contact.language for t in tickets} == {"de", "en"}
    assert sum(t.assignee_id is not None for t in tickets) >= 20
    assert any(t.contact.reach >= 40_000 for t in tickets)
    open_due = [t.due_at for t in tickets if t.is_open and t.due_at]
    assert any(due < now for due in open_due) and any(due > now for due in open_due)
    assert all(now - timedelta(days=3) <= t.created_at <= now for t in tickets)
    assert any(t.message_count >= 3 for t in tickets)
    kinds = {m.kind for m in messages}
    assert kinds == set(MessageKind)
    # Every inbound message came through intake, as real complaints do.
    assert all(m.intake_event_id for m in messages if m.kind == MessageKind.INBOUND)
    for ticket in tickets:
        if ticket.first_response_at is not None:
            assert ticket.created_at <= ticket.first_response_at <= now
        # Routed like real intake: the channel's default team.
        assert ticket.team_id == ticket.channel.team_id


def test_running_the_demo_again_changes_nothing_and_says_so(app, runner, demo):
    before = table_counts(app)
    again = runner.invoke(args=["desk", "demo"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == "Demo data is loaded already; nothing changed."
    assert "Signing secret" not in again.stdout
    assert table_counts(app) == before


def test_demo_texts_are_our_own_not_from_the_licensed_samples():
    """The shared samples are non-commercial: nothing of them may ship in the demo."""
    sample = {words(post.text) for post in germeval_posts()}
    sample |= {words(tweet.text) for tweet in twcs_tweets()}
    corpus = "\n".join(sample)
    for thread in THREADS:
        for step in thread.timeline:
            # Any 60 characters in a row found in the samples would be a copy.
            text = words(step.text)
            if len(text) < 60:
                continue  # "DM sent." is everyone's, not a copy
            for start in range(0, len(text) - 59, 30):
                assert text[start:start + 60] not in corpus, (thread.key, text)

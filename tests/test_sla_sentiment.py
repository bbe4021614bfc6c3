"""Sentiment (German and English) and risk-based priority on inbound messages."""

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import Escalation, EscalationKind, MessageScore, Priority, Role
from desk.sla.sentiment import guess_language, score
from tests.sentiment_data import english_set, german_set, measure
from tests.sla_helpers import clocks, only_ticket_id, post_intake


@pytest.mark.parametrize(("text", "language"), [
    ("Der Zug ist schon wieder ausgefallen!", "de"),
    ("Totaler Mist, nie wieder diese Airline", "de"),
    ("Paket kaputt angekommen 😡", "de"),
    ("This is the worst service ever", "en"),
    ("My package arrived broken 😡", "en"),
])
def test_complaints_are_negative(text, language):
    assert score(text, language) < -0.3


@pytest.mark.parametrize(("text", "language"), [
    ("Danke, super Service!", "de"),
    ("Sehr freundlicher Mitarbeiter 👍", "de"),
    ("Thanks, great help!", "en"),
])
def test_praise_is_positive(text, language):
    assert score(text, language) > 0.3


def test_negation_turns_a_word_around():
    assert score("Das war gut", "de") > 0 > score("Das war nicht gut", "de")
    assert score("Das ist schlecht", "de") < 0 < score("Das ist nicht schlecht", "de")
    assert score("It was good", "en") > 0 > score("It was not good", "en")


def test_intensifiers_caps_and_exclamations_strengthen():
    assert score("Das ist extrem schlecht", "de") < score("Das ist schlecht", "de")
    assert score("Das ist SCHLECHT", "de") < score("Das ist schlecht", "de")
    assert score("Das ist schlecht!!!", "de") < score("Das ist schlecht", "de")
    assert score("This is really bad", "en") < score("This is bad", "en")


def test_emoji_alone_carry_sentiment():
    assert score("Lieferung 😡😡", "de") < 0 < score("Lieferung 😍", "de")
    assert score("Delivery 😡", "en") < 0


def test_a_but_shifts_the_weight_to_what_follows():
    assert score("Der Service ist gut, aber die Verspätung ist eine Katastrophe", "de") < 0


def test_the_language_is_guessed_when_unknown():
    assert guess_language("Warum ist der Zug schon wieder zu spät?") == "de"
    assert guess_language("Why is my order late again?") == "en"
    assert score("") == 0.0


def test_labelled_german_set_beats_chance_clearly():
    result = measure(german_set(), threshold=-0.05)
    assert result.total > 2000
    assert result.balanced > 0.6, result


def test_labelled_english_set_beats_chance_clearly():
    result = measure(english_set(), threshold=-0.05)
    assert result.total > 1000
    assert result.balanced > 0.6, result


def test_very_negative_post_from_high_reach_author_escalates_at_once(app, client, make_channel,
                                                                     make_person, api_as):
    make_channel()
    post_intake(client, "m-1", "Totale Katastrophe, schon wieder ausgefallen!!! Nie wieder 😡",
                reach=48_000)
    ticket_id = only_ticket_id(app)
    body = api_as(make_person(roles=(Role.SUPERVISOR,))).get(f"/tickets/{ticket_id}").get_json()
    assert body["priority"] == "urgent"
    assert body["priority_reason"] == "very negative, 48k followers"
    assert body["sentiment"] < -0.6
    assert body["escalation_level"] == 1
    with app.app_context():
        [escalation] = db.session.scalars(sa.select(Escalation)).all()
        assert escalation.kind == EscalationKind.RISK
        assert escalation.reason == "very negative, 48k followers"


def test_negative_post_from_few_followers_keeps_its_priority_with_a_reason(app, client,
                                                                           make_channel):
    make_channel()
    post_intake(client, "m-1", "Der Zug ist zu spät.", reach=80)
    ticket, row = clocks(app, only_ticket_id(app))
    assert ticket.priority == Priority.NORMAL
    assert row.priority_reason == "negative"
    assert ticket.escalation_level == 0


def test_a_friendly_post_from_a_star_changes_nothing(app, client, make_channel):
    make_channel()
    post_intake(client, "m-1", "Danke für die schnelle Hilfe, super!", reach=2_000_000)
    ticket, row = clocks(app, only_ticket_id(app))
    assert ticket.priority == Priority.NORMAL and row.priority_reason is None
    with app.app_context():
        [stored] = db.session.scalars(sa.select(MessageScore)).all()
        assert stored.sentiment > 0 and not stored.is_negative


def test_thresholds_are_configurable(app, client, make_channel):
    make_channel()
    app.config["DESK_RISK_REACH"] = 50
    try:
        post_intake(client, "m-1", "Der Zug ist zu spät.", reach=80)
    finally:
        app.config["DESK_RISK_REACH"] = 10_000
    ticket, row = clocks(app, only_ticket_id(app))
    assert ticket.priority == Priority.HIGH
    assert row.priority_reason == "negative, 80 followers"


def test_long_texts_are_scored_alike_but_not_remembered():
    from desk.sla import sentiment

    long_text = "Der Zug ist schon wieder ausgefallen, eine Katastrophe. " * 100
    assert len(long_text) > sentiment.REMEMBERED_LENGTH
    remembered = sentiment._remembered_score
    before = remembered.cache_info()
    assert sentiment.score(long_text, "de") == sentiment.score(long_text, "de") < 0
    assert remembered.cache_info() == before  # neither looked up nor stored
    short = "Der Zug ist schon wieder ausgefallen!"
    assert sentiment.score(short, "de") == sentiment.score(short, "de") < 0
    assert remembered.cache_info().hits >= before.hits + 1

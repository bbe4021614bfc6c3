"""The FAQ learns: clusters become candidates, replies count links, follow-ups flag entries."""

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import CandidateSource, FaqCandidate, FaqLinkUse, Person, Role
from tests.conftest import login
from tests.faq_helpers import entry_row, make_entry, reply

CANCEL_QUESTIONS = [
    "Wie kann ich mein Ticket stornieren? Ich heiße Karla und bin unter 0171 2345678 erreichbar",
    "Kann ich mein Ticket stornieren lassen?",
    "wie storniere ich ein ticket online",
    "Ticket stornieren, wie geht das?",
]
CANCEL_ANSWERS = [
    "Stornieren können Sie das Ticket online unter Meine Buchungen, bis zum Vortag kostenlos.",
    "Das Ticket stornieren Sie online unter Meine Buchungen, bis zum Vortag kostenlos.",
    "Online unter Meine Buchungen stornieren, bis zum Vortag ist das kostenlos.",
    "Stornieren geht online unter Meine Buchungen, bis zum Vortag kostenlos.",
]


@pytest.fixture
def agent(make_person):
    return make_person(email="anna@example.com", name="Anna Agent")


@pytest.fixture
def editor(make_person):
    return make_person(email="emil@example.com", name="Emil Editor", roles=(Role.FAQ_EDITOR,))


def answered(app, agent, make_ticket, pairs):
    for n, (question, answer) in enumerate(pairs):
        ticket = make_ticket(subject=question[:60], text=question, handle=f"@kunde{n}")
        reply(app, agent, ticket.id, answer)


def cluster_candidates(app):
    with app.app_context():
        return [(c.question, c.cluster_size, c.language) for c in db.session.scalars(
            sa.select(FaqCandidate).where(FaqCandidate.source == CandidateSource.CLUSTER))]


def test_frequent_consistently_answered_questions_become_candidates(app, runner, agent,
                                                                    make_ticket, editor):
    answered(app, agent, make_ticket, zip(CANCEL_QUESTIONS, CANCEL_ANSWERS, strict=True))
    # Asked often, but answered every time differently: not a candidate.
    answered(app, agent, make_ticket, [
        ("Warum ist mein Zug verspätet?", "Eine Weichenstörung in Hamm."),
        ("Warum ist der Zug verspätet heute?", "Personen im Gleis, sorry!"),
        ("Zug verspätet, warum?", "Wir prüfen das gern per DM."),
    ])
    # Answered alike, but asked only twice: not frequent enough.
    answered(app, agent, make_ticket, [
        ("Gibt es WLAN im ICE?", "Ja, WLAN gibt es in allen ICE."),
        ("WLAN im ICE vorhanden?", "Ja, WLAN gibt es in allen ICE."),
    ])

    result = runner.invoke(args=["desk", "faq-suggest"])
    assert result.exit_code == 0, result.output
    assert "created: 1" in result.output
    [(question, size, language)] = cluster_candidates(app)
    assert size == 4 and language.value == "de"
    assert "stornier" in question.lower()
    assert "0171" not in question and "Karla" not in question

    again = runner.invoke(args=["desk", "faq-suggest"])
    assert "created: 0" in again.output
    assert len(cluster_candidates(app)) == 1

    client = app.test_client()
    login(client, editor.email)
    page = client.get("/faq/review").get_data(as_text=True)
    assert 'id="frequent"' in page and "4 tickets" in page


def test_a_cluster_an_entry_already_answers_is_not_proposed(app, runner, agent, editor,
                                                           make_ticket):
    make_entry(app, agent, editor, make_ticket, "Wie kann ich mein Ticket stornieren?",
               "Online unter Meine Buchungen.", "Buchung", "de")
    answered(app, agent, make_ticket, zip(CANCEL_QUESTIONS, CANCEL_ANSWERS, strict=True))
    result = runner.invoke(args=["desk", "faq-suggest"])
    assert "created: 0" in result.output and "covered: 1" in result.output


def test_tickets_that_still_come_in_flag_the_entry(app, runner, agent, editor, make_ticket):
    entry = make_entry(app, agent, editor, make_ticket, "Wie kann ich mein Ticket stornieren?",
                       "Online unter Meine Buchungen.", "Buchung", "de")
    for n in range(5):
        make_ticket(text=f"Wie kann ich mein Ticket stornieren? Versuch {n}", handle=f"@k{n}")
    make_ticket(text="Der Kaffee im Bordbistro war kalt.", handle="@kaffee")
    result = runner.invoke(args=["desk", "faq-suggest"])
    assert result.exit_code == 0, result.output
    assert entry_row(app, entry.id).followup_count == 5
    client = app.test_client()
    login(client, editor.email)
    entries_page = client.get("/faq/entries").get_data(as_text=True)
    assert 'class="is-flagged"' in entries_page and "tickets still come in" in entries_page
    assert "Wie kann ich mein Ticket stornieren?" in client.get("/faq/review").get_data(
        as_text=True)


def test_unhelpful_entries_are_flagged(app, agent, editor, make_ticket):
    from desk.faq import service

    entry = make_entry(app, agent, editor, make_ticket, "Where is my luggage?",
                       "Ask at the station.", "Travel", "en")
    with app.app_context():
        for n in range(5):
            service.vote(entry.slug, f"visitor-{n}", helpful=n == 0)
    stored = entry_row(app, entry.id)
    assert stored.helpful_ratio == pytest.approx(0.2)
    assert service.needs_review(stored) == ["unhelpful"]


def test_the_ticket_pane_offers_matching_entries_to_insert(app, client, agent, editor,
                                                           make_ticket):
    entry = make_entry(app, agent, editor, make_ticket, "Wie kann ich mein Ticket stornieren?",
                       "Online unter Meine Buchungen, bis zum Vortag kostenlos.", "Buchung",
                       "de")
    make_entry(app, agent, editor, make_ticket, "Darf ich mein Fahrrad mitnehmen?",
               "Ja, mit Fahrradkarte.", "Reisen", "de")
    ticket = make_ticket(subject="Stornierung", text="Hallo, wie storniere ich mein Ticket?")
    login(client, agent.email)
    pane = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    suggestions = pane[pane.index('id="faq-suggestions"'):pane.index('id="contact-title"')]
    assert f'data-faq-slug="{entry.slug}"' in suggestions
    assert f'data-faq-insert="http://localhost/faq/{entry.slug}"' in suggestions
    assert "Online unter Meine Buchungen, bis zum Vortag kostenlos." in suggestions
    assert "Fahrrad" not in suggestions
    assert 'src="/static/js/faq.js"' in pane


def test_faq_links_in_sent_replies_are_counted_once(app, agent, editor, make_ticket):
    from desk.faq import service

    entry = make_entry(app, agent, editor, make_ticket, "How do I get a refund?",
                       "Use the passenger rights form.", "Refunds", "en")
    ticket = make_ticket()
    message_id = reply(app, agent, ticket.id,
                       f"See http://localhost/faq/{entry.slug} and /faq/unknown-entry.")
    reply(app, agent, ticket.id, "No link here.")
    assert entry_row(app, entry.id).sent_count == 1
    with app.app_context():
        assert service.count_links(message_id) == 0  # a second run counts nothing twice
        assert db.session.scalar(sa.select(sa.func.count(FaqLinkUse.id))) == 1
    assert entry_row(app, entry.id).sent_count == 1


def test_faq_links_are_counted_through_rq(app, agent, editor, make_ticket, redis_jobs):
    from rq import Queue, SimpleWorker

    entry = make_entry(app, agent, editor, make_ticket, "How do I get a refund?",
                       "Use the passenger rights form.", "Refunds", "en")
    reply(app, agent, make_ticket().id, f"Here: https://desk.example/faq/{entry.slug}")
    assert entry_row(app, entry.id).sent_count == 0  # queued, not yet run
    with app.app_context():
        SimpleWorker([Queue("default", connection=redis_jobs)],
                     connection=redis_jobs).work(burst=True)
    assert entry_row(app, entry.id).sent_count == 1


def test_duplicate_suggestions_rank_the_same_question_first(app, agent, editor, make_ticket):
    from desk.faq import search

    make_entry(app, agent, editor, make_ticket, "Can I take my bike on the train?",
               "Yes, with a bike ticket.", "Travel", "en")
    refund = make_entry(app, agent, editor, make_ticket, "How do I get my money back?",
                        "Use the passenger rights form.", "Refunds", "en")
    with app.app_context():
        hits = search.likely_duplicates("how can I get my money back for a cancelled train")
        assert [hit.entry_id for hit in hits][:1] == [refund.id]
        assert search.likely_duplicates("Wo finde ich das Bordbistro?") == []
        person = db.session.get(Person, editor.id)
        assert person is not None


def _answer_with_canned(app, agent, make_ticket, canned_id, question, answer, handle,
                        wrote_again):
    """A ticket answered with a canned reply five days ago; maybe the customer wrote again."""
    from datetime import timedelta

    from desk.models import CannedReplyUse, Message, MessageKind, Ticket, utcnow
    from desk.replies.service import add_reply

    ticket = make_ticket(text=question, handle=handle)
    sent_at = utcnow() - timedelta(days=5)
    with app.app_context():
        person = db.session.get(Person, agent.id)
        sent = add_reply(person, ticket.id, answer, canned_reply_ids=[canned_id])
        db.session.execute(sa.update(Message).where(Message.ticket_id == ticket.id)
                           .values(created_at=sent_at - timedelta(hours=1)))
        db.session.execute(sa.update(Message).where(Message.id == sent.id)
                           .values(created_at=sent_at))
        db.session.execute(sa.update(CannedReplyUse).where(CannedReplyUse.message_id == sent.id)
                           .values(created_at=sent_at))
        if wrote_again:
            stored = db.session.get(Ticket, ticket.id)
            db.session.add(Message(ticket_id=ticket.id, channel_id=stored.channel_id,
                                   kind=MessageKind.INBOUND, body_text="Geht immer noch nicht!",
                                   body_html="<p>Geht immer noch nicht!</p>",
                                   created_at=sent_at + timedelta(days=1)))
        db.session.commit()


def test_canned_replies_after_which_customers_rarely_write_again_become_candidates(
        app, runner, agent, editor, make_ticket):
    from tests.canned_data import make_canned

    works = make_canned(app, agent, title="BahnCard digital", shortcut="bc",
                        body="Die BahnCard finden Sie in der App unter Meine Tickets.")
    fails = make_canned(app, agent, title="Sorry", shortcut="sorry", body="Das tut uns leid.")
    questions = ["Wo ist meine BahnCard, Herr Weber?", "Keine BahnCard in der App",
                 "BahnCard 25 digital anzeigen?", "Finde die Bahncard nicht",
                 "Wie zeige ich die BahnCard vor?", "BahnCard im Handy?"]
    for n, question in enumerate(questions):
        _answer_with_canned(app, agent, make_ticket, works, question,
                            "Die BahnCard finden Sie in der App unter Meine Tickets.",
                            f"@bc{n}", wrote_again=n == 0)
        _answer_with_canned(app, agent, make_ticket, fails, f"Zug {n} ist ausgefallen",
                            "Das tut uns leid.", f"@zug{n}", wrote_again=n % 2 == 0)

    result = runner.invoke(args=["desk", "faq-suggest"])
    assert result.exit_code == 0, result.output
    assert "canned: 1" in result.output
    with app.app_context():
        [candidate] = db.session.scalars(sa.select(FaqCandidate).where(
            FaqCandidate.source == CandidateSource.CANNED)).all()
        assert candidate.cluster_size == 5  # five of six customers did not write again
        assert candidate.answer == "Die BahnCard finden Sie in der App unter Meine Tickets."
        assert "BahnCard" in candidate.question and len(candidate.ticket_ids) == 6
    again = runner.invoke(args=["desk", "faq-suggest"])
    assert "canned: 0" in again.output

    client = app.test_client()
    login(client, editor.email)
    page = client.get("/faq/review").get_data(as_text=True)
    assert "canned reply, settled 5 tickets" in page
    detail = client.get(f"/faq/review/{candidate.id}").get_data(as_text=True)
    assert "5 customers did not write again" in detail

"""The FAQ loop end to end: propose from a reply, review, publish, reject, merge, versions."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk.errors import Conflict, Forbidden, Invalid
from desk.extensions import db
from desk.models import (
    AuditEvent,
    CandidateStatus,
    FaqCandidate,
    FaqEntryVersion,
    FaqSource,
    Person,
    Role,
    utcnow,
)
from tests.conftest import login
from tests.faq_helpers import entry_row, make_entry, propose, reply


@pytest.fixture
def agent(make_person):
    return make_person(email="anna@example.com", name="Anna Agent")


@pytest.fixture
def editor(make_person):
    return make_person(email="emil@example.com", name="Emil Editor", roles=(Role.FAQ_EDITOR,))


def test_an_agent_proposes_a_reply_and_the_editor_sees_it_redacted(app, agent, editor,
                                                                    make_ticket):
    ticket = make_ticket(subject="Refund?", handle="@karla_k",
                         text="Hi, I am Karla Kunde, mail me at karla@example.org or call "
                              "+49 171 2345678. Order 12345678 was never refunded.")
    message_id = reply(app, agent, ticket.id,
                       "Hello Karla, refunds take 5 to 7 days. ^AA")
    candidate_id = propose(app, agent, message_id, "asked a lot this week")

    with app.app_context():
        candidate = db.session.get(FaqCandidate, candidate_id)
        assert candidate.status == CandidateStatus.PENDING
        assert candidate.ticket_ids == [ticket.id]
        assert candidate.note == "asked a lot this week"
        for secret in ("karla@example.org", "2345678", "12345678", "Karla", "Kunde"):
            assert secret not in candidate.question + candidate.answer
        assert "[email]" in candidate.question and "[phone]" in candidate.question
        assert "[number]" in candidate.question
        assert candidate.answer == "Hello [name], refunds take 5 to 7 days. ^[name]"
        assert db.session.scalar(sa.select(AuditEvent.action).where(
            AuditEvent.action == "faq.proposed")) == "faq.proposed"

    client = app.test_client()
    login(client, editor.email)
    page = client.get(f"/faq/review/{candidate_id}").get_data(as_text=True)
    assert '<mark class="redacted">[email]</mark>' in page
    assert "karla@example.org" not in page
    # An FAQ editor alone may not see tickets: no link to the original.
    assert 'id="original-ticket"' not in page


def test_the_original_ticket_is_one_click_away_for_those_who_may_see_it(
        app, agent, make_person, make_ticket):
    admin = make_person(email="ada@example.com", name="Ada Admin", roles=(Role.ADMIN,))
    ticket = make_ticket()
    candidate_id = propose(app, agent, reply(app, agent, ticket.id, "Take the RE 5."))
    client = app.test_client()
    login(client, admin.email)
    page = client.get(f"/faq/review/{candidate_id}").get_data(as_text=True)
    assert f'href="/tickets/{ticket.id}" id="original-ticket"' in page


def test_propose_from_the_ticket_pane(app, client, agent, make_ticket):
    ticket = make_ticket()
    message_id = reply(app, agent, ticket.id, "Der RE 5 fährt um 14:12.")
    login(client, agent.email)
    pane = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'action="/faq/propose/{message_id}"' in pane
    response = client.post(f"/faq/propose/{message_id}",
                           data={f"faq-{message_id}-note": "good answer"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/tickets/{ticket.id}")
    again = client.post(f"/faq/propose/{message_id}", follow_redirects=True)
    assert "already waiting for review" in again.get_data(as_text=True)
    mine = client.get("/faq/proposals").get_data(as_text=True)
    assert "Der RE 5 fährt um 14:12." in mine and "waiting for review" in mine


def test_notes_cannot_be_proposed_and_others_teams_tickets_not_at_all(
        app, agent, make_person, make_ticket):
    from desk.faq import service
    from desk.replies.service import add_note

    ticket = make_ticket()
    hidden = make_ticket(team="Billing")
    with app.app_context():
        person = db.session.get(Person, agent.id)
        note_id = add_note(person, ticket.id, "internal only").id
        with pytest.raises(Invalid):
            service.propose(person, note_id)
    billing_agent = make_person(email="bea@example.com", name="Bea", teams=("Billing",))
    hidden_reply = reply(app, billing_agent, hidden.id, "Billing answer")
    with app.app_context(), pytest.raises(Forbidden):
        service.propose(db.session.get(Person, agent.id), hidden_reply)


def test_an_inbound_message_proposes_its_ticket(app, agent, make_ticket):
    ticket = make_ticket(text="Wie bekomme ich mein Geld zurück?")
    reply(app, agent, ticket.id, "Über das Fahrgastrechte-Formular.")
    with app.app_context():
        from desk.models import Message, MessageKind

        inbound = db.session.scalar(sa.select(Message.id).where(
            Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND))
    candidate_id = propose(app, agent, inbound)
    with app.app_context():
        candidate = db.session.get(FaqCandidate, candidate_id)
        assert candidate.question == "Wie bekomme ich mein Geld zurück?"
        assert candidate.answer == "Über das Fahrgastrechte-Formular."


def test_the_pane_proposes_a_whole_ticket_from_the_customers_message(
        app, client, agent, make_ticket):
    ticket = make_ticket(text="Wie bekomme ich mein Geld zurück?")
    reply(app, agent, ticket.id, "Über das Fahrgastrechte-Formular.")
    with app.app_context():
        from desk.models import Message, MessageKind

        inbound = db.session.scalar(sa.select(Message.id).where(
            Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND))
    login(client, agent.email)
    pane = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'action="/faq/propose/{inbound}"' in pane
    assert "Propose this question for FAQ" in pane
    client.post(f"/faq/propose/{inbound}", data={f"faq-{inbound}-note": "asked daily"})
    with app.app_context():
        candidate = db.session.scalar(sa.select(FaqCandidate))
        assert (candidate.question, candidate.answer, candidate.note) == (
            "Wie bekomme ich mein Geld zurück?", "Über das Fahrgastrechte-Formular.", "asked daily")


def test_only_editors_review(app, agent, make_ticket, client):
    from desk.faq import service

    candidate_id = propose(app, agent, reply(app, agent, make_ticket().id, "Answer"))
    with app.app_context():
        person = db.session.get(Person, agent.id)
        with pytest.raises(Forbidden):
            service.publish(person, candidate_id, "Q?", "A.", "Travel", "en")
        with pytest.raises(Forbidden):
            service.candidates(person)
    login(client, agent.email)
    assert client.get("/faq/review").status_code == 403
    assert client.post(f"/faq/review/{candidate_id}",
                       data={"question": "Q", "answer": "A", "category": "C",
                             "language": "en"}).status_code == 403


def test_publish_through_the_review_page(app, agent, editor, make_ticket):
    ticket = make_ticket()
    candidate_id = propose(app, agent, reply(app, agent, ticket.id, "Take the RE 5."))
    client = app.test_client()
    login(client, editor.email)
    assert client.get("/faq/review").status_code == 200
    response = client.post(f"/faq/review/{candidate_id}", data={
        "question": "My train was cancelled, what now?",
        "answer": "Take the next regional train.<script>alert(1)</script>",
        "category": "Travel <b>disruptions</b>", "language": "en"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        candidate = db.session.get(FaqCandidate, candidate_id)
        assert candidate.status == CandidateStatus.PUBLISHED
        entry = candidate.entry
        slug = entry.slug
        assert entry.slug == "my-train-was-cancelled-what-now"
        assert "<script" not in entry.answer_html and "&lt;script&gt;" in entry.answer_html
        assert entry.category == "Travel <b>disruptions</b>"  # plain text, escaped on output
        assert db.session.scalars(sa.select(FaqSource.ticket_id)).all() == [ticket.id]
        assert db.session.scalar(sa.select(sa.func.count(FaqEntryVersion.id))) == 1
    public = app.test_client().get(f"/faq/{slug}").get_data(as_text=True)
    assert "Travel &lt;b&gt;disruptions&lt;/b&gt;" in public
    assert "<script>alert(1)</script>" not in public


def test_personal_data_must_be_confirmed_before_publishing(app, agent, editor, make_ticket,
                                                          api_as):
    candidate_id = propose(app, agent, reply(app, agent, make_ticket().id, "Answer"))
    body = {"question": "How do I reach you?",
            "answer": "Write to service@example.com or call 030 1234567.",
            "category": "Contact", "language": "en"}
    api = api_as(editor)
    refused = api.post(f"/faq/candidates/{candidate_id}/publish", json=body)
    assert refused.status_code == 422
    problem = refused.get_json()
    assert refused.mimetype == "application/problem+json"
    assert "email: service@example.com" in problem["fields"]["personal_data"]
    assert any(item.startswith("phone:") for item in problem["fields"]["personal_data"])

    client = app.test_client()
    login(client, editor.email)
    page = client.post(f"/faq/review/{candidate_id}", data=body)
    assert page.status_code == 422
    assert 'id="personal-data-warning"' in page.get_data(as_text=True)

    confirmed = api.post(f"/faq/candidates/{candidate_id}/publish",
                         json=body | {"confirm_personal_data": True})
    assert confirmed.status_code == 201
    assert confirmed.get_json()["slug"] == "how-do-i-reach-you"


def test_reject_with_a_reason_the_proposer_sees(app, agent, editor, make_ticket, client):
    candidate_id = propose(app, agent, reply(app, agent, make_ticket().id, "Answer"))
    editor_client = app.test_client()
    login(editor_client, editor.email)
    assert editor_client.post(f"/faq/review/{candidate_id}/reject",
                              data={"reason": ""}).status_code == 422
    assert editor_client.post(f"/faq/review/{candidate_id}/reject",
                              data={"reason": "Too specific to one train."}).status_code == 302
    login(client, agent.email)
    mine = client.get("/faq/proposals").get_data(as_text=True)
    assert "Too specific to one train." in mine and "rejected" in mine
    with app.app_context(), pytest.raises(Conflict):
        from desk.faq import service

        service.reject(db.session.get(Person, editor.id), candidate_id, "twice")


def test_merge_into_a_likely_duplicate(app, agent, editor, make_ticket):
    entry = make_entry(app, agent, editor, make_ticket, "How do I get a refund for a delay?",
                       "Use the passenger rights form.")
    ticket = make_ticket(text="how can i get a refund for my delayed train?")
    candidate_id = propose(app, agent, reply(app, agent, ticket.id, "Passenger rights form."))
    client = app.test_client()
    login(client, editor.email)
    page = client.get(f"/faq/review/{candidate_id}").get_data(as_text=True)
    assert 'id="duplicates"' in page and "How do I get a refund for a delay?" in page
    response = client.post(f"/faq/review/{candidate_id}/merge", data={"entry_id": entry.id})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(FaqCandidate, candidate_id).status == CandidateStatus.MERGED
        assert ticket.id in db.session.scalars(
            sa.select(FaqSource.ticket_id).where(FaqSource.entry_id == entry.id)).all()


def test_edits_are_versioned_with_a_diff(app, agent, editor, make_ticket):
    entry = make_entry(app, agent, editor, make_ticket, "Can I take my bike?",
                       "Yes, in regional trains.")
    client = app.test_client()
    login(client, editor.email)
    form = {"question": "Can I take my bike on the train?",
            "answer": "Yes, in regional trains.\n\nIC trains need a reservation.",
            "category": "Travel", "language": "en", "version": "1"}
    assert client.post(f"/faq/entries/{entry.id}/edit", data=form).status_code == 302
    stale = client.post(f"/faq/entries/{entry.id}/edit", data=form)
    assert stale.status_code == 409
    history = client.get(f"/faq/entries/{entry.id}/history").get_data(as_text=True)
    assert "<ins>+ IC trains need a reservation.</ins>" in history
    assert "<del>- Can I take my bike?</del>" in history
    assert entry_row(app, entry.id).version == 2
    assert entry_row(app, entry.id).slug == entry.slug  # links stay valid


def test_scheduled_entries_are_not_public_yet(app, agent, editor, make_ticket, client):
    later = make_entry(app, agent, editor, make_ticket, "Winter timetable?", "From December.",
                       publish_at=utcnow() + timedelta(days=2))
    assert client.get(f"/faq/{later.slug}").status_code == 404
    assert client.get("/api/v1/faq/entries").get_json()["items"] == []
    assert client.get("/api/v1/faq/entries?q=winter").get_json()["items"] == []
    assert "Winter timetable?" not in client.get("/faq?q=winter").get_data(as_text=True)
    login(client, editor.email)
    assert "scheduled for" in client.get("/faq/entries").get_data(as_text=True)


def test_faq_editors_alone_start_at_the_review_queue(client, editor):
    login(client, editor.email)
    assert client.get("/").headers["Location"] == "/faq/review"

"""Nobody answers twice: the stale-thread guard, and drafts kept on the server."""

import re

import pytest
import sqlalchemy as sa

from desk.errors import StaleThread
from desk.extensions import db
from desk.models import Draft, Message, MessageKind, Person, Priority, Role
from tests.conftest import login


def html(response) -> str:
    return response.get_data(as_text=True)


def newest_message_id(app, ticket_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Message.id))
                                 .where(Message.ticket_id == ticket_id))


def replies_of(app, ticket_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            sa.select(Message.body_text)
            .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.REPLY)
            .order_by(Message.id)))


def drafts(app) -> list[tuple[int, int, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            sa.select(Draft.person_id, Draft.ticket_id, Draft.body).order_by(Draft.id))]


@pytest.fixture
def anna(make_person):
    return make_person(email="anna@example.com", name="Anna Agent")


@pytest.fixture
def ben(make_person):
    return make_person(email="ben@example.com", name="Ben Berger")


@pytest.fixture
def as_ben(app, ben):
    client = app.test_client()
    login(client, ben.email)
    return client


def in_context(app, person: Person) -> Person:
    return db.session.get(Person, person.id)


# -- the service ----------------------------------------------------------------------------


def test_a_reply_after_someone_elses_message_is_held(app, ctx, anna, ben, make_ticket):
    from desk.replies.service import add_note, add_reply

    ticket = make_ticket()
    seen = newest_message_id(app, ticket.id)
    note = add_note(in_context(app, anna), ticket.id, "Ich rufe an.")
    note_id = note.id
    with pytest.raises(StaleThread) as held:
        add_reply(in_context(app, ben), ticket.id, "Wir kümmern uns!", seen_message_id=seen)
    assert held.value.new_message_ids == [note_id]
    assert held.value.status == 409
    assert replies_of(app, ticket.id) == []

    add_reply(in_context(app, ben), ticket.id, "Wir kümmern uns!", seen_message_id=note_id)
    assert replies_of(app, ticket.id) == ["Wir kümmern uns!"]


def test_a_priority_change_or_ones_own_note_does_not_hold_a_reply(app, ctx, anna, ben,
                                                                 make_ticket):
    from desk.inbox.service import update
    from desk.replies.service import add_note, add_reply

    ticket = make_ticket()
    seen = newest_message_id(app, ticket.id)
    update(in_context(app, anna), ticket.id, priority=Priority.HIGH)
    add_note(in_context(app, ben), ticket.id, "Notiz an mich.")
    add_reply(in_context(app, ben), ticket.id, "Antwort.", seen_message_id=seen)
    assert replies_of(app, ticket.id) == ["Antwort."]


# -- the page: held, shown, sent anyway -------------------------------------------------------


def test_the_page_holds_the_send_shows_the_new_message_and_offers_send_anyway(
    app, anna, as_ben, make_ticket, api_as
):
    ticket = make_ticket()
    page = html(as_ben.get(f"/tickets/{ticket.id}"))
    seen = re.search(r'name="reply-seen_message_id" type="hidden" value="(\d+)"', page).group(1)
    assert int(seen) == newest_message_id(app, ticket.id)

    answered = api_as(anna).post(f"/tickets/{ticket.id}/replies",
                                 json={"body": "Anna war schneller."})
    assert answered.status_code == 201
    text = "Ben schreibt auch."
    response = as_ben.post(f"/tickets/{ticket.id}/reply",
                           data={"reply-body": text, "reply-seen_message_id": seen,
                                 "reply-send_resolve": "1"})
    assert response.status_code == 409
    page = html(response)
    assert "1 new message(s) arrived" in page
    marked = re.search(r'<li class="msg msg-reply is-unseen" id="message-(\d+)"', page)
    assert int(marked.group(1)) == answered.get_json()["id"]
    assert f"{text}</textarea>" in page
    anyway = re.search(r'<button type="submit" class="button button-primary" '
                       r'id="reply-send-anyway"\s+name="([^"]+)"', page)
    assert anyway.group(1) == "reply-send_resolve"  # the choice to resolve is kept
    assert 'data-edit-draft="reply-body"' in page
    now_seen = re.search(r'name="reply-seen_message_id" type="hidden" value="(\d+)"',
                         page).group(1)
    assert int(now_seen) == answered.get_json()["id"]
    assert replies_of(app, ticket.id) == ["Anna war schneller."]

    sent = as_ben.post(f"/tickets/{ticket.id}/reply",
                       data={"reply-body": text, "reply-seen_message_id": now_seen,
                             "reply-send_resolve": "1"})
    assert sent.status_code == 302
    assert replies_of(app, ticket.id) == ["Anna war schneller.", text]


def test_a_note_is_held_the_same_way(app, anna, as_ben, make_ticket, api_as):
    ticket = make_ticket()
    seen = newest_message_id(app, ticket.id)
    api_as(anna).post(f"/tickets/{ticket.id}/notes", json={"body": "Schon erledigt."})
    response = as_ben.post(f"/tickets/{ticket.id}/note",
                           data={"note-body": "Ich mach das.", "note-seen_message_id": seen})
    assert response.status_code == 409
    assert 'id="note-send-anyway"' in html(response)


def test_the_api_answers_409_with_the_new_message_ids(app, anna, ben, make_ticket, api_as):
    ticket = make_ticket()
    seen = newest_message_id(app, ticket.id)
    note = api_as(anna).post(f"/tickets/{ticket.id}/notes", json={"body": "Erledigt."})
    response = api_as(ben).post(f"/tickets/{ticket.id}/replies",
                                json={"body": "Auch von mir.", "seen_message_id": seen})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["new_message_ids"] == [note.get_json()["id"]]
    response = api_as(ben).post(f"/tickets/{ticket.id}/notes",
                                json={"body": "Gesehen.", "seen_message_id": seen})
    assert response.status_code == 409
    ok = api_as(ben).post(f"/tickets/{ticket.id}/replies",
                          json={"body": "Auch von mir.",
                                "seen_message_id": note.get_json()["id"]})
    assert ok.status_code == 201


# -- drafts -------------------------------------------------------------------------------


def test_a_draft_is_kept_restored_and_gone_with_the_reply(app, ben, as_ben, make_ticket,
                                                         monkeypatch):
    ticket = make_ticket()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = html(as_ben.get(f"/tickets/{ticket.id}"))
    token = re.search(r'name="reply-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    url = f"/tickets/{ticket.id}/draft"

    assert as_ben.put(url, json={"body": "Halb fertig"}).status_code == 400  # no CSRF token
    headers = {"X-CSRFToken": token}
    assert as_ben.put(url, json={"body": "Halb fertig"}, headers=headers).status_code == 204
    assert as_ben.put(url, json={"body": "Halb <fertig>"}, headers=headers).status_code == 204
    assert drafts(app) == [(ben.id, ticket.id, "Halb <fertig>")]
    page = html(as_ben.get(f"/tickets/{ticket.id}"))
    assert "Halb &lt;fertig&gt;</textarea>" in page  # restored after a reload or a crash

    token = re.search(r'name="reply-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    sent = as_ben.post(f"/tickets/{ticket.id}/reply",
                       data={"reply-body": "Fertig.", "reply-csrf_token": token})
    assert sent.status_code == 302
    assert drafts(app) == []


def test_a_held_reply_keeps_its_draft_and_a_blank_draft_is_removed(
    app, anna, ben, as_ben, make_ticket, api_as
):
    ticket = make_ticket()
    seen = newest_message_id(app, ticket.id)
    as_ben.put(f"/tickets/{ticket.id}/draft", json={"body": "Entwurf"})
    api_as(anna).post(f"/tickets/{ticket.id}/notes", json={"body": "Dazwischen."})
    held = as_ben.post(f"/tickets/{ticket.id}/reply",
                       data={"reply-body": "Entwurf", "reply-seen_message_id": seen})
    assert held.status_code == 409
    assert drafts(app) == [(ben.id, ticket.id, "Entwurf")]
    assert as_ben.put(f"/tickets/{ticket.id}/draft", json={"body": "  "}).status_code == 204
    assert drafts(app) == []


def test_drafts_follow_the_ticket_rules(app, make_person, make_ticket):
    make_person(email="bahn@example.com", teams=("Bahn",))
    make_person(email="faq@example.com", roles=(Role.FAQ_EDITOR,))
    ticket = make_ticket(team="Technik")
    client = app.test_client()
    login(client, "bahn@example.com")
    assert client.put(f"/tickets/{ticket.id}/draft", json={"body": "x"}).status_code == 403
    assert client.put("/tickets/999999/draft", json={"body": "x"}).status_code == 404
    assert client.put(f"/tickets/{ticket.id}/draft", data="x").status_code == 400
    mine = make_ticket(team="Bahn")
    assert client.put(f"/tickets/{mine.id}/draft",
                      json={"body": "x" * 20_001}).status_code == 422
    editor = app.test_client()
    login(editor, "faq@example.com")
    assert editor.put(f"/tickets/{ticket.id}/draft", json={"body": "x"}).status_code == 403
    assert drafts(app) == []


def test_supervisors_see_the_team_presence(app, make_person, api_as):
    boss = make_person(email="boss@example.com", name="Bea Boss", roles=(Role.SUPERVISOR,))
    anna = make_person(email="anna@example.com", name="Anna Agent")
    make_person(email="faq@example.com", name="Fritz FAQ", roles=(Role.FAQ_EDITOR,))
    from desk.extensions import socketio

    client = app.test_client()
    login(client, anna.email)
    socket = socketio.test_client(app, flask_test_client=client)
    assert socket.is_connected()

    items = api_as(boss).get("/agents/presence").get_json()["items"]
    assert [(item["name"], item["status"]) for item in items] == [
        ("Anna Agent", "online"), ("Bea Boss", "offline")]
    assert api_as(anna).get("/agents/presence").status_code == 403

    boss_client = app.test_client()
    login(boss_client, boss.email)
    fragment = html(boss_client.get("/live/team"))
    assert f'presence-online" data-person-id="{anna.id}"' in fragment
    assert client.get("/live/team").status_code == 403

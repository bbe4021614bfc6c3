"""Socket.IO: who may connect, which rooms they hear, and events only after commit."""

import pytest

from desk.extensions import socketio
from desk.models import Role
from tests.conftest import login
from tests.test_intake import complaint, post


def events_named(socket, name):
    return [event["args"][0] for event in socket.get_received() if event["name"] == name]


def test_anonymous_socket_is_refused(app):
    socket = socketio.test_client(app)
    assert not socket.is_connected()


def test_bad_token_is_refused_and_good_token_connects(app, make_person):
    from desk.auth.service import create_token

    agent = make_person()
    assert not socketio.test_client(app, auth={"token": "desk_wrong"}).is_connected()
    with app.app_context():
        token = create_token(agent.email)
    socket = socketio.test_client(app, auth={"token": token})
    assert socket.is_connected()
    socket.disconnect()


def test_new_complaint_reaches_the_teams_agents_only(app, make_person, make_channel):
    make_channel(slug="bahn", team="Bahn")
    make_person(email="bahn@example.com", teams=("Bahn",))
    make_person(email="technik@example.com", teams=("Technik",))
    make_person(email="boss@example.com", roles=(Role.SUPERVISOR,))
    sockets = {}
    for email in ("bahn@example.com", "technik@example.com", "boss@example.com"):
        client = app.test_client()
        login(client, email)
        sockets[email] = socketio.test_client(app, flask_test_client=client)
        assert sockets[email].is_connected()
        sockets[email].get_received()

    assert post(app.test_client(), complaint(), slug="bahn").status_code == 202

    [created] = events_named(sockets["bahn@example.com"], "ticket.created")
    assert set(created) == {"ticket_id", "channel_id", "status", "priority"}
    assert events_named(sockets["technik@example.com"], "ticket.created") == []
    assert events_named(sockets["technik@example.com"], "message.created") == []
    [seen] = events_named(sockets["boss@example.com"], "ticket.created")
    assert seen["ticket_id"] == created["ticket_id"]


def test_events_follow_the_commit_and_a_conflict_sends_nothing(
    app, make_person, make_ticket, api_as
):
    anna = make_person(email="anna@example.com")
    ben = make_person(email="ben@example.com", name="Ben")
    ticket = make_ticket()
    client = app.test_client()
    login(client, "anna@example.com")
    socket = socketio.test_client(app, flask_test_client=client)
    socket.get_received()

    assert api_as(anna).post(f"/tickets/{ticket.id}/claim").status_code == 200
    [assigned] = events_named(socket, "ticket.assigned")
    assert assigned == {"ticket_id": ticket.id, "assignee_id": anna.id, "version": 2}

    assert api_as(ben).post(f"/tickets/{ticket.id}/claim").status_code == 409
    assert socket.get_received() == []


# -- rooms per ticket, presence and collisions --------------------------------------------


def socket_for(app, email, **kwargs):
    """A signed-in browser's socket (session cookie), with the received queue emptied."""
    client = app.test_client()
    login(client, email, **kwargs)
    socket = socketio.test_client(app, flask_test_client=client)
    assert socket.is_connected()
    socket.get_received()
    return socket, client


def presence_of_ticket(socket, ticket_id):
    return [p for p in events_named(socket, "presence.updated") if p.get("ticket_id") == ticket_id]


def test_joining_a_ticket_shows_the_viewer_and_its_events(app, make_person, make_ticket, api_as):
    anna = make_person(email="anna@example.com", name="Anna")
    make_person(email="ben@example.com", name="Ben")
    ticket = make_ticket()
    ben, _ = socket_for(app, "ben@example.com")
    assert ben.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)["ok"] is True
    ben.get_received()

    anna_socket, _ = socket_for(app, "anna@example.com")
    ack = anna_socket.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)
    assert ack["ok"] is True
    assert [v["name"] for v in ack["viewers"]] == ["Anna", "Ben"]
    [update] = presence_of_ticket(ben, ticket.id)
    assert update["viewers"] == [{"id": anna.id, "name": "Anna", "typing": False},
                                 {"id": update["viewers"][1]["id"], "name": "Ben",
                                  "typing": False}]

    assert anna_socket.emit("typing", {"typing": True}, callback=True)["throttled"] is False
    [update] = presence_of_ticket(ben, ticket.id)
    assert {v["name"]: v["typing"] for v in update["viewers"]} == {"Anna": True, "Ben": False}

    api_as(anna).post(f"/tickets/{ticket.id}/notes", json={"body": "Kümmere mich."})
    [created] = events_named(ben, "message.created")
    assert created["ticket_id"] == ticket.id and created["kind"] == "note"

    anna_socket.disconnect()
    [update] = presence_of_ticket(ben, ticket.id)
    assert [v["name"] for v in update["viewers"]] == ["Ben"]


def test_a_forbidden_join_is_refused_and_audited(app, make_person, make_ticket):
    from desk.extensions import db
    from desk.models import AuditEvent

    anna = make_person(email="anna@example.com", teams=("Bahn",))
    ticket = make_ticket(team="Technik")
    socket, _ = socket_for(app, "anna@example.com")

    assert socket.emit("join_ticket", {"ticket_id": ticket.id}, callback=True) == {
        "ok": False, "error": "forbidden"}
    assert socket.emit("join_ticket", {"ticket_id": 999_999}, callback=True) == {
        "ok": False, "error": "not_found"}
    with app.app_context():
        [entry] = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "socket.forbidden_join"))
        assert (entry.actor_id, entry.ticket_id) == (anna.id, ticket.id)
    # Not in the room: typing on it is refused and nobody hears of it.
    assert socket.emit("typing", {"typing": True}, callback=True)["error"] == "no_ticket"
    assert socket.is_connected()


def test_an_agent_never_hears_another_teams_ticket(app, make_person, make_ticket, api_as):
    make_person(email="bahn@example.com", teams=("Bahn",))
    boss = make_person(email="boss@example.com", roles=(Role.SUPERVISOR,))
    ticket = make_ticket(team="Technik")
    bahn, _ = socket_for(app, "bahn@example.com")
    boss_socket, _ = socket_for(app, "boss@example.com")
    assert boss_socket.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)["ok"]
    api_as(boss).post(f"/tickets/{ticket.id}/notes", json={"body": "Nur Technik."})
    api_as(boss).post(f"/tickets/{ticket.id}/status", json={"priority": "high"})
    names = [event["name"] for event in boss_socket.get_received()]
    assert {"message.created", "ticket.updated"} <= set(names)
    assert bahn.get_received() == []


def test_malformed_and_unknown_events_get_an_error_and_the_socket_stays(
    app, make_person, make_ticket
):
    make_person(email="anna@example.com")
    ticket = make_ticket()
    socket, _ = socket_for(app, "anna@example.com")
    for event, data in [("join_ticket", "7"), ("join_ticket", {"ticket_id": "7"}),
                        ("join_ticket", None), ("join_ticket", {"ticket_id": True}),
                        ("typing", {"typing": "yes"}), ("viewing", []),
                        ("heartbeat", {"status": "asleep"})]:
        assert socket.emit(event, data, callback=True)["ok"] is False, (event, data)
    assert socket.emit("drop_tables", {"all": True}, callback=True) == {
        "ok": False, "error": "unknown_event"}
    assert socket.is_connected()
    assert socket.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)["ok"] is True


def test_a_flood_of_typing_is_throttled_per_socket(app, make_person, make_ticket, monkeypatch):
    from desk.live import sockets

    clock = [1000.0]
    monkeypatch.setattr(sockets, "_clock", lambda: clock[0])
    make_person(email="anna@example.com", name="Anna")
    make_person(email="ben@example.com", name="Ben")
    ticket = make_ticket()
    anna, _ = socket_for(app, "anna@example.com")
    ben, _ = socket_for(app, "ben@example.com")
    for socket in (anna, ben):
        assert socket.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)["ok"]
    ben.get_received()

    acks = [anna.emit("typing", {"typing": True}, callback=True) for _ in range(50)]
    assert [ack["throttled"] for ack in acks] == [False] + [True] * 49
    assert len(presence_of_ticket(ben, ticket.id)) == 1

    clock[0] += sockets.TYPING_INTERVAL
    assert anna.emit("typing", {"typing": True}, callback=True)["throttled"] is False
    assert len(presence_of_ticket(ben, ticket.id)) == 1


def test_supervisors_see_who_is_online_away_or_gone(app, make_person):
    from desk.extensions import db
    from desk.models import Person, Presence

    anna = make_person(email="anna@example.com")
    make_person(email="boss@example.com", roles=(Role.SUPERVISOR,))
    make_person(email="ben@example.com", name="Ben")
    boss, _ = socket_for(app, "boss@example.com")
    ben, _ = socket_for(app, "ben@example.com")

    anna_socket, _ = socket_for(app, "anna@example.com")
    person_updates = lambda s: [p for p in events_named(s, "presence.updated")  # noqa: E731
                                if p.get("person_id") == anna.id]
    assert person_updates(boss) == [{"person_id": anna.id, "status": "online"}]
    assert anna_socket.emit("heartbeat", {"status": "away"}, callback=True)["status"] == "away"
    assert person_updates(boss) == [{"person_id": anna.id, "status": "away"}]
    with app.app_context():
        assert db.session.get(Person, anna.id).presence == Presence.AWAY
    anna_socket.disconnect()
    assert person_updates(boss) == [{"person_id": anna.id, "status": "offline"}]
    assert person_updates(ben) == []  # agents do not watch each other


def test_silent_sockets_expire(app, make_person, make_ticket):
    import time

    from desk.extensions import db
    from desk.live import presence, sockets
    from desk.models import Person, Presence

    anna = make_person(email="anna@example.com", name="Anna")
    make_person(email="boss@example.com", roles=(Role.SUPERVISOR,))
    ticket = make_ticket()
    boss, _ = socket_for(app, "boss@example.com")
    anna_socket, _ = socket_for(app, "anna@example.com")
    assert anna_socket.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)["ok"]
    assert boss.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)["ok"]
    boss.get_received()

    with app.app_context():
        assert sockets.sweep_presence(now=time.time()).tickets == set()
        swept = sockets.sweep_presence(now=time.time() + presence.EXPIRY + 1)
        assert ticket.id in swept.tickets and anna.id in swept.people
        assert db.session.get(Person, anna.id).presence == Presence.OFFLINE
    updates = events_named(boss, "presence.updated")
    assert [u for u in updates if u.get("ticket_id") == ticket.id][-1]["viewers"] == []
    assert {"person_id": anna.id, "status": "offline"} in updates


# -- connections end when access does -----------------------------------------------------


def test_signing_out_ends_that_sign_ins_sockets_only(app, make_person, api_as):
    from desk.auth.service import create_token

    anna = make_person(email="anna@example.com")
    here, client = socket_for(app, "anna@example.com")
    elsewhere, _ = socket_for(app, "anna@example.com")
    with app.app_context():
        token = create_token(anna.email)
    script = socketio.test_client(app, auth={"token": token})

    assert client.post("/logout").status_code == 302
    assert not here.is_connected()
    assert elsewhere.is_connected() and script.is_connected()
    # The signed-out browser cannot come back.
    assert not socketio.test_client(app, flask_test_client=client).is_connected()


def test_deactivation_and_role_changes_disconnect(app, make_person):
    from desk.auth.service import deactivate, set_roles
    from desk.extensions import db
    from desk.models import Person

    make_person(email="anna@example.com")
    make_person(email="ben@example.com")
    anna, anna_client = socket_for(app, "anna@example.com")
    ben, ben_client = socket_for(app, "ben@example.com")
    with app.app_context():
        set_roles(None, db.session.scalar(db.select(Person).filter_by(email="ben@example.com")),
                  [Role.SUPERVISOR])
    assert not ben.is_connected() and anna.is_connected()
    # Reconnecting is allowed, now with the supervisor's rooms.
    assert socketio.test_client(app, flask_test_client=ben_client).is_connected()

    with app.app_context():
        deactivate(None, db.session.scalar(db.select(Person).filter_by(email="anna@example.com")))
    assert not anna.is_connected()
    assert not socketio.test_client(app, flask_test_client=anna_client).is_connected()


def test_a_foreign_origin_is_refused(client):
    handshake = "/socket.io/?EIO=4&transport=polling"
    assert client.get(handshake, headers={"Origin": "https://evil.example"}).status_code == 400
    assert client.get(handshake, headers={"Origin": "http://localhost"}).status_code == 200


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_presence_expires_the_same_in_redis_and_in_memory(app, store, request):
    from desk.live import presence
    from desk.models import Presence

    if store == "redis":
        request.getfixturevalue("redis_jobs")
    with app.app_context():
        app.extensions.pop("desk.presence", None)
        presence.socket_connected(1, "sid-a", "token", now=100)
        presence.view_ticket(7, "sid-a", 1, "Anna", now=100)
        assert presence.set_typing(7, "sid-a", True, now=101)
        assert not presence.set_typing(7, "sid-b", True, now=101)  # not a viewer
        assert presence.viewers(7, now=102) == [{"id": 1, "name": "Anna", "typing": True}]
        assert presence.status_of(1, now=102) == Presence.ONLINE
        presence.socket_seen(1, "sid-a", Presence.AWAY, now=110)
        assert presence.status_of(1, now=110) == Presence.AWAY
        assert presence.viewers(7, now=110)[0]["typing"] is False  # typing lasts 6 s

        swept = presence.sweep(now=101 + presence.EXPIRY + 1)
        assert (swept.tickets, swept.people) == ({7}, set())
        assert presence.viewers(7, now=150) == []
        assert presence.status_of(1, now=150) == Presence.AWAY
        swept = presence.sweep(now=110 + presence.EXPIRY + 1)
        assert (swept.tickets, swept.people) == (set(), {1})
        assert presence.status_of(1, now=110) == Presence.OFFLINE
        assert presence.sockets_of(1) == {}

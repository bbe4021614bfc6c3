"""Socket.IO: who may connect, which rooms they hear, and events only after commit."""

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

"""/api/v1 tickets: listing, reading, claiming, answering; errors as problem details."""

import threading

import pytest
from openapi_spec_validator import validate

from desk.models import Role, Status


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and "detail" in body
    return body


def test_openapi_document_is_valid_and_lists_the_routes(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    paths = spec["paths"]
    for path in ("/api/v1/tickets", "/api/v1/tickets/{ticket_id}",
                 "/api/v1/tickets/{ticket_id}/claim", "/api/v1/tickets/{ticket_id}/assign",
                 "/api/v1/tickets/{ticket_id}/replies", "/api/v1/tickets/{ticket_id}/notes",
                 "/api/v1/tickets/{ticket_id}/status", "/api/v1/intake/{slug}"):
        assert path in paths, path


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic dXNlcjpwdw==", "Bearer "])
def test_missing_or_bad_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    body = problem(client.get("/api/v1/tickets", headers=headers), 401)
    assert "token" in body["detail"].lower() or "bearer" in body["detail"].lower()


def test_deactivated_person_token_stops_working(app, make_person, api_as):
    from desk.extensions import db
    from desk.models import Person

    agent = make_person()
    api = api_as(agent)
    assert api.get("/tickets").status_code == 200
    with app.app_context():
        db.session.get(Person, agent.id).is_active_account = False
        db.session.commit()
    problem(api.get("/tickets"), 401)


def test_faq_editor_alone_may_not_work_tickets(make_person, api_as):
    editor = make_person(email="editor@example.com", roles=(Role.FAQ_EDITOR,))
    problem(api_as(editor).get("/tickets"), 403)


def test_ticket_shape_and_messages(make_person, make_ticket, api_as):
    agent = make_person()
    ticket = make_ticket(subject="Router blinkt rot", text="Seit gestern kein Internet.")
    api = api_as(agent)
    item = api.get("/tickets").get_json()["items"][0]
    for key in ("id", "status", "priority", "subject", "channel", "contact", "assignee",
                "team", "created_at", "updated_at", "due_at"):
        assert key in item
    assert item["contact"] == {"handle": "@pendlerin", "name": "Pendlerin", "reach": 120}
    detail = api.get(f"/tickets/{ticket.id}").get_json()
    assert detail["subject"] == "Router blinkt rot"
    [message] = detail["messages"]
    assert message["kind"] == "inbound"
    assert message["body_text"] == "Seit gestern kein Internet."
    assert set(message) >= {"id", "kind", "body_html", "body_text", "author", "created_at",
                            "external_id", "delivery"}


def test_unknown_ticket_is_404(make_person, api_as):
    problem(api_as(make_person()).get("/tickets/999999"), 404)


def test_filters_and_keyset_pages(make_person, make_ticket, api_as):
    agent = make_person()
    made = [make_ticket(subject=f"Paket {n} fehlt") for n in range(7)]
    make_ticket(subject="Doppelte Abbuchung", status=Status.RESOLVED)
    api = api_as(agent)
    seen, cursor = [], None
    while True:
        query = "/tickets?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(query).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [t.id for t in made]  # open tickets only, oldest first, none twice
    resolved = api.get("/tickets?status=resolved").get_json()["items"]
    assert [item["subject"] for item in resolved] == ["Doppelte Abbuchung"]
    found = api.get("/tickets?q=abbuchung&view=all").get_json()["items"]
    assert [item["subject"] for item in found] == ["Doppelte Abbuchung"]


def test_search_finds_message_bodies(make_person, make_ticket, api_as):
    agent = make_person()
    make_ticket(subject="Frage", text="Meine Sendungsnummer ist 00340434161094042557")
    make_ticket(subject="Andere Frage", text="Nichts davon")
    items = api_as(agent).get("/tickets?q=00340434161094042557").get_json()["items"]
    assert [item["subject"] for item in items] == ["Frage"]


def test_bad_query_values_are_422_naming_the_field(make_person, api_as):
    api = api_as(make_person())
    body = problem(api.get("/tickets?status=bogus"), 422)
    assert "status" in body["fields"]
    body = problem(api.get("/tickets?limit=0"), 422)
    assert "limit" in body["fields"]
    body = problem(api.get("/tickets?cursor=not-a-cursor"), 422)
    assert "cursor" in body["fields"]
    body = problem(api.get("/tickets?team=nobody"), 422)
    assert "team" in body["fields"]


def test_agent_does_not_see_other_teams(make_person, make_ticket, api_as):
    agent = make_person(teams=("Bahn",))
    mine = make_ticket(subject="Bahn", team="Bahn")
    other = make_ticket(subject="Technik", team="Technik")
    unrouted = make_ticket(subject="Ohne Team")
    api = api_as(agent)
    ids = [item["id"] for item in api.get("/tickets").get_json()["items"]]
    assert ids == [mine.id, unrouted.id]
    problem(api.get(f"/tickets/{other.id}"), 403)
    problem(api.post(f"/tickets/{other.id}/claim"), 403)


def test_claim_then_someone_else_gets_409(make_person, make_ticket, api_as):
    anna = make_person(email="anna@example.com")
    ben = make_person(email="ben@example.com", name="Ben")
    ticket = make_ticket()
    claimed = api_as(anna).post(f"/tickets/{ticket.id}/claim")
    assert claimed.status_code == 200
    assert claimed.get_json()["assignee"]["id"] == anna.id
    assert claimed.get_json()["status"] == "open"
    assert api_as(anna).post(f"/tickets/{ticket.id}/claim").status_code == 200  # idempotent
    body = problem(api_as(ben).post(f"/tickets/{ticket.id}/claim"), 409)
    assert "Anna" in body["detail"]


def test_simultaneous_claims_have_exactly_one_winner(app, make_person, make_ticket):
    from desk.auth.service import create_token

    agents = [make_person(email=f"agent{n}@example.com", name=f"Agent {n}") for n in range(8)]
    ticket = make_ticket()
    with app.app_context():
        tokens = [create_token(agent.email) for agent in agents]
    barrier = threading.Barrier(len(tokens))
    statuses: list[int] = []

    def claim(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tickets/{ticket.id}/claim",
                               headers={"Authorization": f"Bearer {token}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=claim, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * (len(tokens) - 1)
    from desk.extensions import db
    from desk.models import AuditEvent

    with app.app_context():
        claims = db.session.query(AuditEvent).filter_by(action="ticket.claimed").count()
    assert claims == 1


def test_reply_note_and_status(app, make_person, make_ticket, api_as):
    agent = make_person()
    ticket = make_ticket()
    api = api_as(agent)
    reply = api.post(f"/tickets/{ticket.id}/replies",
                     json={"body": "Das tut uns leid! <b>Wir</b> prüfen das."})
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["kind"] == "reply"
    assert "&lt;b&gt;" in reply.get_json()["body_html"]  # agents write text, not HTML
    note = api.post(f"/tickets/{ticket.id}/notes", json={"body": "Kunde ist Vielfahrer"})
    assert note.status_code == 201
    changed = api.post(f"/tickets/{ticket.id}/status",
                       json={"status": "resolved", "priority": "high"})
    assert changed.status_code == 200
    assert changed.get_json()["status"] == "resolved"
    assert changed.get_json()["priority"] == "high"
    detail = api.get(f"/tickets/{ticket.id}").get_json()
    assert [m["kind"] for m in detail["messages"]] == ["inbound", "reply", "note"]
    # No outbound connector in the foundation: the reply waits for a person to post it.
    assert detail["messages"][1]["delivery"] == "manual"
    assert detail["assignee"]["id"] == agent.id  # whoever answers first owns it
    from desk.extensions import db
    from desk.models import AuditEvent

    with app.app_context():
        actions = {a.action for a in db.session.query(AuditEvent).filter_by(ticket_id=ticket.id)}
    assert {"message.reply", "message.note", "ticket.status", "ticket.priority"} <= actions


def test_stale_version_is_409_and_writes_nothing(make_person, make_ticket, api_as):
    anna = make_person(email="anna@example.com")
    ben = make_person(email="ben@example.com", name="Ben")
    ticket = make_ticket()
    seen = api_as(anna).get(f"/tickets/{ticket.id}").get_json()["version"]
    assert api_as(ben).post(f"/tickets/{ticket.id}/notes", json={"body": "Ich übernehme"}
                            ).status_code == 201
    problem(api_as(anna).post(f"/tickets/{ticket.id}/replies",
                              json={"body": "Antwort", "version": seen}), 409)
    problem(api_as(anna).post(f"/tickets/{ticket.id}/status",
                              json={"status": "resolved", "version": seen}), 409)
    detail = api_as(anna).get(f"/tickets/{ticket.id}").get_json()
    assert [m["kind"] for m in detail["messages"]] == ["inbound", "note"]
    assert detail["status"] == "new"


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "x", "version": "seven"},
                                  {"body": "x" * 20_001}])
def test_invalid_reply_is_422(make_person, make_ticket, api_as, body):
    ticket = make_ticket()
    problem(api_as(make_person()).post(f"/tickets/{ticket.id}/replies", json=body), 422)


def test_unreadable_json_is_400(make_person, make_ticket, api_as):
    ticket = make_ticket()
    api = api_as(make_person())
    response = api.client.post(f"/api/v1/tickets/{ticket.id}/notes", data="{nope",
                               content_type="application/json", headers=api.headers)
    problem(response, 400)


def test_assign_needs_a_supervisor(make_person, make_ticket, api_as):
    agent = make_person(email="agent@example.com")
    boss = make_person(email="boss@example.com", name="Bea Boss", roles=(Role.SUPERVISOR,))
    ticket = make_ticket()
    problem(api_as(agent).post(f"/tickets/{ticket.id}/assign",
                               json={"assignee": "agent@example.com"}), 403)
    done = api_as(boss).post(f"/tickets/{ticket.id}/assign", json={"assignee": "agent@example.com"})
    assert done.status_code == 200
    assert done.get_json()["assignee"]["id"] == agent.id
    body = problem(api_as(boss).post(f"/tickets/{ticket.id}/assign",
                                     json={"assignee": "ghost@example.com"}), 422)
    assert "assignee" in body["fields"]
    released = api_as(agent).post(f"/tickets/{ticket.id}/assign", json={"assignee": None})
    assert released.status_code == 200 and released.get_json()["assignee"] is None

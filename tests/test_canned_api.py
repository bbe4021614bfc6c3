"""/api/v1/canned-replies: search, create, change, delete, render; errors as problem details."""

import pytest
from openapi_spec_validator import validate

from desk.extensions import db
from desk.models import CannedReply, Contact, Role
from tests.canned_data import make_canned
from tests.test_api import problem


@pytest.fixture
def agent(make_person):
    return make_person(email="anna@example.com", name="Anna Agent", teams=("Bahn",))


@pytest.fixture
def supervisor(make_person):
    return make_person(email="sven@example.com", name="Sven Supervisor",
                       roles=(Role.SUPERVISOR,))


def test_openapi_lists_the_canned_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    paths = spec["paths"]
    assert set(paths["/api/v1/canned-replies"]) >= {"get", "post"}
    assert set(paths["/api/v1/canned-replies/{reply_id}"]) >= {"put", "delete"}
    assert "post" in paths["/api/v1/canned-replies/{reply_id}/render"]


def test_create_search_update_render_delete(app, agent, api_as, make_ticket):
    api = api_as(agent)
    ticket = make_ticket(handle="@karla")
    created = api.post("/canned-replies", json={
        "title": "Sendung verspätet", "shortcut": "paket", "scope": "personal",
        "body": "Hallo {{ contact.first_name or 'du' }}, Sendung {{ ask.tracking }}.",
        "tags": ["Post"]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["scope"] == "personal" and body["owner"]["id"] == agent.id
    assert body["tags"] == ["post"] and body["languages"] == ["de"]
    assert body["bodies"]["de"] == (
        "<p>Hallo {{ contact.first_name or 'du' }}, Sendung {{ ask.tracking }}.</p>")
    reply_id = body["id"]

    items = api.get(f"/canned-replies?q=paket&ticket_id={ticket.id}").get_json()["items"]
    assert [item["id"] for item in items] == [reply_id] and items[0]["score"] > 0

    changed = api.client.put(f"/api/v1/canned-replies/{reply_id}", headers=api.headers, json={
        "language": "en", "body": "Hi {{ contact.first_name or 'there' }}!"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["languages"] == ["de", "en"]

    rendered = api.post(f"/canned-replies/{reply_id}/render", json={"ticket_id": ticket.id})
    assert rendered.status_code == 200
    assert rendered.get_json() == {
        "body_html": "<p>Hallo Karla, Sendung [ask.tracking].</p>",
        "body_text": "Hallo Karla, Sendung [ask.tracking].",
        "missing": ["ask.tracking"], "language": "de"}
    with app.app_context():
        db.session.get(Contact, ticket.contact_id).language = "en"
        db.session.commit()
    english = api.post(f"/canned-replies/{reply_id}/render",
                       json={"ticket_id": ticket.id, "values": {"tracking": "0034"}}).get_json()
    assert (english["body_text"], english["missing"]) == ("Hi Karla!", [])

    deleted = api.client.delete(f"/api/v1/canned-replies/{reply_id}", headers=api.headers)
    assert deleted.status_code == 204
    with app.app_context():
        assert db.session.get(CannedReply, reply_id) is None


def test_template_errors_are_422_with_the_line(agent, api_as):
    api = api_as(agent)
    body = problem(api.post("/canned-replies", json={
        "title": "Kaputt", "shortcut": "kaputt", "scope": "personal",
        "body": "Zeile 1\n{{ ''.__class__.__mro__ }}"}), 422)
    assert body["fields"]["body"] == ["line 2: attribute access is not allowed in canned replies"]
    body = problem(api.post("/canned-replies", json={
        "title": "Kaputt", "shortcut": "kaputt", "scope": "personal",
        "body": "{{ contact.shoe_size }}"}), 422)
    assert body["fields"]["body"] == ["line 1: unknown placeholder 'contact.shoe_size'"]
    body = problem(api.post("/canned-replies", json={
        "title": "", "shortcut": "Bad Shortcut", "scope": "personal", "body": "x"}), 422)
    assert "title" in body["fields"]


def test_scopes_and_permissions(app, make_person, agent, supervisor, api_as):
    as_agent, as_supervisor = api_as(agent), api_as(supervisor)
    problem(as_agent.post("/canned-replies", json={
        "title": "Alle", "shortcut": "alle", "scope": "global", "body": "x"}), 403)
    team = as_supervisor.post("/canned-replies", json={
        "title": "Bahn", "shortcut": "bahn", "scope": "team", "team": "Bahn", "body": "x"})
    assert team.status_code == 201, team.get_json()
    problem(as_supervisor.post("/canned-replies", json={
        "title": "Bahn", "shortcut": "bahn", "scope": "team", "team": "Gibtsnicht",
        "body": "x"}), 422)
    team_id = team.get_json()["id"]
    assert [i["id"] for i in as_agent.get("/canned-replies").get_json()["items"]] == [team_id]
    problem(as_agent.client.put(f"/api/v1/canned-replies/{team_id}", headers=as_agent.headers,
                                json={"title": "Meins"}), 403)
    problem(as_agent.client.delete(f"/api/v1/canned-replies/{team_id}",
                                   headers=as_agent.headers), 403)
    outsider = make_person(email="tom@example.com", name="Tom", teams=("Technik",))
    problem(api_as(outsider).post(f"/canned-replies/{team_id}/render", json={"ticket_id": 1}),
            403)
    personal = make_canned(app, agent, shortcut="meins")
    problem(as_supervisor.client.put(f"/api/v1/canned-replies/{personal}",
                                     headers=as_supervisor.headers, json={"title": "x"}), 403)
    problem(as_agent.get("/canned-replies/999999/render"), 405)
    problem(as_agent.post("/canned-replies/999999/render", json={"ticket_id": 1}), 404)


def test_render_refuses_bad_values_and_unknown_tickets(app, agent, api_as, make_ticket):
    api = api_as(agent)
    reply_id = make_canned(app, agent)
    ticket = make_ticket()
    body = problem(api.post(f"/canned-replies/{reply_id}/render",
                            json={"ticket_id": ticket.id, "values": {"__class__": "x"}}), 422)
    assert "values" in body["fields"]
    problem(api.post(f"/canned-replies/{reply_id}/render", json={"ticket_id": 999999}), 404)
    problem(api.post(f"/canned-replies/{reply_id}/render", json={}), 422)


def test_a_reply_sent_through_the_api_counts_its_canned_reply(app, agent, api_as, make_ticket):
    reply_id = make_canned(app, agent)
    ticket = make_ticket()
    api = api_as(agent)
    sent = api.post(f"/tickets/{ticket.id}/replies",
                    json={"body": "Hallo Pendlerin!", "canned_reply_ids": [reply_id],
                          "status": "resolved"})
    assert sent.status_code == 201, sent.get_json()
    [item] = api.get("/canned-replies").get_json()["items"]
    assert item["use_count"] == 1

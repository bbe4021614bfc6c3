"""The app builds, migrates and answers on both databases."""

from desk.models import Role


def test_login_page_answers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data


def test_api_lists_tickets(make_person, make_ticket, api_as):
    agent = make_person(roles=(Role.AGENT,))
    ticket = make_ticket()
    response = api_as(agent).get("/tickets")
    assert response.status_code == 200, response.json
    assert [item["id"] for item in response.json["items"]] == [ticket.id]

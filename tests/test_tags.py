"""Ticket tags: the pane's form (plain and htmx), the API, the queue, audit and live events."""

import sqlalchemy as sa

from desk.extensions import db, socketio
from desk.models import AuditEvent, Role, Tag, TicketTag
from tests.conftest import login


def tags_in_db(app):
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Tag.name)))


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def delete(api, path, json):
    return api.client.delete(f"/api/v1{path}", json=json, headers=api.headers)


def test_api_adds_and_removes_tags_case_insensitively(app, make_person, make_ticket, api_as):
    anna = make_person(teams=("Bahn",))
    ticket = make_ticket(team="Bahn")
    api = api_as(anna)
    body = api.post(f"/tickets/{ticket.id}/tags", json={"name": "Refund"}).get_json()
    assert body["tags"] == ["refund"]
    # The same tag in another case is the same tag: nothing changes, no second row.
    again = api.post(f"/tickets/{ticket.id}/tags", json={"name": " REFUND "})
    assert again.status_code == 200 and again.get_json()["tags"] == ["refund"]
    assert again.get_json()["version"] == body["version"]
    api.post(f"/tickets/{ticket.id}/tags", json={"name": "Verspätung"})
    assert api.get(f"/tickets/{ticket.id}").get_json()["tags"] == ["refund", "verspätung"]
    assert tags_in_db(app) == ["refund", "verspätung"]
    gone = delete(api, f"/tickets/{ticket.id}/tags", {"name": "Refund"})
    assert gone.status_code == 200 and gone.get_json()["tags"] == ["verspätung"]
    # Removing what is not there is no error and no change.
    assert delete(api, f"/tickets/{ticket.id}/tags", {"name": "refund"}).status_code == 200
    assert tags_in_db(app) == ["refund", "verspätung"]  # the vocabulary keeps the name
    with app.app_context():
        actions = list(db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.data["tag"].as_string())
            .where(AuditEvent.ticket_id == ticket.id, AuditEvent.action.like("ticket.tag%"))
            .order_by(AuditEvent.id)))
    assert [tuple(row) for row in actions] == [
        ("ticket.tag_added", "refund"), ("ticket.tag_added", "verspätung"),
        ("ticket.tag_removed", "refund")]


def test_api_refuses_bad_names_with_422(app, make_person, make_ticket, api_as):
    anna = make_person(teams=("Bahn",))
    ticket = make_ticket(team="Bahn")
    api = api_as(anna)
    for name in ("", "   ", "x" * 41, "two words", "<b>", "-leading", "semi;colon"):
        body = problem(api.post(f"/tickets/{ticket.id}/tags", json={"name": name}), 422)
        assert "name" in body["fields"], name
    problem(api.post(f"/tickets/{ticket.id}/tags", json={}), 422)
    assert tags_in_db(app) == []
    assert api.get(f"/tickets/{ticket.id}").get_json()["tags"] == []


def test_a_ticket_holds_at_most_twenty_tags(app, make_person, make_ticket, api_as):
    anna = make_person(teams=("Bahn",))
    ticket = make_ticket(team="Bahn")
    api = api_as(anna)
    for n in range(20):
        assert api.post(f"/tickets/{ticket.id}/tags", json={"name": f"t{n}"}).status_code == 200
    body = problem(api.post(f"/tickets/{ticket.id}/tags", json={"name": "one-more"}), 422)
    assert "name" in body["fields"]
    assert len(api.get(f"/tickets/{ticket.id}").get_json()["tags"]) == 20


def test_tags_follow_who_may_see_the_ticket(app, make_person, make_ticket, api_as):
    make_person(teams=("Bahn",))
    outsider = make_person(email="t@example.com", teams=("Technik",))
    ticket = make_ticket(team="Bahn")
    problem(api_as(outsider).post(f"/tickets/{ticket.id}/tags", json={"name": "x"}), 403)
    problem(api_as(outsider).post("/tickets/999999/tags", json={"name": "x"}), 404)
    chief = make_person(email="chief@example.com", roles=(Role.MANAGEMENT,))
    problem(api_as(chief).post(f"/tickets/{ticket.id}/tags", json={"name": "x"}), 403)
    assert tags_in_db(app) == []


def test_the_queue_filters_by_tag_and_lists_tags(app, make_person, make_ticket, api_as):
    anna = make_person(teams=("Bahn",))
    first = make_ticket(team="Bahn", subject="Erstattung bitte")
    second = make_ticket(team="Bahn", subject="Zug weg", handle="@zwei")
    api = api_as(anna)
    api.post(f"/tickets/{first.id}/tags", json={"name": "refund"})
    api.post(f"/tickets/{second.id}/tags", json={"name": "delay"})
    api.post(f"/tickets/{second.id}/tags", json={"name": "app"})
    page = api.get("/tickets?view=all&tag=Refund").get_json()
    assert [(item["id"], item["tags"]) for item in page["items"]] == [(first.id, ["refund"])]
    items = {item["id"]: item["tags"] for item in api.get("/tickets?view=all").get_json()["items"]}
    assert items == {first.id: ["refund"], second.id: ["app", "delay"]}
    problem(api.get("/tickets?tag=never-used"), 422)
    problem(api.get("/tickets?tag=bad%20name"), 422)


def test_the_pane_adds_a_tag_and_shows_it_on_the_queue_row(app, client, make_person,
                                                           make_ticket):
    agent = make_person(teams=("Bahn",))
    ticket = make_ticket(team="Bahn")
    login(client, agent.email)
    response = client.post(f"/tickets/{ticket.id}/tags", data={"tag-name": "Refund"})
    assert response.status_code == 302
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert 'id="ticket-tags"' in page and ">refund</a>" in page
    assert '<span class="tag">refund</span>' in page  # the queue row
    filtered = client.get("/inbox/all?tag=REFUND").get_data(as_text=True)
    assert f'data-ticket-id="{ticket.id}"' in filtered
    assert f'data-ticket-id="{ticket.id}"' not in client.get("/inbox/all?tag=other") \
        .get_data(as_text=True)
    assert client.get("/inbox/all?tag=no%20way").status_code == 400
    response = client.post(f"/tickets/{ticket.id}/tags/remove", data={"untag-name": "refund"})
    assert response.status_code == 302
    assert ">refund</a>" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)


def test_a_bad_name_shows_the_form_again_with_the_message_and_the_input(
        app, client, make_person, make_ticket):
    agent = make_person(teams=("Bahn",), language="en")
    ticket = make_ticket(team="Bahn")
    login(client, agent.email)
    response = client.post(f"/tickets/{ticket.id}/tags", data={"tag-name": "two words"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Letters, digits, - and _ only" in page
    assert 'value="two words"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketTag)) == 0


def test_htmx_gets_the_tags_panel_alone(app, client, make_person, make_ticket):
    agent = make_person(teams=("Bahn",))
    ticket = make_ticket(team="Bahn")
    login(client, agent.email)
    htmx = {"HX-Request": "true"}
    response = client.post(f"/tickets/{ticket.id}/tags", data={"tag-name": "app"}, headers=htmx)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<section") and 'id="ticket-tags"' in fragment
    assert ">app</a>" in fragment and "<html" not in fragment
    refused = client.post(f"/tickets/{ticket.id}/tags", data={"tag-name": "a b"}, headers=htmx)
    assert refused.status_code == 200  # htmx swaps only 2xx: the message comes in the panel
    assert "Letters, digits" in refused.get_data(as_text=True)
    assert 'value="a b"' in refused.get_data(as_text=True)
    removed = client.post(f"/tickets/{ticket.id}/tags/remove", data={"untag-name": "app"},
                          headers=htmx)
    assert ">app</a>" not in removed.get_data(as_text=True)


def test_tag_changes_are_pushed_live_after_commit(app, make_person, make_ticket, api_as):
    anna = make_person(teams=("Bahn",))
    ticket = make_ticket(team="Bahn")
    client = app.test_client()
    login(client, anna.email)
    socket = socketio.test_client(app, flask_test_client=client)
    assert socket.is_connected()
    socket.get_received()
    api_as(anna).post(f"/tickets/{ticket.id}/tags", json={"name": "refund"})
    updates = [event["args"][0] for event in socket.get_received()
               if event["name"] == "ticket.updated"]
    assert updates and updates[-1]["ticket_id"] == ticket.id
    assert updates[-1]["changes"] == {"tags": ["refund"]}
    # A refused change sends nothing.
    api_as(anna).post(f"/tickets/{ticket.id}/tags", json={"name": "a b"})
    assert [e for e in socket.get_received() if e["name"] == "ticket.updated"] == []
    socket.disconnect()


def test_the_queue_page_reads_tags_with_its_rows_whatever_the_page_holds(
        app, client, make_person, make_ticket, api_as):
    agent = make_person(teams=("Bahn",))
    api = api_as(agent)
    login(client, agent.email)

    def statements_for_queue_page() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/inbox/all").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        # No query of its own for the tags: they come with the rows (desk.inbox.queue).
        tag_reads = [statement for statement in seen if "ticket_tags" in statement]
        assert tag_reads
        assert all("FROM tickets JOIN channels" in statement for statement in tag_reads)
        return len(seen)

    ticket = make_ticket(team="Bahn", handle="@a")
    api.post(f"/tickets/{ticket.id}/tags", json={"name": "one"})
    few = statements_for_queue_page()
    for n in range(6):
        more = make_ticket(team="Bahn", handle=f"@m{n}")
        api.post(f"/tickets/{more.id}/tags", json={"name": f"tag{n}"})
        api.post(f"/tickets/{more.id}/tags", json={"name": "shared"})
    assert statements_for_queue_page() == few

"""The assignment API and CLI: permissions, bad input, bulk results, presence, agents."""

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import AuditEvent, Presence, Role, Ticket
from tests.assignment_helpers import actions, assignee_of, assignees, present


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


@pytest.fixture
def people(app, make_person):
    return {
        "sue": make_person(email="sue@example.com", name="Sue", roles=(Role.SUPERVISOR,)),
        "anna": make_person(email="anna@example.com", name="Anna", teams=("Care",)),
        "ben": make_person(email="ben@example.com", name="Ben", teams=("Care",)),
        "olaf": make_person(email="olaf@example.com", name="Olaf", teams=("Shop",)),
    }


def test_supervisor_assigns_reassigns_with_reason_and_unassigns(app, ctx, api_as, people,
                                                                make_ticket):
    sue = api_as(people["sue"])
    ticket = make_ticket(team="Care")
    response = sue.post(f"/tickets/{ticket.id}/assign", {"assignee": "anna@example.com"})
    assert response.status_code == 200
    assert response.get_json()["assignee"]["name"] == "Anna"
    response = sue.post(f"/tickets/{ticket.id}/assign",
                        {"assignee": "ben@example.com", "reason": "Anna ist krank"})
    assert response.get_json()["assignee"]["name"] == "Ben"
    assert sue.post(f"/tickets/{ticket.id}/unassign", {}).get_json()["assignee"] is None
    rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.data)
                              .where(AuditEvent.ticket_id == ticket.id)
                              .order_by(AuditEvent.id)).all()
    anna, ben = people["anna"].id, people["ben"].id
    assert [(a, d.get("old"), d.get("new"), d.get("reason")) for a, d in rows] == [
        ("ticket.assigned", None, anna, None),
        ("ticket.assigned", anna, ben, "Anna ist krank"),
        ("ticket.unassigned", ben, None, None),
    ]


def test_the_assignee_may_hand_on_their_own_ticket(app, ctx, api_as, people, make_ticket):
    ticket = make_ticket(team="Care", assignee=people["anna"])
    anna = api_as(people["anna"])
    response = anna.post(f"/tickets/{ticket.id}/assign",
                         {"assignee": "ben@example.com", "reason": "Urlaub"})
    assert response.status_code == 200
    assert assignee_of(ticket) == people["ben"].id


def test_agents_trying_supervisor_actions_get_403_and_an_audit_entry(app, ctx, api_as, people,
                                                                     make_ticket):
    ticket = make_ticket(team="Care", assignee=people["ben"])
    anna = api_as(people["anna"])
    problem(anna.post(f"/tickets/{ticket.id}/assign", {"assignee": "anna@example.com"}), 403)
    problem(anna.post(f"/tickets/{ticket.id}/unassign", {}), 403)
    problem(anna.post("/tickets/bulk-assign",
                      {"ticket_ids": [ticket.id], "assignee": "anna@example.com"}), 403)
    problem(anna.client.put("/api/v1/teams/Care/assignment", json={"mode": "round_robin"},
                            headers=anna.headers), 403)
    problem(anna.get("/agents"), 403)
    assert assignee_of(ticket) == people["ben"].id
    attempts = db.session.scalars(
        sa.select(AuditEvent.data).where(AuditEvent.action == "assignment.forbidden",
                                         AuditEvent.actor_id == people["anna"].id)).all()
    assert [entry["attempted"] for entry in attempts] == [
        "ticket.assign", "ticket.assign", "ticket.bulk_assign", "assignment.rule", "api.agents"]


@pytest.mark.parametrize("assignee, reason", [
    ("nobody@example.com", "unknown"),
    ("olaf@example.com", "not in the ticket's team"),
])
def test_assigning_to_someone_unsuitable_is_422_with_the_reason(app, ctx, api_as, people,
                                                               make_ticket, assignee, reason):
    ticket = make_ticket(team="Care")
    body = problem(api_as(people["sue"]).post(f"/tickets/{ticket.id}/assign",
                                              {"assignee": assignee}), 422)
    assert body["fields"]["assignee"] == [reason]
    assert assignee_of(ticket) is None


def test_assigning_to_a_deactivated_person_is_422(app, ctx, api_as, people, make_ticket):
    from desk.auth.service import deactivate
    from desk.models import Person

    deactivate(None, db.session.get(Person, people["ben"].id))
    ticket = make_ticket(team="Care")
    body = problem(api_as(people["sue"]).post(f"/tickets/{ticket.id}/assign",
                                              {"assignee": "ben@example.com"}), 422)
    assert body["fields"]["assignee"] == ["inactive"]


def test_claiming_a_held_ticket_is_409_and_changes_nothing(app, ctx, api_as, people,
                                                          make_ticket):
    ticket = make_ticket(team="Care", assignee=people["anna"])
    body = problem(api_as(people["ben"]).post(f"/tickets/{ticket.id}/claim"), 409)
    assert body["assignee_id"] == people["anna"].id
    assert assignee_of(ticket) == people["anna"].id


def test_bulk_assign_does_the_valid_and_lists_the_rest(app, ctx, api_as, people, make_ticket):
    care = [make_ticket(team="Care", handle=f"@k{n}") for n in range(3)]
    shop = make_ticket(team="Shop", handle="@shop")
    response = api_as(people["sue"]).post("/tickets/bulk-assign", {
        "ticket_ids": [care[0].id, 999_999, shop.id, care[1].id, care[2].id, care[0].id],
        "assignee": "anna@example.com", "reason": "Schichtwechsel"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["done"] == [care[0].id, care[1].id, care[2].id]
    assert [(item["id"], item["reason"]) for item in body["failed"]] == [
        (999_999, "ticket 999999 does not exist"),
        (shop.id, "Anna may not work this ticket's team"),
    ]
    assert assignees(care) == [people["anna"].id] * 3
    assert assignee_of(shop) is None
    assert actions(shop) == []


def test_bulk_assign_refuses_unreadable_input(app, ctx, api_as, people):
    sue = api_as(people["sue"])
    problem(sue.post("/tickets/bulk-assign", {"ticket_ids": [], "assignee": None}), 422)
    problem(sue.post("/tickets/bulk-assign", {"ticket_ids": ["x"], "assignee": None}), 422)
    body = problem(sue.post("/tickets/bulk-assign",
                            {"ticket_ids": [1], "assignee": "ghost@example.com"}), 422)
    assert body["fields"] == {"assignee": ["unknown"]}


def test_assign_to_a_team_moves_it_to_their_pool(app, ctx, api_as, people, make_ticket):
    ticket = make_ticket(team="Care", assignee=people["anna"])
    sue = api_as(people["sue"])
    response = sue.post(f"/tickets/{ticket.id}/assign", {"team": "Shop"})
    assert response.status_code == 200
    assert (response.get_json()["team"], response.get_json()["assignee"]) == ("Shop", None)
    response = sue.post(f"/tickets/{ticket.id}/assign",
                        {"team": "Care", "assignee": "olaf@example.com"})
    assert problem(response, 422)["fields"]["assignee"] == ["not in the ticket's team"]
    problem(sue.post(f"/tickets/{ticket.id}/assign", {"team": "Nowhere"}), 404)


def test_team_rules_put_and_get(app, ctx, api_as, people):
    sue = api_as(people["sue"])
    response = sue.client.put("/api/v1/teams/Care/assignment", headers=sue.headers, json={
        "mode": "least_loaded", "capacity": 5, "grace_minutes": 20, "response_minutes": 45})
    assert response.status_code == 200
    body = sue.get("/teams/Care/assignment").get_json()
    assert {k: body[k] for k in ("mode", "capacity", "grace_minutes", "response_minutes")} == {
        "mode": "least_loaded", "capacity": 5, "grace_minutes": 20, "response_minutes": 45}
    bad = sue.client.put("/api/v1/teams/Care/assignment", headers=sue.headers,
                         json={"mode": "random", "capacity": 0})
    assert set(problem(bad, 422)["fields"]) == {"mode", "capacity"}
    bad = sue.client.put("/api/v1/teams/Care/assignment", headers=sue.headers,
                         json={"response_minutes_by_priority": {"asap": 5}})
    problem(bad, 422)
    problem(sue.client.put("/api/v1/teams/Ghosts/assignment", headers=sue.headers,
                           json={"mode": "off"}), 404)


def test_presence_choice_and_the_agents_list(app, ctx, api_as, people, make_ticket):
    anna = api_as(people["anna"])
    present(people["anna"], people["ben"])
    make_ticket(team="Care", assignee=people["anna"])
    response = anna.client.put("/api/v1/me/presence", headers=anna.headers,
                               json={"status": "away"})
    assert response.get_json() == {"status": "away", "chosen": "away"}
    problem(anna.client.put("/api/v1/me/presence", headers=anna.headers,
                            json={"status": "busy"}), 422)
    items = {item["email"]: item for item in api_as(people["sue"]).get("/agents")
             .get_json()["items"]}
    assert (items["anna@example.com"]["presence"], items["anna@example.com"]["load"],
            items["anna@example.com"]["capacity"]) == ("away", 1, 10)
    assert items["ben@example.com"]["presence"] == "online"
    assert items["olaf@example.com"]["presence"] == "offline"


def test_a_chosen_status_is_broadcast_to_supervisors(app, ctx, people):
    from desk.assignment.rules import set_chosen_status
    from desk.extensions import socketio
    from desk.models import Person

    client = socketio.test_client(app, auth={"token": _token(people["sue"])})
    client.get_received()
    set_chosen_status(db.session.get(Person, people["anna"].id), Presence.OFFLINE)
    received = [e for e in client.get_received() if e["name"] == "presence.updated"]
    assert received[-1]["args"][0] == {"person_id": people["anna"].id, "status": "offline"}
    client.disconnect()


def _token(person):
    from desk.auth.service import create_token

    return create_token(person.email)


def test_cli_create_team(app, runner, people):
    result = runner.invoke(args=["desk", "create-team", "Social", "--member", "anna@example.com",
                                 "--member", "ben@example.com", "--mode", "round_robin"])
    assert result.exit_code == 0, result.output
    assert "Created team Social with 2 member(s)." in result.output
    with app.app_context():
        from desk.assignment.rules import rule_for
        from tests.assignment_helpers import team_id

        assert rule_for(team_id("Social")).mode.value == "round_robin"
    again = runner.invoke(args=["desk", "create-team", "Social"])
    assert again.exit_code == 2 and "exists already" in again.output
    ghost = runner.invoke(args=["desk", "create-team", "Nacht", "--member", "x@example.com"])
    assert ghost.exit_code == 2 and "no person with e-mail x@example.com" in ghost.output
    with app.app_context():
        from desk.models import Team

        assert db.session.scalar(sa.select(Team.id).where(Team.name == "Nacht")) is None


def test_the_audit_of_a_ticket_stays_linked_after_a_conflicting_assign(app, ctx, api_as,
                                                                       people, make_ticket):
    ticket = make_ticket(team="Care")
    sue = api_as(people["sue"])
    version = sue.get(f"/tickets/{ticket.id}").get_json()["version"]
    api_as(people["anna"]).post(f"/tickets/{ticket.id}/claim")
    stale = sue.post(f"/tickets/{ticket.id}/assign",
                     {"assignee": "ben@example.com", "version": version})
    problem(stale, 409)
    assert db.session.scalar(sa.select(Ticket.assignee_id)) == people["anna"].id


def test_supervisors_set_a_persons_capacity_and_skills(app, ctx, api_as, people,
                                                       make_channel):
    make_channel(slug="forum", team="Care")
    sue = api_as(people["sue"])
    response = sue.client.put("/api/v1/agents/anna@example.com", headers=sue.headers,
                              json={"capacity": 3, "languages": ["de"], "channels": ["forum"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["capacity"] == 3
    from desk.assignment.rules import state_of

    state = state_of(people["anna"].id)
    assert (state.capacity, state.languages, len(state.channel_ids)) == (3, ["de"], 1)
    bad = sue.client.put("/api/v1/agents/anna@example.com", headers=sue.headers,
                         json={"channels": ["nowhere"]})
    assert problem(bad, 422)["fields"] == {"channels": ["unknown nowhere"]}
    anna = api_as(people["anna"])
    problem(anna.client.put("/api/v1/agents/anna@example.com", headers=anna.headers,
                            json={"capacity": 99}), 403)


def test_reassigning_a_ticket_someone_else_holds_needs_a_reason(app, ctx, api_as, people,
                                                                make_ticket):
    sue = api_as(people["sue"])
    ticket = make_ticket(team="Care", assignee=people["anna"])
    for body in ({"assignee": "ben@example.com"}, {"assignee": "ben@example.com", "reason": " "}):
        problem_body = problem(sue.post(f"/tickets/{ticket.id}/assign", body), 422)
        assert "reason" in problem_body["fields"]
    assert assignee_of(ticket) == people["anna"].id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.ticket_id == ticket.id)) == 0
    # The bulk reassign keeps its interface: a reason is recorded when given.
    response = sue.post("/tickets/bulk-assign", {"ticket_ids": [ticket.id],
                                                 "assignee": "ben@example.com"})
    assert response.get_json() == {"done": [ticket.id], "failed": []}

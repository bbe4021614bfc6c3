"""Editing and ordering SLA policies: API and form, validation, audit, recomputed due times."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from desk.extensions import db
from desk.models import AuditEvent, Role, SlaPolicy
from tests.conftest import login
from tests.sla_helpers import (
    ALWAYS,
    OFFICE,
    berlin,
    clocks,
    form_data,
    make_policy,
    policy_payload,
    start_clocks,
)

START = berlin(2026, 11, 24, 10, 0)  # a Tuesday


def put(api, path, body):
    return api.client.put(f"/api/v1{path}", json=body, headers=api.headers)


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def audit_entries(app, action):
    with app.app_context():
        return [entry.data for entry in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def stored(app, policy_id):
    with app.app_context():
        policy = db.session.get(SlaPolicy, policy_id)
        db.session.expunge(policy)
        return policy


def test_supervisors_read_and_replace_a_policy_through_the_api(app, make_person, api_as,
                                                                make_channel):
    make_channel(slug="twitter")
    api = api_as(make_person(roles=(Role.SUPERVISOR,)))
    first = api.post("/sla-policies", policy_payload(name="First")).get_json()
    policy = api.post("/sla-policies", policy_payload(channel="twitter",
                                                      priority="high")).get_json()
    assert api.get(f"/sla-policies/{policy['id']}").get_json() == policy

    changed = put(api, f"/sla-policies/{policy['id']}", policy_payload(
        name="Twitter", first_response_minutes=30, pause_statuses=["pending", "new"],
        calendar=ALWAYS))
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["name"] == "Twitter" and body["first_response_minutes"] == 30
    assert body["pause_statuses"] == ["new", "pending"] and body["calendar"] == ALWAYS
    # A replacement: what is left out takes its default ("any" channel and priority);
    # the place in the matching order stays.
    assert body["channel"] is None and body["priority"] is None
    assert body["position"] == policy["position"] > first["position"]
    assert api.get(f"/sla-policies/{policy['id']}").get_json() == body
    assert audit_entries(app, "sla.policy_updated") == [{
        "policy_id": policy["id"], "name": "Twitter",
        "changed": ["calendar", "channel_id", "first_response_minutes", "name",
                    "pause_statuses", "priority"]}]

    moved = put(api, f"/sla-policies/{policy['id']}", {**policy_payload(name="Twitter"),
                                                       "position": 1})
    assert moved.get_json()["position"] == 1
    assert [p["name"] for p in api.get("/sla-policies").get_json()] == ["Twitter", "First"]


def test_an_edit_with_impossible_values_is_refused_with_the_reason_and_changes_nothing(
        app, make_person, api_as):
    api = api_as(make_person(roles=(Role.SUPERVISOR,)))
    policy_id = api.post("/sla-policies", policy_payload()).get_json()["id"]
    api.post("/sla-policies", policy_payload(name="Other"))
    before = api.get(f"/sla-policies/{policy_id}").get_json()

    body = problem(put(api, f"/sla-policies/{policy_id}",
                       policy_payload(first_response_minutes=-5)), 422)
    assert "first_response_minutes" in body["fields"]
    overlapping = {"hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}
    body = problem(put(api, f"/sla-policies/{policy_id}",
                       policy_payload(calendar=overlapping)), 422)
    assert body["fields"]["calendar.hours.mon"] == ["periods overlap"]
    body = problem(put(api, f"/sla-policies/{policy_id}", policy_payload(calendar={})), 422)
    assert "calendar" in body["fields"]
    body = problem(put(api, f"/sla-policies/{policy_id}", policy_payload(name="Other")), 422)
    assert body["fields"] == {"name": ["taken"]}
    problem(put(api, f"/sla-policies/{policy_id}", {"name": "No targets"}), 422)

    assert api.get(f"/sla-policies/{policy_id}").get_json() == before
    assert audit_entries(app, "sla.policy_updated") == []
    # Keeping its own name is no clash.
    assert put(api, f"/sla-policies/{policy_id}", policy_payload(
        resolution_minutes=600)).status_code == 200


def test_only_supervisors_edit_and_unknown_policies_are_404(app, make_person, api_as):
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    policy_id = make_policy(app, supervisor)
    agent = api_as(make_person())
    assert agent.get(f"/sla-policies/{policy_id}").status_code == 200
    problem(put(agent, f"/sla-policies/{policy_id}", policy_payload(name="Mine")), 403)
    problem(put(agent, "/sla-policies/order", {"ids": [policy_id]}), 403)
    assert stored(app, policy_id).name == "Standard"
    api = api_as(supervisor)
    problem(api.get(f"/sla-policies/{policy_id + 100}"), 404)
    problem(put(api, f"/sla-policies/{policy_id + 100}", policy_payload()), 404)


@time_machine.travel(START, tick=False)
def test_an_edit_recomputes_the_due_times_of_open_tickets(app, make_person, api_as,
                                                          make_ticket):
    supervisor = make_person(roles=(Role.SUPERVISOR,))
    policy_id = make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=60)
    ticket = start_clocks(app, make_ticket())
    _, row = clocks(app, ticket.id)
    assert row.first_response_due_at == START + timedelta(minutes=60)

    api = api_as(supervisor)
    assert put(api, f"/sla-policies/{policy_id}", policy_payload(
        calendar=ALWAYS, first_response_minutes=30)).status_code == 200
    found, row = clocks(app, ticket.id)
    assert row.first_response_due_at == START + timedelta(minutes=30)
    assert found.due_at == row.first_response_due_at

    # The clock has not moved, yet the new calendar applies (not a cached old one):
    # Tuesday 10:00 plus 9 business hours of 09:00-17:00 is Wednesday 11:00.
    assert put(api, f"/sla-policies/{policy_id}", policy_payload(
        calendar=OFFICE, first_response_minutes=540)).status_code == 200
    _, row = clocks(app, ticket.id)
    assert row.first_response_due_at == berlin(2026, 11, 25, 11, 0)


@time_machine.travel(START, tick=False)
def test_the_order_decides_which_policy_applies(app, make_person, api_as, make_ticket):
    supervisor = make_person(roles=(Role.SUPERVISOR,))
    ticket = make_ticket()  # creates the webhook channel
    everything = make_policy(app, supervisor, name="Everything", calendar=ALWAYS,
                             first_response_minutes=60)
    webhook = make_policy(app, supervisor, name="Webhook", channel="webhook",
                          calendar=ALWAYS, first_response_minutes=15)
    start_clocks(app, ticket)
    api = api_as(supervisor)
    assert api.get(f"/tickets/{ticket.id}").get_json()["sla"]["policy"] == "Everything"

    ordered = put(api, "/sla-policies/order", {"ids": [webhook, everything]})
    assert ordered.status_code == 200, ordered.get_data(as_text=True)
    assert [p["name"] for p in ordered.get_json()] == ["Webhook", "Everything"]
    sla = api.get(f"/tickets/{ticket.id}").get_json()["sla"]
    assert sla["policy"] == "Webhook"
    assert sla["first_response_due_at"].startswith("2026-11-24T09:15")
    assert audit_entries(app, "sla.policies_reordered") == [
        {"order": [webhook, everything], "before": [everything, webhook]}]

    # A list made before a policy was added or removed is not guessed at.
    problem(put(api, "/sla-policies/order", {"ids": [webhook]}), 409)
    problem(put(api, "/sla-policies/order", {"ids": [webhook, everything, 999]}), 409)
    problem(put(api, "/sla-policies/order", {"ids": [webhook, webhook, everything]}), 422)
    problem(put(api, "/sla-policies/order", {"ids": "Webhook"}), 422)
    assert [p["name"] for p in api.get("/sla-policies").get_json()] == ["Webhook", "Everything"]


def test_the_edit_form_comes_prefilled_and_saves(app, client, make_person):
    make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    login(client, "sup@example.com")
    assert client.post("/sla/policies", data=form_data()).status_code == 302
    with app.app_context():
        policy_id = db.session.scalar(sa.select(SlaPolicy.id))
    page = client.get(f"/sla/policies/{policy_id}/edit").get_data(as_text=True)
    assert 'value="Werktags"' in page
    assert "mon 08:00-12:00 13:00-17:00\ntue 09:00-17:00" in page
    assert '<option selected value="BY">' in page and "2026-12-24" in page
    assert 'checked id="pause_statuses-2" name="pause_statuses" type="checkbox" value="pending"' \
        in page

    response = client.post(f"/sla/policies/{policy_id}/edit", data=form_data(
        first_response_minutes="45", hours="mon 07:00-15:00", state="", pause_statuses=[]))
    assert response.status_code == 302, response.get_data(as_text=True)
    policy = stored(app, policy_id)
    assert policy.first_response_minutes == 45
    assert policy.calendar["hours"] == {"mon": [["07:00", "15:00"]]}
    assert policy.calendar["holidays"] is None and policy.pause_statuses == []
    assert audit_entries(app, "sla.policy_updated")[0]["changed"] == [
        "calendar", "first_response_minutes", "pause_statuses"]


def test_an_impossible_edit_comes_back_with_the_reason_and_the_input_kept(app, client,
                                                                         make_person):
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    policy_id = make_policy(app, supervisor)
    login(client, "sup@example.com")
    response = client.post(f"/sla/policies/{policy_id}/edit", data=form_data(
        first_response_minutes="-5", hours="mon 09:00-13:00 12:00-17:00"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "periods overlap" in page and "first_response_minutes" in page
    assert 'value="-5"' in page and "mon 09:00-13:00 12:00-17:00" in page
    assert stored(app, policy_id).first_response_minutes == 60
    assert client.get(f"/sla/policies/{policy_id + 100}/edit").status_code == 404


def test_the_form_keeps_public_holidays_it_cannot_show(app, client, make_person):
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    austria = {**OFFICE, "holidays": {"country": "AT", "state": "9"}}
    policy_id = make_policy(app, supervisor, calendar=austria)
    login(client, "sup@example.com")
    page = client.get(f"/sla/policies/{policy_id}/edit").get_data(as_text=True)
    assert '<option selected value="keep">Keep AT-9</option>' in page
    response = client.post(f"/sla/policies/{policy_id}/edit", data=form_data(
        name="Standard", state="keep"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(app, policy_id).calendar["holidays"] == {"country": "AT", "state": "9"}


def test_agents_may_not_edit_or_move_policies(app, client, make_person):
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    policy_id = make_policy(app, supervisor)
    make_person()
    login(client, "agent@example.com")
    assert client.get(f"/sla/policies/{policy_id}/edit").status_code == 403
    assert client.post(f"/sla/policies/{policy_id}/edit", data=form_data()).status_code == 403
    assert client.post(f"/sla/policies/{policy_id}/move",
                       data={"direction": "down"}).status_code == 403
    assert stored(app, policy_id).name == "Standard"


def test_the_up_and_down_buttons_change_the_order(app, client, make_person):
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    first = make_policy(app, supervisor, name="First")
    make_policy(app, supervisor, name="Second")
    third = make_policy(app, supervisor, name="Third")
    login(client, "sup@example.com")

    def order():
        with app.app_context():
            from desk.sla.policies import list_policies

            return [policy.name for policy in list_policies()]

    page = client.get("/sla/policies").get_data(as_text=True)
    assert page.count('name="direction" value="up"') == 2  # not on the first row
    assert client.post(f"/sla/policies/{third}/move", data={"direction": "up"}).status_code == 302
    assert order() == ["First", "Third", "Second"]
    client.post(f"/sla/policies/{first}/move", data={"direction": "down"})
    assert order() == ["Third", "First", "Second"]
    client.post(f"/sla/policies/{third}/move", data={"direction": "up"})  # already first
    assert order() == ["Third", "First", "Second"]
    assert client.post(f"/sla/policies/{first}/move",
                       data={"direction": "sideways"}).status_code == 400
    assert client.post(f"/sla/policies/{first + 100}/move",
                       data={"direction": "up"}).status_code == 404
    assert order() == ["Third", "First", "Second"]
    assert len(audit_entries(app, "sla.policies_reordered")) == 2

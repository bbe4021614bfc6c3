"""SLA policies and clocks on real tickets: matching, due times, pauses, restarts."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from desk.extensions import db
from desk.models import Role, Status
from tests.sla_helpers import (
    ALWAYS,
    berlin,
    clocks,
    make_policy,
    only_ticket_id,
    policy_payload,
    post_intake,
)


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_supervisors_create_and_list_policies_through_the_api(app, make_person, api_as,
                                                               make_channel):
    make_channel(slug="twitter")
    api = api_as(make_person(roles=(Role.SUPERVISOR,)))
    created = api.post("/sla-policies", policy_payload(channel="twitter", priority="high"))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["channel"] == "twitter"
    api.post("/sla-policies", policy_payload(name="Fallback"))
    listed = api.get("/sla-policies").get_json()
    assert [p["name"] for p in listed] == ["Standard", "Fallback"]
    assert listed[0]["calendar"]["hours"]["mon"] == [["09:00", "17:00"]]


def test_agents_may_read_but_not_create_policies(app, make_person, api_as):
    api = api_as(make_person())
    problem(api.post("/sla-policies", policy_payload()), 403)
    assert api.get("/sla-policies").status_code == 200


def test_impossible_policies_are_refused_with_the_reason(app, make_person, api_as):
    api = api_as(make_person(roles=(Role.SUPERVISOR,)))
    body = problem(api.post("/sla-policies", policy_payload(first_response_minutes=-5)), 422)
    assert "first_response_minutes" in body["fields"]
    body = problem(api.post("/sla-policies", policy_payload(calendar={})), 422)
    assert "calendar" in body["fields"]
    overlapping = {"hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}
    body = problem(api.post("/sla-policies", policy_payload(calendar=overlapping)), 422)
    assert body["fields"]["calendar.hours.mon"] == ["periods overlap"]
    assert "overlap" in body["detail"]
    body = problem(api.post("/sla-policies", policy_payload(pause_statuses=["resolved"])), 422)
    assert "pause_statuses" in body["fields"]
    assert api.get("/sla-policies").get_json() == []


def test_a_ticket_no_policy_matches_has_no_clock(app, client, make_person, api_as,
                                                 make_channel):
    make_channel()
    supervisor = make_person(roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor, priority="urgent")
    post_intake(client, "m-1", "Wo bleibt mein Paket?")
    ticket_id = only_ticket_id(app)
    body = api_as(supervisor).get(f"/tickets/{ticket_id}").get_json()
    assert body["sla"] == {"policy": None, "first_response_due_at": None,
                           "next_response_due_at": None, "resolution_due_at": None,
                           "breached": [], "paused": False, "warn_at": None,
                           "outcomes": {"first_response": None, "resolution": None,
                                        "next_response": {"met": 0, "breached": 0}}}
    assert body["due_at"] is None
    assert body["escalation_level"] == 0


def test_first_match_wins_in_order(app, make_person, make_ticket):
    supervisor = make_person(roles=(Role.SUPERVISOR,))
    make_ticket()  # creates the channel
    make_policy(app, supervisor, name="Webhook urgent", channel="webhook", priority="urgent",
                first_response_minutes=15)
    make_policy(app, supervisor, name="Webhook", channel="webhook", first_response_minutes=30)
    make_policy(app, supervisor, name="Everything", first_response_minutes=60)
    ticket = make_ticket()
    with app.app_context():
        from desk.models import Priority, Ticket
        from desk.sla.policies import matching_policy
        loaded = db.session.get(Ticket, ticket.id)
        assert matching_policy(loaded).name == "Webhook"
        loaded.priority = Priority.URGENT
        assert matching_policy(loaded).name == "Webhook urgent"
        db.session.rollback()


@time_machine.travel(berlin(2026, 11, 27, 16, 30), tick=False)  # a Friday afternoon
def test_due_times_follow_business_hours_and_the_queue_sorts_by_them(app, client, make_person,
                                                                     make_channel, api_as):
    make_channel()
    supervisor = make_person(roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor)
    post_intake(client, "m-1", "Meine Rechnung stimmt nicht.")
    ticket_id = only_ticket_id(app)
    ticket, row = clocks(app, ticket_id)
    assert row.first_response_due_at == berlin(2026, 11, 30, 9, 30)  # Monday
    assert row.resolution_due_at == berlin(2026, 11, 30, 16, 30)  # 8 business hours
    assert row.next_response_due_at is None
    assert ticket.due_at == row.first_response_due_at
    body = api_as(supervisor).get("/tickets").get_json()
    assert body["items"][0]["sla"]["first_response_due_at"].startswith("2026-11-30T08:30")
    assert body["items"][0]["sla"]["policy"] == "Standard"


def test_a_reply_stops_first_response_and_a_new_message_restarts_next_response(
        app, client, make_person, make_channel):
    from desk.replies.service import add_reply

    make_channel()
    agent = make_person()
    make_policy(app, make_person(email="sup@example.com", roles=(Role.SUPERVISOR,)),
                calendar=ALWAYS)
    start = berlin(2026, 11, 24, 10, 0)
    with time_machine.travel(start, tick=False):
        post_intake(client, "m-1", "Hallo, mein Login geht nicht.", thread_id="th")
    ticket_id = only_ticket_id(app)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        with app.app_context():
            add_reply(agent, ticket_id, "Wir schauen nach.")
    ticket, row = clocks(app, ticket_id)
    assert row.first_response_due_at is None and row.next_response_due_at is None
    assert ticket.due_at == row.resolution_due_at == start + timedelta(minutes=480)
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        post_intake(client, "m-2", "Geht immer noch nicht.", thread_id="th")
    ticket, row = clocks(app, ticket_id)
    assert row.next_response_due_at == start + timedelta(minutes=160)
    assert ticket.due_at == row.next_response_due_at
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        with app.app_context():
            add_reply(agent, ticket_id, "Bitte Cache leeren.")
    with time_machine.travel(start + timedelta(minutes=55), tick=False):
        post_intake(client, "m-3", "Jetzt geht es, danke!", thread_id="th")
    ticket, row = clocks(app, ticket_id)
    # The clock restarted at the newest unanswered message.
    assert row.next_response_due_at == start + timedelta(minutes=175)


def test_pending_pauses_the_clocks_and_the_pause_is_added_back(app, client, make_person,
                                                               make_channel):
    from desk.inbox.service import update

    make_channel()
    supervisor = make_person(roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor)
    start = berlin(2026, 11, 24, 10, 0)  # Tuesday
    with time_machine.travel(start, tick=False):
        post_intake(client, "m-1", "Bitte um Rückruf.")
    ticket_id = only_ticket_id(app)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        with app.app_context():
            update(supervisor, ticket_id, status=Status.PENDING)
    ticket, row = clocks(app, ticket_id)
    assert row.paused_at is not None and ticket.due_at is None
    # Paused from Tuesday 10:10 to Wednesday 10:10: 8 business hours.
    with time_machine.travel(start + timedelta(days=1, minutes=10), tick=False):
        with app.app_context():
            update(supervisor, ticket_id, status=Status.OPEN)
    ticket, row = clocks(app, ticket_id)
    assert row.paused_at is None and row.paused_minutes == 480
    assert row.first_response_due_at == berlin(2026, 11, 25, 11, 0)
    assert row.resolution_due_at == berlin(2026, 11, 26, 10, 0)


def test_resolving_stops_every_clock(app, client, make_person, make_channel):
    from desk.inbox.service import update

    make_channel()
    supervisor = make_person(roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor)
    post_intake(client, "m-1", "Frage zur Lieferung")
    ticket_id = only_ticket_id(app)
    with app.app_context():
        update(supervisor, ticket_id, status=Status.RESOLVED)
    ticket, row = clocks(app, ticket_id)
    assert ticket.due_at is None and row.check_at is None
    assert row.first_response_due_at is None and row.resolution_due_at is None


def test_a_new_policy_applies_to_open_tickets(app, make_person, make_ticket):
    ticket = make_ticket()
    make_policy(app, make_person(roles=(Role.SUPERVISOR,)), calendar=ALWAYS)
    _, row = clocks(app, ticket.id)
    assert row is not None and row.first_response_due_at == ticket.created_at + timedelta(
        minutes=60)
    with app.app_context():
        from desk.models import Ticket

        assert db.session.scalar(sa.select(Ticket.due_at)) == row.first_response_due_at

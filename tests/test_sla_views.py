"""SLA on the pages: policy form, ticket panel, countdowns, views, alert banner."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from desk.extensions import db
from desk.models import Alert, Role, SlaPolicy
from desk.sla.escalation import sweep
from tests.conftest import login
from tests.sla_helpers import ALWAYS, berlin, form_data, make_policy, start_clocks

START = berlin(2026, 11, 24, 10, 0)


def test_supervisors_add_a_policy_through_the_form(app, client, make_person):
    make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    login(client, "sup@example.com")
    assert client.get("/sla/policies").status_code == 200
    response = client.post("/sla/policies", data=form_data())
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        policy = db.session.scalar(sa.select(SlaPolicy))
        assert policy.calendar["hours"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
        assert policy.calendar["holidays"] == {"country": "DE", "state": "BY"}
    assert "Werktags" in client.get("/sla/policies").get_data(as_text=True)


def test_impossible_policies_come_back_with_the_reason_next_to_the_field(app, client,
                                                                         make_person):
    make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    login(client, "sup@example.com")
    response = client.post("/sla/policies", data=form_data(
        first_response_minutes="-5", hours="mon 09:00-13:00 12:00-17:00"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "periods overlap" in page and "first_response_minutes" in page
    response = client.post("/sla/policies", data=form_data(hours=""))
    assert response.status_code == 422
    assert "at least one weekday" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy)) == 0


def test_agents_may_not_open_the_policy_page(app, client, make_person):
    make_person()
    login(client, "agent@example.com")
    assert client.get("/sla/policies").status_code == 403


@time_machine.travel(START, tick=False)
def test_ticket_page_shows_clocks_and_the_views_find_breached_and_escalated(
        app, client, make_person, make_ticket):
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=60)
    late = start_clocks(app, make_ticket(subject="Late one", handle="@a"))
    fresh = start_clocks(app, make_ticket(subject="Fresh one", handle="@b"))
    login(client, "sup@example.com")
    page = client.get(f"/tickets/{late.id}").get_data(as_text=True)
    assert 'class="sla-countdown sla-ok"' in page and "Standard" in page

    with app.app_context():
        sweep(START + timedelta(minutes=50))
    with time_machine.travel(START + timedelta(minutes=50), tick=False):
        at_risk = client.get("/inbox/at_risk").get_data(as_text=True)
        assert "Late one" in at_risk and "Fresh one" in at_risk
        assert "sla-warning" in at_risk

    with app.app_context():
        sweep(START + timedelta(minutes=61))
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        breached = client.get("/inbox/breached").get_data(as_text=True)
        assert "Late one" in breached and "sla-breached" in breached
        assert "Late one" in client.get("/inbox/escalated").get_data(as_text=True)
        client.post(f"/sla/tickets/{late.id}/acknowledge", data={"de_escalate": "1"})
        client.post(f"/sla/tickets/{fresh.id}/acknowledge", data={})
        assert "Late one" not in client.get("/inbox/escalated").get_data(as_text=True)
        assert client.get("/api/v1/tickets?view=breached").status_code == 401  # needs a token


def test_agents_escalate_from_the_ticket_page(app, client, make_person, make_ticket):
    make_person()
    ticket = make_ticket()
    login(client, "agent@example.com")
    assert client.post(f"/sla/tickets/{ticket.id}/escalate",
                       data={"reason": "Influencer droht"}).status_code == 302
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Influencer droht" in page
    assert client.post(f"/sla/tickets/{ticket.id}/acknowledge").status_code == 403


def test_supervisors_see_the_alert_banner_and_acknowledge_it(app, client, make_person,
                                                             make_ticket):
    make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    make_person()
    ticket = make_ticket()
    with app.app_context():
        alert = Alert(channel_id=ticket.channel_id, topic="ausfall", window_start=START,
                      count=14, baseline_mean=2.0, baseline_std=1.4, message_ids=[])
        db.session.add(alert)
        db.session.commit()
        alert_id = alert.id
    login(client, "agent@example.com")
    assert "Spike of negative messages" not in client.get("/inbox/open").get_data(as_text=True)
    client.post("/logout")
    login(client, "sup@example.com")
    page = client.get("/inbox/open").get_data(as_text=True)
    assert "Spike of negative messages" in page and "ausfall" in page
    assert client.get(f"/sla/alerts/{alert_id}").status_code == 200
    client.post(f"/sla/alerts/{alert_id}/acknowledge")
    assert "Spike of negative messages" not in client.get("/inbox/open").get_data(as_text=True)


def test_a_countdown_is_ok_then_warning_then_breached_at_its_exact_moments():
    from datetime import UTC, datetime, timedelta

    from desk.sla.status import countdown_state

    due = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    warn = due - timedelta(hours=1)
    assert countdown_state(due, warn, warn - timedelta(seconds=1)) == "ok"
    assert countdown_state(due, warn, warn) == "warning"
    assert countdown_state(due, warn, due) == "breached"
    assert countdown_state(due, None, due - timedelta(seconds=1)) == "ok"

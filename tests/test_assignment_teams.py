"""The team-rules pages: supervisors see and edit each team's rule and members' settings."""

import re

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import AgentState, AssignmentRule, AssignMode, AuditEvent, ResponseAction, Role
from tests.assignment_helpers import team_id
from tests.conftest import login

GOOD_RULE = {
    "mode": "round_robin", "capacity": "7", "grace_minutes": "20", "response_minutes": "30",
    "response_urgent": "5", "response_high": "", "response_normal": "", "response_low": "",
    "response_action": "escalate", "fair_limit": "3", "fair_window_minutes": "45",
}


@pytest.fixture
def crew(make_person, make_channel):
    make_channel(slug="forum")
    return {
        "sue": make_person("sue@example.com", "Sue Supervisor", roles=(Role.SUPERVISOR,)),
        "anna": make_person("anna@example.com", "Anna Agent", teams=("Care",)),
    }


def rule(app):
    with app.app_context():
        found = db.session.get(AssignmentRule, team_id())
        if found is not None:
            db.session.expunge(found)
        return found


def audit(app, action):
    with app.app_context():
        return [event.data for event in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_agents_may_neither_see_nor_change_team_rules(app, client, crew):
    login(client, crew["anna"].email)
    with app.app_context():
        care = team_id()
    assert client.get("/assignment/teams").status_code == 403
    assert client.get(f"/assignment/teams/{care}").status_code == 403
    assert client.post(f"/assignment/teams/{care}", data=GOOD_RULE).status_code == 403
    assert client.post(f"/assignment/teams/{care}/people/{crew['anna'].id}",
                       data={f"person-{crew['anna'].id}-capacity": "50"}).status_code == 403
    assert rule(app) is None


def test_supervisor_edits_a_rule_and_a_members_settings_audited(app, client, crew):
    login(client, crew["sue"].email)
    board = client.get("/assignment/board").get_data(as_text=True)
    assert 'href="/assignment/teams"' in board
    listing = client.get("/assignment/teams").get_data(as_text=True)
    with app.app_context():
        care = team_id()
    assert f'href="/assignment/teams/{care}">Care</a>' in listing

    response = client.post(f"/assignment/teams/{care}", data=GOOD_RULE)
    assert response.status_code == 302
    saved = rule(app)
    assert (saved.mode, saved.capacity, saved.grace_minutes, saved.response_minutes,
            saved.response_minutes_by_priority, saved.response_action, saved.fair_limit,
            saved.fair_window_minutes) == (AssignMode.ROUND_ROBIN, 7, 20, 30, {"urgent": 5},
                                           ResponseAction.ESCALATE, 3, 45)
    assert audit(app, "assignment.rule")[-1]["capacity"] == 7
    page = client.get(f"/assignment/teams/{care}").get_data(as_text=True)
    assert re.search(r'name="capacity"[^>]*value="7"', page)
    assert "The rule of Care is saved." in page

    anna = crew["anna"].id
    with app.app_context():
        from desk.models import Channel

        forum = db.session.scalar(sa.select(Channel.id).where(Channel.slug == "forum"))
    response = client.post(f"/assignment/teams/{care}/people/{anna}", data={
        f"person-{anna}-capacity": "4", f"person-{anna}-languages": "de, en-GB",
        f"person-{anna}-channels": [str(forum)]})
    assert response.status_code == 302
    with app.app_context():
        state = db.session.get(AgentState, anna)
        assert (state.capacity, state.languages, state.channel_ids) == (4, ["de", "en"], [forum])
    assert audit(app, "assignment.capacity")[-1] == {"person": "anna@example.com", "capacity": 4}
    assert audit(app, "assignment.skills")[-1]["languages"] == ["de", "en"]

    # Empty fields mean the team's default and any skill again.
    client.post(f"/assignment/teams/{care}/people/{anna}", data={
        f"person-{anna}-capacity": "", f"person-{anna}-languages": ""})
    with app.app_context():
        state = db.session.get(AgentState, anna)
        assert (state.capacity, state.languages, state.channel_ids) == (None, None, None)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("capacity", "0", "a whole number from 1 to 1000"),
    ("capacity", "viele", "a whole number from 1 to 1000"),
    ("grace_minutes", "", "a whole number from 0 to 10080"),
    ("response_urgent", "-5", "a whole number from 1 to 10080"),
    ("mode", "sometimes", "one of off, round_robin, least_loaded"),
])
def test_a_bad_rule_shows_the_form_again_with_the_message_and_changes_nothing(
        app, client, crew, field, value, message):
    login(client, crew["sue"].email)
    with app.app_context():
        care = team_id()
    response = client.post(f"/assignment/teams/{care}", data=GOOD_RULE | {field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="30"' in page and 'value="45"' in page  # the other input is kept
    if field != "response_urgent":  # the per-priority minutes share one message line
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page) or re.search(
            rf'aria-invalid="true"[^>]*name="{field}"', page)
    assert rule(app) is None
    assert audit(app, "assignment.rule") == []


def test_bad_member_settings_are_refused_whole(app, client, crew):
    login(client, crew["sue"].email)
    anna = crew["anna"].id
    with app.app_context():
        care = team_id()
    response = client.post(f"/assignment/teams/{care}/people/{anna}", data={
        f"person-{anna}-capacity": "5", f"person-{anna}-languages": "de, 4711"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "codes such as de or en-GB" in page and 'value="de, 4711"' in page
    with app.app_context():
        assert db.session.get(AgentState, anna) is None  # the good capacity was not saved
    assert audit(app, "assignment.capacity") == []
    other = client.post(f"/assignment/teams/{care}/people/{crew['sue'].id}", data={})
    assert other.status_code == 404  # Sue is not a member of Care


def test_team_rule_forms_need_a_csrf_token(app, client, crew, monkeypatch):
    login(client, crew["sue"].email)
    with app.app_context():
        care = team_id()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/assignment/teams/{care}", data=GOOD_RULE).status_code in (400, 422)
    assert rule(app) is None
    page = client.get(f"/assignment/teams/{care}").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"',
                      page).group(1)
    response = client.post(f"/assignment/teams/{care}", data=GOOD_RULE | {"csrf_token": token})
    assert response.status_code == 302 and rule(app).capacity == 7

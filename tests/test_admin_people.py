"""Admin: people, their roles and teams, deactivating and reactivating; no self-lockout."""

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import AuditEvent, Person, Role
from tests.conftest import PASSWORD, login


@pytest.fixture
def admin(make_person):
    return make_person("ada@example.com", "Ada Admin", roles=(Role.ADMIN,))


def person(app, email):
    with app.app_context():
        found = db.session.scalar(sa.select(Person).where(Person.email == email))
        return found, sorted(r.value for r in found.roles), sorted(t.name for t in found.teams)


def audit_actions(app):
    with app.app_context():
        return [event.action for event in db.session.scalars(
            sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_admin_adds_a_person_who_can_sign_in(app, client, admin):
    login(client, admin.email)
    page = client.get("/admin/people")
    assert page.status_code == 200 and "Ada Admin" in page.get_data(as_text=True)
    response = client.post("/admin/people/new", data={
        "email": "Bert@Example.com", "name": "Bert Berater", "roles": ["agent", "faq_editor"],
        "teams": "Bahn, Fernverkehr", "language": "de", "password": PASSWORD})
    assert response.status_code == 302
    bert, roles, teams = person(app, "bert@example.com")
    assert roles == ["agent", "faq_editor"] and teams == ["Bahn", "Fernverkehr"]
    assert bert.language == "de"
    other = app.test_client()
    assert other.post("/login", data={"email": "bert@example.com",
                                      "password": PASSWORD}).status_code == 302


def test_bad_new_person_input_is_shown_beside_the_fields_and_nothing_is_stored(
        app, client, admin):
    login(client, admin.email)
    page = client.post("/admin/people/new", data={
        "email": "ada@example.com", "name": "Second Ada", "roles": ["agent"]})
    assert page.status_code == 200
    assert "This e-mail address is taken or not valid." in page.get_data(as_text=True)
    no_role = client.post("/admin/people/new", data={"email": "c@example.com", "name": "C"})
    assert "Choose at least one role" in no_role.get_data(as_text=True)
    short = client.post("/admin/people/new", data={
        "email": "d@example.com", "name": "D", "roles": ["agent"], "password": "kurz"})
    assert short.status_code == 200 and 'aria-invalid="true"' in short.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1


def test_admin_changes_roles_and_teams_audited(app, client, admin, make_person):
    bert = make_person("bert@example.com", "Bert", teams=("Bahn",))
    login(client, admin.email)
    response = client.post(f"/admin/people/{bert.id}", data={
        "roles": ["agent", "supervisor"], "teams": "Fernverkehr"})
    assert response.status_code == 302
    _, roles, teams = person(app, "bert@example.com")
    assert roles == ["agent", "supervisor"] and teams == ["Fernverkehr"]
    assert {"person.roles", "person.teams"} <= set(audit_actions(app))
    empty = client.post(f"/admin/people/{bert.id}", data={"teams": "Bahn"})
    assert "Choose at least one role" in empty.get_data(as_text=True)
    _, roles, teams = person(app, "bert@example.com")
    assert roles == ["agent", "supervisor"] and teams == ["Fernverkehr"]  # nothing half-saved


def test_deactivated_people_cannot_sign_in_until_reactivated(app, client, admin, make_person):
    bert = make_person("bert@example.com", "Bert")
    login(client, admin.email)
    client.post(f"/admin/people/{bert.id}/deactivate")
    assert person(app, "bert@example.com")[0].is_active_account is False
    other = app.test_client()
    assert other.post("/login", data={"email": bert.email,
                                      "password": PASSWORD}).status_code == 200
    client.post(f"/admin/people/{bert.id}/reactivate")
    assert other.post("/login", data={"email": bert.email,
                                      "password": PASSWORD}).status_code == 302
    assert audit_actions(app)[-2:] == ["person.deactivated", "person.reactivated"]


def test_an_admin_cannot_lock_themselves_out(app, client, admin):
    login(client, admin.email)
    page = client.post(f"/admin/people/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate yourself." in page.get_data(as_text=True)
    demote = client.post(f"/admin/people/{admin.id}", data={"roles": ["agent"]})
    assert "an admin keeps their own admin role" in demote.get_data(as_text=True)
    ada, roles, _ = person(app, admin.email)
    assert ada.is_active_account and roles == ["admin"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.FAQ_EDITOR])
def test_only_admins_manage_people(app, client, make_person, role):
    someone = make_person("s@example.com", "S", roles=(role,))
    login(client, someone.email)
    assert client.get("/admin/people").status_code == 403
    assert client.post(f"/admin/people/{someone.id}/deactivate").status_code == 403
    assert person(app, someone.email)[0].is_active_account


def test_unknown_person_is_404(client, admin):
    login(client, admin.email)
    assert client.get("/admin/people/99999").status_code == 404

"""Signing in and out: one message for every failure, local redirects only, rate limit, CSRF."""

import re

import pytest

from desk.models import Role
from tests.conftest import PASSWORD, login

WRONG = "E-mail or password is wrong."


def error_of(response) -> str:
    """The message shown next to the password field."""
    found = re.search(r'id="password-error">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


@pytest.fixture(autouse=True)
def english_browser(client):
    """These tests read the English texts; German is the default without a preference."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def agent(make_person):
    return make_person(email="agent@example.com")


def test_login_page_has_labelled_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<label class="field-label" for="email">' in page
    assert 'autocomplete="current-password"' in page


def test_sign_in_goes_to_the_queue(client, agent):
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/inbox/open").status_code == 200


def test_wrong_password_and_unknown_email_look_the_same(client, agent):
    wrong_password = client.post("/login", data={"email": agent.email, "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope"})
    assert wrong_password.status_code == unknown.status_code == 200
    assert error_of(wrong_password) == error_of(unknown) == WRONG
    assert client.get("/inbox/open").status_code == 302  # still signed out


def test_typed_email_is_kept_and_password_is_not(client, agent):
    page = client.post("/login", data={"email": agent.email, "password": "s3cret-typo"})
    body = page.get_data(as_text=True)
    assert f'value="{agent.email}"' in body
    assert "s3cret-typo" not in body


def test_deactivated_account_gets_the_same_message(app, client, agent):
    from desk.extensions import db
    from desk.models import Person

    with app.app_context():
        db.session.get(Person, agent.id).is_active_account = False
        db.session.commit()
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert error_of(response) == WRONG


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil",
                                    "http:/evil.example", "javascript:alert(1)"])
def test_next_goes_only_to_local_paths(client, agent, target):
    response = client.post("/login", query_string={"next": target},
                           data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_a_local_path_is_followed(client, agent):
    response = client.post("/login", query_string={"next": "/inbox/mine?q=zug"},
                           data={"email": agent.email, "password": PASSWORD})
    assert response.headers["Location"] == "/inbox/mine?q=zug"


def test_too_many_attempts_are_rate_limited(client, agent):
    limit = 10  # DESK_LOGIN_LIMIT's default, "10 per minute"
    for _ in range(limit):
        assert client.post("/login", data={"email": agent.email, "password": "x"}).status_code \
            == 200
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert "Too many attempts" in response.get_data(as_text=True)
    assert client.get("/inbox/open").status_code == 302  # the right password did not get in


def test_login_without_csrf_token_is_refused(app, client, agent, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/inbox/open").status_code == 302


def test_login_with_csrf_token_works(app, client, agent, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def test_sign_out_is_a_post(client, agent):
    login(client, agent.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/inbox/open").status_code == 200
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert client.get("/inbox/open").status_code == 302
    assert "You are signed out." in client.get("/login").get_data(as_text=True)


def test_signed_in_person_visiting_login_goes_to_the_desk(client, agent):
    login(client, agent.email)
    assert client.get("/login").headers["Location"] == "/"


def test_faq_editor_can_sign_in_but_not_work_tickets(client, make_person):
    editor = make_person(email="editor@example.com", roles=(Role.FAQ_EDITOR,))
    login(client, editor.email)
    assert client.get("/inbox/open").status_code == 403


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

"""The public contact form: a complaint without an account becomes a ticket."""

import re

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import ChannelKind, IntakeEvent, Ticket
from tests.conftest import login

VALID = {
    "name": "Erika Mustermann",
    "email": "erika@example.com",
    "subject": "Rechnung doppelt abgebucht",
    "message": "Sie haben meine Rechnung für März zweimal abgebucht.",
}


@pytest.fixture(autouse=True)
def english_browser(client):
    """These tests read the English texts; German is the default without a preference."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def form_channel(make_channel):
    return make_channel(slug="contact-form", kind=ChannelKind.FORM, secret=None)


def stored(app, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_form_renders_with_hidden_honeypot(client, form_channel):
    page = client.get("/contact").get_data(as_text=True)
    assert 'class="honeypot" aria-hidden="true"' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page


def test_valid_message_becomes_a_ticket_in_the_queue(app, client, form_channel, make_person):
    response = client.post("/contact", data=VALID)
    assert response.status_code == 302
    assert response.headers["Location"] == "/contact/sent"
    assert "Thank you" in client.get("/contact/sent").get_data(as_text=True)
    agent = make_person()
    login(client, agent.email)
    queue = client.get("/inbox/open").get_data(as_text=True)
    assert "Rechnung doppelt abgebucht" in queue
    assert "Erika Mustermann" in queue


def test_invalid_email_shows_the_message_next_to_the_field_and_keeps_input(app, client,
                                                                          form_channel):
    response = client.post("/contact", data={**VALID, "email": "erika-at-example"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'id="email-error">[^<]+<', page)
    assert 'aria-describedby="email-error"' in page
    assert 'value="erika-at-example"' in page
    assert 'value="Rechnung doppelt abgebucht"' in page
    assert "zweimal abgebucht.</textarea>" in page
    assert stored(app, IntakeEvent) == 0


def test_too_short_message_is_refused_next_to_the_field(app, client, form_channel):
    response = client.post("/contact", data={**VALID, "message": "Hilfe"})
    assert re.search(r'id="message-error">[^<]+<', response.get_data(as_text=True))
    assert stored(app, IntakeEvent) == 0


def test_filled_honeypot_looks_successful_but_stores_nothing(app, client, form_channel):
    response = client.post("/contact", data={**VALID, "website": "https://spam.example"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/contact/sent"
    assert stored(app, IntakeEvent) == 0
    assert stored(app, Ticket) == 0


def test_hostile_input_is_stored_as_text_and_shown_escaped(app, client, form_channel,
                                                          make_person):
    client.post("/contact", data={**VALID, "name": "<script>alert(1)</script>",
                                  "subject": "<img src=x onerror=alert(1)>"})
    login(client, make_person().email)
    page = client.get("/inbox/open").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page

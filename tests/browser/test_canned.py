"""Canned replies in a real Chromium: pick one by keyboard, fill what it asks, send it."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from desk.extensions import db
from desk.models import CannedReplyUse, Contact
from tests.browser.test_golden_path import sign_in
from tests.canned_data import make_canned

pytestmark = pytest.mark.browser


def test_insert_a_canned_reply_by_keyboard_fill_it_and_send(
    app, page, live_server, make_person, make_ticket
):
    anna = make_person(email="anna@example.com", name="Anna Agent")
    ticket = make_ticket(subject="Wo ist mein Paket?", text="Seit einer Woche nichts.")
    with app.app_context():
        db.session.get(Contact, ticket.contact_id).name = "Karla Kunde"
        db.session.commit()
    make_canned(app, anna, title="Kurz", shortcut="pak", body="Wir prüfen das.")
    wanted = make_canned(app, anna, title="Sendung unterwegs", shortcut="paket", body=(
        "Hallo {{ contact.first_name }}, Ihre Sendung {{ ask.tracking_number }} ist "
        "unterwegs. {{ agent.signature }}"))
    sign_in(page, live_server, "anna@example.com")
    page.goto(f"{live_server}/tickets/{ticket.id}")

    box = page.locator("#reply-body")
    box.click()
    box.type("/pak")
    options = page.locator("#canned-options .canned-option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_class("canned-option is-active")
    expect(page.locator("#canned-preview")).to_have_text("Wir prüfen das.")

    box.press("ArrowDown")
    expect(options.nth(1)).to_have_class("canned-option is-active")
    expect(options.nth(1)).to_contain_text("Sendung unterwegs")
    # The preview shows the ticket's real values, and what is still to be asked.
    preview = page.locator("#canned-preview")
    expect(preview).to_contain_text("Hallo Karla, Ihre Sendung [ask.tracking_number]")

    box.press("Enter")
    prompt = page.locator("#canned-prompts input[name='ask.tracking_number']")
    expect(prompt).to_be_focused()
    prompt.type("00340434161094042557")
    expect(preview).to_contain_text("Ihre Sendung 00340434161094042557 ist unterwegs. ^AA")
    prompt.press("Enter")

    expect(page.locator("#canned-picker")).to_be_hidden()
    expect(box).to_be_focused()
    expect(box).to_have_value(
        "Hallo Karla, Ihre Sendung 00340434161094042557 ist unterwegs. ^AA")
    expect(page.locator("#reply-canned")).to_have_value(str(wanted))
    box.press("End")
    box.type(" Gute Fahrt!")
    box.press("Control+Enter")

    reply = page.locator("#ticket-thread .msg-reply")
    expect(reply).to_contain_text(
        "Hallo Karla, Ihre Sendung 00340434161094042557 ist unterwegs. ^AA Gute Fahrt!")
    with app.app_context():
        uses = db.session.scalars(sa.select(CannedReplyUse)).all()
        assert [(u.canned_reply_id, u.ticket_id) for u in uses] == [(wanted, ticket.id)]


def test_escape_closes_the_picker_and_keeps_the_text(page, live_server, make_person,
                                                     make_ticket, app):
    anna = make_person(email="anna@example.com", name="Anna Agent")
    ticket = make_ticket()
    make_canned(app, anna, title="Kurz", shortcut="kurz", body="Wir prüfen das.")
    sign_in(page, live_server, "anna@example.com")
    page.goto(f"{live_server}/tickets/{ticket.id}")
    box = page.locator("#reply-body")
    box.click()
    box.type("Moin ::ku")
    expect(page.locator("#canned-options .canned-option")).to_have_count(1)
    box.press("Escape")
    expect(page.locator("#canned-picker")).to_be_hidden()
    expect(box).to_have_value("Moin ::ku")
    expect(box).to_be_focused()

"""The golden path in a real Chromium: sign in, see the queue, open a ticket, reply."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from desk.intake.service import sign
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page).to_have_url(f"{live_server}/inbox/open")


def post_complaint(live_server, external_id, text, secret="s3cret-signing-key"):
    body = json.dumps({"external_id": external_id, "text": text,
                       "author": {"handle": "@kunde", "name": "Karla Kunde", "reach": 51000}})
    request = urllib.request.Request(
        f"{live_server}/api/v1/intake/webhook", data=body.encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "X-Desk-Signature": sign(secret, body.encode())},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def test_sign_in_open_a_ticket_and_reply(page, live_server, make_person, make_ticket):
    make_person(email="anna@example.com", name="Anna Agent")
    ticket = make_ticket(subject="ICE 578 fällt aus – wie komme ich nach Köln?",
                         text="Bitte um schnelle Hilfe, mein Anschluss ist weg.")
    sign_in(page, live_server, "anna@example.com")

    row = page.locator(f".queue-row[data-ticket-id='{ticket.id}']")
    expect(row).to_contain_text("ICE 578 fällt aus")
    # The exact time on hover is written by static/js/times.js from the ISO datetime.
    expect(row.locator("time[datetime]").first).to_have_attribute(
        "title", re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{2}, \d{1,2}:\d{2}"))
    row.locator("a.row-link").click()
    expect(page.locator("#ticket-subject")).to_have_text(
        "ICE 578 fällt aus – wie komme ich nach Köln?")
    expect(page.locator("#ticket-thread")).to_contain_text("mein Anschluss ist weg")

    page.locator("#reply-form textarea").fill("Das tut uns leid! Der RE 5 fährt um 14:12.")
    page.locator("#reply-form [type=submit]").first.click()
    reply = page.locator("#ticket-thread .msg-reply")
    expect(reply).to_contain_text("Der RE 5 fährt um 14:12.")
    expect(reply).to_contain_text("Anna Agent")
    expect(page.locator("#reply-form textarea")).to_have_value("")


def test_a_new_complaint_appears_in_the_queue_without_reload(
    page, live_server, make_person, make_channel
):
    make_person(email="anna@example.com", name="Anna Agent")
    make_channel()
    sign_in(page, live_server, "anna@example.com")
    expect(page.locator(".queue-row")).to_have_count(0)
    page.evaluate("window.__notReloaded = true")

    post_complaint(live_server, "live-1", "Router blinkt seit heute früh rot, kein Internet.")

    expect(page.locator(".queue-row")).to_have_count(1)
    expect(page.locator(".queue-row").first).to_contain_text("Router blinkt")
    assert page.evaluate("window.__notReloaded") is True

"""Two agents in two real browsers: they see each other, the queue moves by itself, and
nobody answers twice."""

import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from desk.extensions import db
from desk.models import Draft
from tests.browser.test_golden_path import post_complaint, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def two_agents(page, second_page, live_server, make_person):
    make_person(email="anna@example.com", name="Anna Agent")
    make_person(email="ben@example.com", name="Ben Berger")
    sign_in(page, live_server, "anna@example.com")
    sign_in(second_page, live_server, "ben@example.com")
    return page, second_page


def live(page):
    """Wait until the page's socket is connected (it catches up on connecting)."""
    expect(page.locator("body.is-live")).to_have_count(1)
    page.evaluate("window.__notReloaded = true")


def open_ticket(page, live_server, ticket_id):
    page.goto(f"{live_server}/tickets/{ticket_id}")
    expect(page.locator("#ticket")).to_be_visible()
    live(page)


def test_each_sees_who_views_and_who_types(two_agents, live_server, make_ticket):
    anna, ben = two_agents
    ticket = make_ticket(subject="WLAN im ICE geht nicht")
    open_ticket(ben, live_server, ticket.id)
    open_ticket(anna, live_server, ticket.id)

    expect(ben.locator("#ticket-presence")).to_have_text("Anna Agent is viewing")
    expect(anna.locator("#ticket-presence")).to_have_text("Ben Berger is viewing")
    anna.locator("#reply-body").press_sequentially("Hallo, das ")
    expect(ben.locator("#ticket-presence")).to_have_text("Anna Agent is typing…")

    anna.goto(f"{live_server}/inbox/open")  # leaving the ticket ends the viewing
    expect(ben.locator("#ticket-presence")).to_be_hidden()


def test_a_new_complaint_and_a_claim_reach_both_queues(two_agents, live_server, make_channel):
    anna, ben = two_agents
    make_channel()
    for page in (anna, ben):
        expect(page.locator(".queue-row")).to_have_count(0)
        live(page)

    post_complaint(live_server, "live-both", "Mein Paket ist seit zwei Wochen unterwegs.")
    for page in (anna, ben):
        expect(page.locator(".queue-row")).to_have_count(1)
        expect(page.locator(".queue-row").first).to_contain_text("Paket")

    anna.locator(".queue-row a.row-link").first.click()
    anna.locator("#claim-form button").click()
    expect(anna.locator(".holder")).to_have_text("You hold this ticket.")
    expect(ben.locator(".queue-row .row-assignee")).to_have_text("Anna Agent")
    assert ben.evaluate("window.__notReloaded") is True


def test_a_reply_after_anothers_reply_is_held_until_seen(two_agents, live_server,
                                                         make_ticket):
    anna, ben = two_agents
    ticket = make_ticket(subject="Rückerstattung?", text="Wo bleibt mein Geld?")
    open_ticket(anna, live_server, ticket.id)
    open_ticket(ben, live_server, ticket.id)

    ben.locator("#reply-body").fill("Wir prüfen das gerade.")
    anna.locator("#reply-body").fill("Das Geld ist unterwegs.")
    anna.locator("#reply-form [type=submit]").first.click()
    expect(anna.locator("#ticket-thread .msg-reply")).to_contain_text("Das Geld ist unterwegs.")
    # Ben's thread shows Anna's reply live, but his send still waits until he chose.
    expect(ben.locator("#ticket-thread .msg-reply")).to_contain_text("Das Geld ist unterwegs.")

    ben.locator("#reply-form [type=submit]").first.click()
    expect(ben.locator("#ticket-alert")).to_contain_text("1 new message(s) arrived")
    expect(ben.locator("#ticket-thread .msg.is-unseen")).to_contain_text(
        "Das Geld ist unterwegs.")
    expect(ben.locator("#reply-body")).to_have_value("Wir prüfen das gerade.")
    ben.locator("#reply-send-anyway").click()
    expect(ben.locator("#ticket-thread .msg-reply")).to_have_count(2)
    expect(ben.locator("#ticket-thread .msg-reply").last).to_contain_text("Wir prüfen das")


def test_a_draft_survives_a_reload(app, page, live_server, make_person, make_ticket):
    make_person(email="anna@example.com", name="Anna Agent")
    ticket = make_ticket()
    sign_in(page, live_server, "anna@example.com")
    open_ticket(page, live_server, ticket.id)
    page.locator("#reply-body").fill("Liebe Kundin, wir")

    deadline = time.monotonic() + 10
    while True:  # the browser saves a moment after the last keystroke
        with app.app_context():
            saved = db.session.scalar(sa.select(Draft.body))
            db.session.remove()
        if saved == "Liebe Kundin, wir" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert saved == "Liebe Kundin, wir"
    page.reload()
    expect(page.locator("#reply-body")).to_have_value("Liebe Kundin, wir")

"""Tags in a real browser: added through htmx without a page load, seen live elsewhere."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_golden_path import sign_in

pytestmark = pytest.mark.browser


def test_an_agent_tags_a_ticket_and_a_colleague_sees_it_live(page, second_page, live_server,
                                                             make_person, make_ticket):
    make_person(email="anna@example.com", name="Anna", teams=("Bahn",))
    make_person(email="ben@example.com", name="Ben", teams=("Bahn",))
    ticket = make_ticket(team="Bahn", subject="Erstattung fehlt")
    problems: list[str] = []
    # Errors on the page (CSP refusals included); the browser's own favicon probe aside.
    page.on("console", lambda message: problems.append(
        f"{message.text} {message.location.get('url')}")
        if message.type == "error" and "favicon.ico" not in message.location.get("url", "")
        else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, live_server, "anna@example.com")
    sign_in(second_page, live_server, "ben@example.com")
    expect(second_page.locator("body.is-live")).to_have_count(1)
    page.goto(f"{live_server}/tickets/{ticket.id}")
    expect(page.locator("body.is-live")).to_have_count(1)
    page.evaluate("window.__sameDocument = true")

    page.fill("#tag-name", "Refund")
    page.locator("#tag-form [type=submit]").click()
    expect(page.locator("#ticket-tags .tag a")).to_have_text(["refund"])
    # htmx swapped the panel: the same document, no navigation.
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator(f".queue-row[data-ticket-id='{ticket.id}'] .row-tags")).to_have_text(
        "refund")
    # The colleague's queue shows the tag without a reload.
    expect(second_page.locator(f".queue-row[data-ticket-id='{ticket.id}'] .row-tags")
           ).to_have_text("refund")

    page.fill("#tag-name", "zwei worte")
    page.locator("#tag-form [type=submit]").click()
    expect(page.locator("#ticket-tags .field-error")).to_contain_text(
        "Letters, digits")
    expect(page.locator("#tag-name")).to_have_value("zwei worte")

    page.get_by_role("button", name="Remove tag refund").click()
    expect(page.locator("#ticket-tags .tag")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True
    assert problems == []

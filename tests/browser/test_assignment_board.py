"""The supervisor's board in a real browser: a bulk reassign reaches the agent's screen live."""

import pytest
from playwright.sync_api import expect

from desk.models import Role
from tests.browser.test_golden_path import sign_in
from tests.browser.test_live_desk import live

pytestmark = pytest.mark.browser


def test_a_supervisor_reassigns_three_tickets_and_the_agent_sees_them(
        page, second_page, live_server, make_person, make_ticket):
    make_person(email="sue@example.com", name="Sue Supervisor", roles=(Role.SUPERVISOR,))
    make_person(email="anna@example.com", name="Anna Agent", teams=("Care",))
    tickets = [make_ticket(subject=f"Verspätung Nummer {n}", team="Care", handle=f"@k{n}")
               for n in range(4)]
    sue, anna = page, second_page
    sign_in(anna, live_server, "anna@example.com")
    anna.goto(f"{live_server}/inbox/mine")
    expect(anna.locator(".queue-row")).to_have_count(0)
    live(anna)

    sign_in(sue, live_server, "sue@example.com")
    sue.goto(f"{live_server}/assignment/board")
    live(sue)
    expect(sue.locator(".board-ticket")).to_have_count(4)
    for ticket in tickets[:3]:
        sue.locator(f"#pick-{ticket.id}").check()
    sue.locator("#bulk-assignee").select_option(label="Anna Agent")
    sue.locator("#bulk-reason").fill("Schichtbeginn")
    sue.locator("#bulk-submit").click()

    expect(sue.locator(".flash-success")).to_contain_text("3 ticket(s) reassigned.")
    expect(sue.locator(".board-ticket")).to_have_count(1)
    expect(sue.locator(".board-person[data-person-id] .board-load").first).to_be_visible()
    # Anna's "Mine" queue fills by itself, without a reload.
    expect(anna.locator(".queue-row")).to_have_count(3)
    expect(anna.locator(".queue-row").first).to_contain_text("Verspätung")
    assert anna.evaluate("window.__notReloaded") is True

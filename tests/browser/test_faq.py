"""The FAQ loop in a real Chromium: propose from a reply, edit and publish, find and vote."""

import re

import pytest
from playwright.sync_api import expect

from desk.models import Role
from tests.conftest import PASSWORD
from tests.faq_helpers import entry_row, make_entry, reply

pytestmark = pytest.mark.browser


def sign_in(page, live_server, email, lands_on):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page).to_have_url(f"{live_server}{lands_on}")


def new_page(browser, **options):
    context = browser.new_context(locale="en-GB", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_propose_publish_find_and_vote(app, browser, page, live_server, make_person,
                                       make_ticket):
    agent = make_person(email="anna@example.com", name="Anna Agent")
    make_person(email="emil@example.com", name="Emil Editor", roles=(Role.FAQ_EDITOR,))
    ticket = make_ticket(subject="Stornierung", handle="@karla_k",
                         text="Wie kann ich mein Ticket stornieren? Gruß, Karla")
    reply(app, agent, ticket.id,
          "Hallo Karla, Ihr Ticket stornieren Sie online unter Meine Buchungen.")

    # The agent proposes the reply from the ticket pane.
    sign_in(page, live_server, "anna@example.com", "/inbox/open")
    page.goto(f"{live_server}/tickets/{ticket.id}")
    proposal = page.locator("#ticket-thread .msg-reply .faq-propose")
    proposal.locator("summary").click()
    proposal.locator("textarea").fill("Kommt jede Woche vor.")
    proposal.get_by_role("button", name="Propose for FAQ").click()
    expect(page.locator(".flash-success")).to_contain_text("Proposed for the FAQ")

    # The editor sees it redacted, edits it and publishes.
    editor = new_page(browser)
    sign_in(editor, live_server, "emil@example.com", "/faq/review")
    editor.locator("#proposed a").first.click()
    expect(editor.locator("#candidate-answer mark.redacted")).to_have_text("[name]")
    expect(editor.locator("#candidate-answer")).not_to_contain_text("Karla")
    editor.fill("input[name=question]", "Wie kann ich mein Ticket stornieren?")
    editor.fill("textarea[name=answer]",
                "Ihr Ticket stornieren Sie online unter „Meine Buchungen“.")
    editor.fill("input[name=category]", "Buchung")
    editor.select_option("select[name=language]", "de")
    editor.locator("#publish-form [type=submit]").click()
    expect(editor).to_have_url(f"{live_server}/faq/entries")
    expect(editor.locator("#faq-entries")).to_contain_text("Wie kann ich mein Ticket stornieren?")

    # An anonymous visitor on a phone finds it with a typo and votes.
    visitor = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    visitor.goto(f"{live_server}/faq")
    visitor.fill("#faq-q", "ticket storniern")
    visitor.locator(".faq-search [type=submit]").click()
    expect(visitor).to_have_url(re.compile(r"/faq\?q=ticket\+storniern"))
    visitor.locator("#faq-results a").first.click()
    expect(visitor.locator("#faq-question")).to_have_text("Wie kann ich mein Ticket stornieren?")
    expect(visitor.locator("#faq-answer")).to_contain_text("Meine Buchungen")
    visitor.get_by_role("button", name="Yes").click()
    expect(visitor.locator("#vote-thanks")).to_be_visible()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390

    slug = visitor.url.rsplit("/", 1)[-1]
    with app.app_context():
        from desk.faq.service import public_entry

        entry_id = public_entry(slug).id
    stored = entry_row(app, entry_id)
    assert (stored.helpful_yes, stored.view_count) == (1, 2)  # read, and again after the vote


def test_insert_an_entry_link_into_the_reply_and_count_it(app, page, live_server,
                                                          make_person, make_ticket):
    agent = make_person(email="anna@example.com", name="Anna Agent")
    editor = make_person(email="emil@example.com", name="Emil Editor", roles=(Role.FAQ_EDITOR,))
    entry = make_entry(app, agent, editor, make_ticket, "Darf ich mein Fahrrad mitnehmen?",
                       "Ja, im Regionalverkehr mit Fahrradkarte.", "Reisen", "de")
    ticket = make_ticket(subject="Fahrrad im Zug", text="Kann ich mein Fahrrad mitnehmen?")

    sign_in(page, live_server, "anna@example.com", "/inbox/open")
    page.goto(f"{live_server}/tickets/{ticket.id}")
    suggestion = page.locator(f"#faq-suggestions [data-faq-slug='{entry.slug}']")
    page.locator("#reply-form textarea").fill("Gute Frage!")
    suggestion.get_by_role("button", name="Insert link").click()
    expect(page.locator("#reply-form textarea")).to_have_value(
        f"Gute Frage! {live_server}/faq/{entry.slug}")
    suggestion.get_by_role("button", name="Insert text").click()
    expect(page.locator("#reply-form textarea")).to_have_value(
        re.compile(r"Fahrradkarte\.\s+http"))
    page.locator("#reply-form [type=submit]").first.click()
    expect(page.locator("#ticket-thread .msg-reply").last).to_contain_text(f"/faq/{entry.slug}")
    assert entry_row(app, entry.id).sent_count == 1

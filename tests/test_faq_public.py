"""The public FAQ: reading, typo-tolerant search, votes (once per visitor, rate-limited)."""

import re

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import FaqVote, Role
from tests.faq_helpers import entry_row, make_entry


@pytest.fixture
def entries(app, make_person, make_ticket):
    agent = make_person(email="anna@example.com", name="Anna Agent")
    editor = make_person(email="emil@example.com", name="Emil Editor", roles=(Role.FAQ_EDITOR,))
    return [
        make_entry(app, agent, editor, make_ticket, "Wie beantrage ich eine Erstattung?",
                   "Über das Fahrgastrechte-Formular im Reisezentrum oder online.",
                   "Erstattung", "de"),
        make_entry(app, agent, editor, make_ticket, "Darf ich mein Fahrrad mitnehmen?",
                   "Ja, im Regionalverkehr mit Fahrradkarte.", "Reisen", "de"),
        make_entry(app, agent, editor, make_ticket, "How do I get a refund?",
                   "Use the passenger rights form.", "Refunds", "en"),
    ]


def test_the_faq_lists_categories_in_the_visitors_language(client, entries):
    page = client.get("/faq", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Erstattung" in page and "Reisen" in page
    assert "How do I get a refund?" not in page
    english = client.get("/faq", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "How do I get a refund?" in english and "Fahrrad" not in english
    narrowed = client.get("/faq?category=Reisen", headers={"Accept-Language": "de"})
    assert "Fahrrad" in narrowed.get_data(as_text=True)
    assert "Erstattung?" not in narrowed.get_data(as_text=True)


@pytest.mark.parametrize("typo", ["Erstatung", "erstattnug beantragen", "Fahrad mitnehmen"])
def test_search_tolerates_typos(client, entries, typo):
    page = client.get("/faq", query_string={"q": typo}).get_data(as_text=True)
    results = re.search(r'<ol class="faq-results".*?</ol>', page, re.DOTALL)
    assert results, page
    expected = "Fahrrad" if "Fahrad" in typo else "Erstattung"
    first = re.search(r'<a href="/faq/[^"]+">([^<]+)</a>', results.group()).group(1)
    assert expected in first


def test_search_terms_are_only_escaped(client, entries):
    page = client.get("/faq", query_string={"q": '<script>alert("x")</script>'})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body


def test_an_entry_page_counts_views_and_has_a_clean_url(app, client, entries):
    entry = entries[0]
    assert entry.slug == "wie-beantrage-ich-eine-erstattung"
    page = client.get(f"/faq/{entry.slug}")
    assert page.status_code == 200
    assert "Fahrgastrechte-Formular" in page.get_data(as_text=True)
    client.get(f"/faq/{entry.slug}")
    assert entry_row(app, entry.id).view_count == 2


def test_unknown_slugs_get_a_404_page_that_offers_search(client, entries):
    page = client.get("/faq/no-such-question")
    assert page.status_code == 404
    assert 'name="q"' in page.get_data(as_text=True)
    assert client.post("/faq/no-such-question/vote", data={"helpful": "yes"}).status_code == 404


def test_one_vote_per_visitor(app, client, entries):
    entry = entries[0]
    english = {"Accept-Language": "en"}
    first = client.post(f"/faq/{entry.slug}/vote", data={"helpful": "yes"},
                        follow_redirects=True, headers=english)
    assert "Thank you for your feedback." in first.get_data(as_text=True)
    again = client.post(f"/faq/{entry.slug}/vote", data={"helpful": "no"},
                        follow_redirects=True, headers=english)
    assert "You answered this already." in again.get_data(as_text=True)
    stored = entry_row(app, entry.id)
    assert (stored.helpful_yes, stored.helpful_no) == (1, 0)
    # Another visitor (no cookie) counts separately; nothing personal is stored.
    other = app.test_client()
    other.post(f"/faq/{entry.slug}/vote", data={"helpful": "no"})
    stored = entry_row(app, entry.id)
    assert (stored.helpful_yes, stored.helpful_no) == (1, 1)
    with app.app_context():
        keys = db.session.scalars(sa.select(FaqVote.visitor_key)).all()
        assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)


def test_the_database_refuses_a_second_vote_of_the_same_visitor(app, entries):
    from desk.faq import service

    with app.app_context():
        assert service.vote(entries[1].slug, "visitor-1", True) is True
        assert service.vote(entries[1].slug, "visitor-1", False) is False
    assert entry_row(app, entries[1].id).votes == 1


def test_bad_vote_values_change_nothing(app, client, entries):
    client.post(f"/faq/{entries[0].slug}/vote", data={"helpful": "maybe"})
    assert entry_row(app, entries[0].id).votes == 0


def test_vote_floods_are_rate_limited(app, entries):
    limit = int(app.config["DESK_FAQ_VOTE_LIMIT"].split()[0])
    statuses = []
    for _ in range(limit + 2):
        visitor = app.test_client()  # a new cookie each time: only the limit stops it
        statuses.append(visitor.post(f"/faq/{entries[0].slug}/vote",
                                     data={"helpful": "yes"}).status_code)
    assert statuses[:limit] == [302] * limit
    assert statuses[limit:] == [429, 429]
    assert entry_row(app, entries[0].id).helpful_yes == limit


def test_votes_need_the_csrf_token(app, client, entries):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(f"/faq/{entries[0].slug}/vote", data={"helpful": "yes"})
        assert refused.status_code == 400
        page = client.get(f"/faq/{entries[0].slug}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        accepted = client.post(f"/faq/{entries[0].slug}/vote",
                               data={"helpful": "yes", "csrf_token": token})
        assert accepted.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert entry_row(app, entries[0].id).helpful_yes == 1


def test_the_public_pages_need_no_login_and_show_no_desk_links(client, entries):
    page = client.get("/faq").get_data(as_text=True)
    assert "/inbox" not in page and "/faq/review" not in page
    assert 'name="viewport"' in page


def test_the_overview_keeps_a_few_per_category(app, entries):
    from desk.faq import service

    with app.app_context():
        top = service.public_entries("de", per_category=1)
        assert [entry.slug for entry in top] == [entries[0].slug, entries[1].slug]
        assert service.public_categories("de") == [("Erstattung", 1), ("Reisen", 1)]


def test_a_german_visitor_reads_german(client, entries):
    page = client.get(f"/faq/{entries[0].slug}", headers={"Accept-Language": "de"})
    body = page.get_data(as_text=True)
    assert "War das hilfreich?" in body and "Alle Fragen" in body

"""Languages: complete German and English catalogs, chosen per person, else per browser."""

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "desk" / "translations"
LOCALES = ("de", "en")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids the code and templates use today, by the Makefile's own extraction."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(TRANSLATIONS / "babel.cfg"), "-k", "_l",
        "-k", "lazy_gettext", "--no-location", "--sort-output", "-o", str(pot), str(ROOT),
    ])
    with pot.open("rb") as file:
        return {message.id for message in read_po(file) if message.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_matches_the_current_extraction(extracted, locale):
    ids = {message.id for message in catalog(locale) if message.id}
    assert extracted - ids == set(), "new strings: run `make messages` and translate them"
    assert ids - extracted == set(), "stale strings: run `make messages`"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete_and_nothing_is_fuzzy(locale):
    for message in catalog(locale):
        if not message.id:
            continue
        assert message.string, f"{locale}: no translation for {message.id!r}"
        assert not message.fuzzy, f"{locale}: fuzzy translation for {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(message.id)), f"{locale}: placeholders differ in {message.id!r}"


def test_english_catalog_says_what_the_code_says():
    for message in catalog("en"):
        if message.id:
            assert message.string == message.id


def test_german_catalog_is_actually_german():
    translated = [m for m in catalog("de") if m.id and m.string != m.id]
    # A few words are the same in both languages (Status, Team, Spam, Normal).
    assert len(translated) >= 0.9 * len([m for m in catalog("de") if m.id])


def test_the_extractor_sees_the_templates_and_the_python_code(extracted):
    assert "E-mail or password is wrong." in extracted  # desk/auth/views.py
    assert "Stay signed in" in extracted  # desk/auth/forms.py (lazy_gettext)
    assert "Keyboard shortcuts" in extracted  # a template


def test_german_browser_gets_german(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    body = page.get_data(as_text=True)
    assert '<html lang="de">' in body
    assert "Anmelden" in body and "Passwort" in body and "Angemeldet bleiben" in body


def test_english_browser_gets_english(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    body = page.get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "Sign in" in body and "Password" in body and "Anmelden" not in body


def test_login_error_is_german_for_a_german_browser(client, make_person):
    person = make_person(language=None)
    page = client.post("/login", headers={"Accept-Language": "de"},
                       data={"email": person.email, "password": "falsch-falsch"})
    assert "E-Mail-Adresse oder Passwort ist falsch." in page.get_data(as_text=True)


def test_profile_language_wins_over_the_browser(client, make_person):
    person = make_person(language="de")
    login(client, person.email)
    body = client.get("/inbox/open", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="de">' in body
    assert "Posteingang" in body and "Nicht zugewiesen" in body


def test_language_switch_is_stored_on_the_profile(app, client, make_person):
    from desk.extensions import db
    from desk.models import Person

    person = make_person(language="en")
    login(client, person.email)
    response = client.post("/language", data={"language": "de", "next": "/inbox/mine"})
    assert response.headers["Location"] == "/inbox/mine"
    with app.app_context():
        assert db.session.get(Person, person.id).language == "de"
    body = client.get("/inbox/mine", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Meine" in body


def test_language_switch_after_a_refused_form_returns_to_the_ticket(client, make_person,
                                                                   make_ticket):
    ticket = make_ticket()
    login(client, make_person().email)
    page = client.post(f"/tickets/{ticket.id}/reply?view=mine", data={"reply-body": ""})
    assert page.status_code == 422
    assert (f'name="next" value="/tickets/{ticket.id}?view=mine"'
            in page.get_data(as_text=True))


def test_language_switch_without_account_uses_a_cookie(client):
    client.post("/language", data={"language": "en", "next": "/contact"})
    body = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Sign in" in body


def test_contact_form_addresses_the_public_formally(client, make_channel):
    from desk.models import ChannelKind

    make_channel(slug="contact-form", kind=ChannelKind.FORM, secret=None)
    body = client.get("/contact", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Ihr Name" in body and "Ihre Nachricht" in body
    assert not re.search(r"\b(du|dein|deine|dir)\b", body, re.IGNORECASE)


def test_relative_times_read_as_babel_writes_them_in_both_languages():
    """desk.pages formats a relative time once per (unit, amount, language) and reuses
    it; on a spread of past and future moments it says what Babel's format_timedelta
    says, and where Babel 2.18 lacks a short form (German "in 2 months") the long one."""
    import random
    from datetime import timedelta

    from babel.dates import format_timedelta

    from desk.pages import _relative_text, _rounded

    def babel(delta: timedelta, locale: str) -> str:
        try:
            return format_timedelta(delta, add_direction=True, locale=locale,
                                    threshold=1.0, format="short")
        except KeyError:
            return format_timedelta(delta, add_direction=True, locale=locale,
                                    threshold=1.0, format="long")

    rng = random.Random(7)
    scales = [1, 60, 3600, 86400, 604800, 2592000, 31536000]
    for locale in ("de", "en"):
        for _ in range(20000):
            delta = timedelta(seconds=int(rng.choice(scales) * rng.uniform(-40, 40)))
            ours = _relative_text(*_rounded(delta.days * 86400 + delta.seconds), locale)
            assert ours == babel(delta, locale), (delta, locale)
    assert _relative_text("month", 2, "de") == "in 2 Monaten"


def test_template_gettext_translates_escapes_values_and_follows_a_forced_locale(app):
    from flask import render_template_string
    from flask_babel import force_locale

    page = '{{ _("Inbox") }}|{{ _("%(name)s holds this ticket.", name=who) }}|{{ _("100%% sure") }}'
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        german = render_template_string(page, who="<script>x</script>")
        with force_locale("en"):
            english = render_template_string(page, who="Ann & Bob")
        again = render_template_string(page, who="Ann")
    assert german.startswith("Posteingang|&lt;script&gt;x&lt;/script&gt; ")
    assert german.endswith("|100% sure")
    assert english == "Inbox|Ann &amp; Bob holds this ticket.|100% sure"
    assert again.startswith("Posteingang|Ann ")

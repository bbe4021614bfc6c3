"""Canned replies: rendering, the sandbox, scopes and permissions, usage, the library page."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from desk.canned import service, templating
from desk.errors import Forbidden, Invalid
from desk.extensions import db
from desk.models import (
    CannedReply,
    CannedReplyUse,
    CannedScope,
    Contact,
    Message,
    MessageKind,
    Person,
    Role,
    Status,
    Ticket,
    utcnow,
)
from tests.canned_data import make_canned
from tests.conftest import login


def html(response) -> str:
    return response.get_data(as_text=True)


def render(app, person, reply_id, ticket_id, values=None):
    with app.app_context():
        return service.render_for_ticket(db.session.get(Person, person.id), reply_id, ticket_id,
                                         values or {})


def set_contact(app, ticket, **values):
    with app.app_context():
        contact = db.session.get(Contact, ticket.contact_id)
        for key, value in values.items():
            setattr(contact, key, value)
        db.session.commit()


@pytest.fixture
def agent(make_person):
    return make_person(email="anna@example.com", name="Anna Agent", teams=("Bahn",))


@pytest.fixture
def supervisor(make_person):
    return make_person(email="sven@example.com", name="Sven Supervisor",
                       roles=(Role.SUPERVISOR,))


# -- rendering ---------------------------------------------------------------------------


def test_placeholders_are_filled_from_the_ticket_and_the_agent(app, agent, make_ticket):
    ticket = make_ticket(subject="Zug fällt aus", handle="@karla")
    set_contact(app, ticket, name="Karla Kunde")
    reply_id = make_canned(app, agent, body=(
        "Hallo {{ contact.first_name }} ({{ contact.handle }}),\n"
        "zu Ticket {{ ticket.number }} „{{ ticket.subject }}“ auf {{ ticket.channel }}:\n"
        "{{ agent.first_name }} hilft. {{ agent.signature }}"))
    rendered = render(app, agent, reply_id, ticket.id)
    assert rendered.missing == []
    assert rendered.body_text == (
        f"Hallo Karla (@karla),\nzu Ticket {ticket.id} „Zug fällt aus“ auf Webhook:\n"
        "Anna hilft. ^AA")
    assert rendered.body_html.startswith("<p>Hallo Karla (@karla),<br>")


def test_a_missing_value_is_flagged_never_blank_and_a_fallback_fills_it(app, agent, make_ticket):
    ticket = make_ticket()
    set_contact(app, ticket, name=None)
    plain = make_canned(app, agent, shortcut="plain", body="Hallo {{ contact.first_name }}!")
    fallback = make_canned(app, agent, shortcut="fb",
                           body='Hallo {{ contact.first_name or "zusammen" }}! '
                                '{{ contact.name|default("Liebe Kundin") }}')
    rendered = render(app, agent, plain, ticket.id)
    assert rendered.missing == ["contact.first_name"]
    assert rendered.body_text == "Hallo [contact.first_name]!"
    assert render(app, agent, fallback, ticket.id).body_text == "Hallo zusammen! Liebe Kundin"
    assert render(app, agent, fallback, ticket.id).missing == []
    # The agent may fill a missing placeholder in the picker.
    filled = render(app, agent, plain, ticket.id, {"contact.first_name": "Karla"})
    assert (filled.body_text, filled.missing) == ("Hallo Karla!", [])


def test_prompted_variables_are_asked_and_escaped(app, agent, make_ticket):
    ticket = make_ticket()
    reply_id = make_canned(app, agent, body=(
        "Ihre Sendung {{ ask.tracking_number }} ist unterwegs."
        "{% if ask.note %} {{ ask.note }}{% endif %}"))
    first = render(app, agent, reply_id, ticket.id)
    assert first.missing == ["ask.tracking_number"]
    assert "[ask.tracking_number]" in first.body_text
    done = render(app, agent, reply_id, ticket.id,
                  {"ask.tracking_number": "<b>0034</b>", "note": ""})
    assert done.missing == []
    assert done.body_text == "Ihre Sendung <b>0034</b> ist unterwegs."
    assert "&lt;b&gt;0034&lt;/b&gt;" in done.body_html and "<b>" not in done.body_html
    short = render(app, agent, reply_id, ticket.id, {"tracking_number": "1", "note": "Danke!"})
    assert short.body_text == "Ihre Sendung 1 ist unterwegs. Danke!"


def test_unknown_value_names_are_refused(app, agent, make_ticket):
    ticket = make_ticket()
    reply_id = make_canned(app, agent)
    with pytest.raises(Invalid) as refused:
        render(app, agent, reply_id, ticket.id, {"contact.__class__": "x"})
    assert "values" in refused.value.fields


@pytest.mark.parametrize(("contact_language", "expected"), [
    ("en", "en"), ("en-GB", "en"), ("de", "de"), ("fr", "de"), (None, "de"),
])
def test_the_contacts_language_picks_the_variant(app, agent, make_ticket, contact_language,
                                                 expected):
    ticket = make_ticket()
    set_contact(app, ticket, language=contact_language)
    reply_id = make_canned(app, agent, body="Hallo! Heute ist {{ today }}.",
                           body_en="Hello! Today is {{ today }}.")
    rendered = render(app, agent, reply_id, ticket.id)
    assert rendered.language == expected
    with app.app_context():
        today = templating.today_in(app.config["DESK_TIMEZONE"])
    greeting = "Hello" if expected == "en" else "Hallo"
    assert rendered.body_text.startswith(greeting)
    assert format_date(today, format="long", locale=expected) in rendered.body_text


def test_with_one_language_the_other_is_the_fallback(app, agent, make_ticket):
    ticket = make_ticket()
    set_contact(app, ticket, language="de")
    reply_id = make_canned(app, agent, body=None, body_en="Only English, {{ in_days(2) }}.")
    rendered = render(app, agent, reply_id, ticket.id)
    assert rendered.language == "en"
    assert rendered.body_text.startswith("Only English")


def test_dates_come_in_the_replys_language():
    facts = {"contact": {}, "agent": {}, "ticket": {}}
    day = date(2026, 3, 2)
    german = templating.render('{{ today }} / {{ in_days(1)|date("short") }}', facts, {}, "de",
                               day)
    english = templating.render("{{ today }}", facts, {}, "en", day)
    assert german.body_text == "2. März 2026 / 03.03.26"
    assert english.body_text == "March 2, 2026"


def test_faq_links_wait_for_the_faq_and_are_reported_missing(app, agent, make_ticket):
    ticket = make_ticket()
    reply_id = make_canned(app, agent, body='<p>Siehe <a href="faq:erstattung">FAQ</a>.</p>')
    rendered = render(app, agent, reply_id, ticket.id)
    assert rendered.missing == ["faq:erstattung"]
    assert "faq:" not in rendered.body_html


# -- refused at save -----------------------------------------------------------------------


def create_refused(app, person, body) -> list[str]:
    with app.app_context(), pytest.raises(Invalid) as refused:
        service.create(db.session.get(Person, person.id), title="T", shortcut="t",
                       scope=CannedScope.PERSONAL, bodies={"de": body})
    return refused.value.fields["body_de"]


def test_template_syntax_errors_are_refused_with_their_line(app, agent):
    [message] = create_refused(app, agent, "Hallo,\n\nwir melden uns {{ contact.name }\n")
    assert message.startswith("line 3: syntax error")


def test_unknown_placeholders_are_refused_with_their_line(app, agent):
    [message] = create_refused(app, agent, "Hallo\n{{ contact.age }}")
    assert message == "line 2: unknown placeholder 'contact.age'"


SANDBOX_ESCAPES = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ contact.__class__ }}",
    "{{ contact._values }}",
    "{{ self }}",
    "{{ lipsum.__globals__['os'] }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ ask.x|safe }}",
    "{% set x = 1 %}",
    "{% macro m() %}{% endmacro %}",
    "{% include 'base.html' %}",
    "{{ contact.name.upper() }}",
    "{{ in_days(ask.n) }}",
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "{% if 1 %}" * 40 + "x" + "{% endif %}" * 40,
]


@pytest.mark.parametrize("body", SANDBOX_ESCAPES)
def test_sandbox_escapes_are_refused_at_save(app, agent, body):
    [message] = create_refused(app, agent, body)[:1]
    assert message.startswith("line ")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply)) == 0


FACTS = {"contact": {"name": "Karla"}, "agent": {"name": "Anna"}, "ticket": {"number": "1"}}


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ range.__self__ }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ 'x' * 1000000 }}",
    "{{ ('x' * 15000) + ('y' * 15000) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ in_days(99999999) }}",
    "{% for a in '" + "x" * 300 + "' %}{% for b in '" + "y" * 300 + "' %}zz{% endfor %}"
    "{% endfor %}",
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
])
def test_the_sandbox_stops_what_was_never_checked(source):
    """Defence in depth: rendering alone refuses internals and caps size and work."""
    with pytest.raises(templating.RenderError):
        templating.render(source, FACTS, {}, "de", date(2026, 1, 1))


def test_script_in_a_body_is_cleaned_and_inert_for_every_role(app, client, agent, supervisor,
                                                              make_ticket):
    hostile = ('Hallo <script>alert(1)</script><img src=x onerror=alert(2)>'
               '<a href="javascript:alert(3)">x</a> {{ ask.x }}')
    reply_id = make_canned(app, supervisor, scope=CannedScope.GLOBAL, body=hostile)
    with app.app_context():
        stored = db.session.get(CannedReply, reply_id).variants[0].body_html
    assert "<script" not in stored and "onerror" not in stored and "javascript:" not in stored
    for person in (agent, supervisor):
        login(client, person.email)
        page = html(client.get("/canned"))
        assert "alert(1)" not in page and "onerror" not in page and "javascript:" not in page
        client.post("/logout")
    ticket = make_ticket()
    rendered = render(app, agent, reply_id, ticket.id, {"x": "<script>alert(4)</script>"})
    assert "<script" not in rendered.body_html and "alert(1)" not in rendered.body_html


# -- scopes and permissions ----------------------------------------------------------------


def test_agents_write_personal_replies_only(app, agent):
    with app.app_context(), pytest.raises(Forbidden):
        service.create(db.session.get(Person, agent.id), title="T", shortcut="t",
                       scope=CannedScope.GLOBAL, bodies={"de": "x"})


def test_who_sees_which_reply(app, make_person, agent, supervisor):
    ben = make_person(email="ben@example.com", name="Ben", teams=("Technik",))
    mine = make_canned(app, agent, shortcut="mine")
    bens = make_canned(app, ben, shortcut="bens")
    shared = make_canned(app, supervisor, shortcut="all", scope=CannedScope.GLOBAL)
    bahn = make_canned(app, supervisor, shortcut="bahn", scope=CannedScope.TEAM, team="Bahn")
    technik = make_canned(app, supervisor, shortcut="tech", scope=CannedScope.TEAM,
                          team="Technik")
    with app.app_context():
        def visible(person):
            return {r.id for r in service.library(db.session.get(Person, person.id))}

        assert visible(agent) == {mine, shared, bahn}
        assert visible(ben) == {bens, shared, technik}
        assert visible(supervisor) == {shared, bahn, technik}


def test_edit_permissions_in_the_library(app, client, make_person, agent, supervisor):
    other = make_person(email="ben@example.com", name="Ben", teams=("Bahn",))
    mine = make_canned(app, agent, shortcut="mine")
    bens = make_canned(app, other, shortcut="bens")
    shared = make_canned(app, supervisor, shortcut="all", scope=CannedScope.GLOBAL)
    team = make_canned(app, supervisor, shortcut="bahn", scope=CannedScope.TEAM, team="Bahn")
    login(client, agent.email)
    assert client.get(f"/canned/{mine}/edit").status_code == 200
    assert client.get(f"/canned/{shared}/edit").status_code == 403
    assert client.get(f"/canned/{team}/edit").status_code == 403
    assert client.get(f"/canned/{bens}/edit").status_code == 403
    assert client.post(f"/canned/{shared}/delete").status_code == 403
    assert client.post(f"/canned/{bens}/delete").status_code == 403
    assert client.post("/canned/new", data={
        "title": "Alle", "shortcut": "alle", "scope": "global", "body_de": "x"}).status_code == 422
    client.post("/logout")
    login(client, supervisor.email)
    assert client.get(f"/canned/{shared}/edit").status_code == 200
    assert client.get(f"/canned/{team}/edit").status_code == 200
    assert client.get(f"/canned/{mine}/edit").status_code == 403  # personal stays personal
    assert client.post(f"/canned/{team}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(CannedReply, team) is None
        assert db.session.get(CannedReply, mine) is not None


def test_faq_editors_alone_do_not_get_the_library(client, make_person):
    editor = make_person(email="ed@example.com", roles=(Role.FAQ_EDITOR,))
    login(client, editor.email)
    assert client.get("/canned").status_code == 403


# -- the library page ----------------------------------------------------------------------


def test_create_through_the_form_and_find_it(app, client, agent):
    login(client, agent.email)
    response = client.post("/canned/new", data={
        "title": "Erstattung Fahrgastrechte", "shortcut": "erstattung", "scope": "personal",
        "tags": "Bahn, Geld", "body_de": "Hallo {{ contact.first_name or 'du' }}, das Formular…",
        "body_en": "Hello {{ contact.first_name or 'there' }}, the form…"})
    assert response.status_code == 302, html(response)
    page = html(client.get("/canned?q=formular"))
    assert "Erstattung Fahrgastrechte" in page and "/erstattung" in page
    assert "Erstattung Fahrgastrechte" in html(client.get("/canned?tag=geld"))
    assert "Erstattung Fahrgastrechte" in html(client.get("/canned?language=en"))
    assert "Erstattung Fahrgastrechte" not in html(client.get("/canned?scope=global"))
    assert "Erstattung Fahrgastrechte" not in html(client.get("/canned?q=nirgends"))


def test_form_errors_stand_next_to_their_fields_and_keep_the_input(client, agent):
    login(client, agent.email)
    response = client.post("/canned/new", headers={"Accept-Language": "en"}, data={
        "title": "Mein Entwurf", "shortcut": "Nicht Gültig!", "scope": "personal",
        "body_de": "Zeile eins\n{{ contact.alter }}", "body_en": "{% for x in y %}"})
    assert response.status_code == 422
    page = html(response)
    assert 'value="Mein Entwurf"' in page
    assert re.search(r'id="shortcut-error">[^<]*Lower-case letters', page)
    assert re.search(r'id="body_de-error">Line 2: there is no placeholder contact.alter', page)
    assert re.search(r'id="body_en-error">Line 1:', page)
    assert "Zeile eins\n{{ contact.alter }}</textarea>" in page


def test_form_errors_speak_german_too(client, make_person):
    person = make_person(email="de@example.com", language="de")
    login(client, person.email)
    page = html(client.post("/canned/new", data={
        "title": "", "shortcut": "x", "scope": "personal", "body_de": "{{ kontakt.name }}"}))
    assert "Zeile 1: Den Platzhalter kontakt.name gibt es nicht." in page


def test_edit_shows_the_text_as_typed_and_saves_changes(app, client, agent):
    reply_id = make_canned(app, agent, body="Hallo {{ contact.first_name }},\n\nbis bald!")
    login(client, agent.email)
    page = html(client.get(f"/canned/{reply_id}/edit"))
    assert "Hallo {{ contact.first_name }},\n\nbis bald!</textarea>" in page
    response = client.post(f"/canned/{reply_id}/edit", data={
        "title": "Neu", "shortcut": "neu", "scope": "personal", "body_de": "",
        "body_en": "Hi {{ contact.first_name }}"})
    assert response.status_code == 302
    with app.app_context():
        reply = db.session.get(CannedReply, reply_id)
        assert (reply.title, reply.shortcut, reply.languages) == ("Neu", "neu", "en")
        assert [v.language.value for v in reply.variants] == ["en"]


# -- the picker ----------------------------------------------------------------------------


def test_picker_ranks_shortcut_then_language_and_usage(app, client, agent, make_ticket):
    ticket = make_ticket()
    set_contact(app, ticket, language="en")
    make_canned(app, agent, title="Verspätung allgemein", shortcut="delay-de",
                body="Es tut uns leid.")
    english = make_canned(app, agent, title="Verspätung für Englisch", shortcut="delay-en",
                          body="Leid", body_en="We are sorry.")
    exact = make_canned(app, agent, title="Irgendwas", shortcut="delay", body="Verspätung")
    login(client, agent.email)
    items = client.get(f"/canned/picker?q=delay&ticket_id={ticket.id}").get_json()["items"]
    assert [item["id"] for item in items][:2] == [exact, english]
    by_title = client.get(f"/canned/picker?q=versp&ticket_id={ticket.id}").get_json()["items"]
    assert by_title[0]["id"] == english  # language match
    assert client.get("/canned/picker?q=gibtsnicht").get_json()["items"] == []


def test_the_render_endpoint_needs_the_csrf_token(app, client, agent, make_ticket, monkeypatch):
    ticket = make_ticket()
    reply_id = make_canned(app, agent)
    login(client, agent.email)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post(f"/canned/{reply_id}/render", json={"ticket_id": ticket.id})
    assert refused.status_code == 400
    page = html(client.get(f"/tickets/{ticket.id}"))
    token = re.search(r'name="reply-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    rendered = client.post(f"/canned/{reply_id}/render", json={"ticket_id": ticket.id},
                           headers={"X-CSRFToken": token})
    assert rendered.status_code == 200
    assert rendered.get_json()["body_text"] == "Hallo Pendlerin!"


def test_the_picker_is_on_the_ticket_page(client, agent, make_ticket):
    ticket = make_ticket()
    login(client, agent.email)
    page = html(client.get(f"/tickets/{ticket.id}"))
    assert 'id="canned-picker"' in page and "js/canned.js" in page
    assert 'name="reply-canned"' in page


# -- usage statistics ----------------------------------------------------------------------


def send_with(client, ticket_id, reply_id, body="Hallo!", resolve=False):
    data = {"reply-body": body, "reply-canned": str(reply_id)}
    if resolve:
        data["reply-send_resolve"] = "1"
    response = client.post(f"/tickets/{ticket_id}/reply", data=data)
    assert response.status_code == 302, html(response)


def inbound(app, ticket_id, text="Geht immer noch nicht!"):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.add(Message(ticket_id=ticket.id, channel_id=ticket.channel_id,
                               kind=MessageKind.INBOUND, body_html=f"<p>{text}</p>",
                               body_text=text, created_at=utcnow()))
        ticket.status = Status.OPEN
        db.session.commit()


def test_uses_and_success_rate(app, client, agent, make_ticket):
    reply_id = make_canned(app, agent)
    login(client, agent.email)
    solved, came_back, still_open = make_ticket(), make_ticket(), make_ticket()
    send_with(client, solved.id, reply_id, resolve=True)
    send_with(client, came_back.id, reply_id, resolve=True)
    inbound(app, came_back.id)
    send_with(client, still_open.id, reply_id)
    with app.app_context():
        uses = db.session.scalars(sa.select(CannedReplyUse)).all()
        assert {(u.ticket_id, u.person_id) for u in uses} == {
            (solved.id, agent.id), (came_back.id, agent.id), (still_open.id, agent.id)}
        assert db.session.get(CannedReply, reply_id).use_count == 3
        stats = service.usage([reply_id])[reply_id]
    assert (stats.uses, stats.resolved_clean) == (3, 1)
    row = re.search(rf'<tr id="canned-{reply_id}".*?</tr>', html(client.get("/canned")), re.S)
    assert re.search(r'class="canned-uses">3<', row.group())
    assert re.search(r'class="canned-success">33 %<', row.group())


def test_a_reply_without_canned_records_nothing_and_unusable_ids_are_ignored(
    app, client, agent, make_person, make_ticket
):
    ben = make_person(email="ben@example.com", name="Ben")
    bens = make_canned(app, ben, shortcut="bens")
    ticket = make_ticket()
    login(client, agent.email)
    client.post(f"/tickets/{ticket.id}/reply", data={"reply-body": "Ohne Vorlage"})
    send_with(client, ticket.id, bens)  # not hers to use: the reply goes, no use counted
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedReplyUse)) == 0
        replies = db.session.scalars(sa.select(Message).where(
            Message.ticket_id == ticket.id, Message.kind == MessageKind.REPLY)).all()
        assert len(replies) == 2


def test_a_bad_canned_field_is_refused_with_the_text_kept(client, agent, make_ticket):
    ticket = make_ticket()
    login(client, agent.email)
    response = client.post(f"/tickets/{ticket.id}/reply",
                           data={"reply-body": "Mein Text", "reply-canned": "1;DROP"})
    assert response.status_code == 422
    assert "Mein Text</textarea>" in html(response)

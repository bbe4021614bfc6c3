"""The agent's screen: queue views, the ticket page and the actions on it."""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.models import AuditEvent, Message, MessageKind, Person, Priority, Role, Status, Ticket
from tests.conftest import login


def html(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(app, ticket_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.ticket_id == ticket_id)
            .order_by(AuditEvent.id)
        ))


def load_ticket(app, ticket_id: int) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def messages_of(app, ticket_id: int) -> list[tuple[MessageKind, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Message.kind, Message.body_text).where(Message.ticket_id == ticket_id)
            .order_by(Message.id)
        ).all()
        return [(row.kind, row.body_text) for row in rows]


def row_ids(response) -> list[int]:
    """Ticket ids of the queue rows on a page, in order."""
    return [int(i) for i in re.findall(r'class="queue-row[^"]*" data-ticket-id="(\d+)"',
                                       html(response))]


@pytest.fixture
def agent(make_person):
    return make_person(email="agent@example.com", name="Anna Agent", teams=("Bahn",))


@pytest.fixture
def signed_in(client, agent):
    login(client, agent.email)
    return client


# -- entry and access ----------------------------------------------------------------------


def test_root_sends_visitors_to_login_and_people_to_their_queue(client, agent):
    assert client.get("/").headers["Location"] == "/login"
    login(client, agent.email)
    assert client.get("/").headers["Location"] == "/inbox/open"


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/inbox/open")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_faq_editor_alone_gets_403_on_the_inbox(client, make_person, make_ticket):
    editor = make_person(email="editor@example.com", roles=(Role.FAQ_EDITOR,))
    ticket = make_ticket()
    login(client, editor.email)
    assert client.get("/inbox/open").status_code == 403
    assert client.get(f"/tickets/{ticket.id}").status_code == 403
    response = client.post(f"/tickets/{ticket.id}/reply", data={"reply-body": "Hallo"})
    assert response.status_code == 403


def test_unknown_view_is_404(signed_in):
    assert signed_in.get("/inbox/everything").status_code == 404
    assert signed_in.get("/inbox/everything/rows").status_code == 404


def test_nonsense_filters_are_refused(signed_in):
    assert signed_in.get("/inbox/open?status=bogus").status_code == 400
    assert signed_in.get("/inbox/open?team=abc").status_code == 400
    assert signed_in.get("/inbox/open?channel=nope").status_code == 404


# -- queue views ---------------------------------------------------------------------------


def test_views_show_unassigned_mine_and_open(signed_in, agent, make_person, make_ticket):
    other = make_person(email="other@example.com", name="Otto Other")
    free = make_ticket(subject="Niemand kümmert sich")
    mine = make_ticket(subject="Meins", assignee=agent)
    theirs = make_ticket(subject="Von Otto", assignee=other)
    make_ticket(subject="Längst erledigt", status=Status.RESOLVED)

    assert sorted(row_ids(signed_in.get("/inbox/open"))) == sorted([free.id, mine.id, theirs.id])
    assert row_ids(signed_in.get("/inbox/unassigned")) == [free.id]
    assert row_ids(signed_in.get("/inbox/mine")) == [mine.id]
    page = html(signed_in.get("/inbox/open"))
    assert 'id="count-open">3<' in page
    assert 'id="count-unassigned">1<' in page
    assert 'id="count-mine">1<' in page


def test_status_and_channel_filters(signed_in, make_ticket, make_channel):
    make_channel(slug="forum")
    on_forum = make_ticket(subject="Im Forum", channel="forum")
    resolved = make_ticket(subject="Erledigt", status=Status.RESOLVED)
    assert row_ids(signed_in.get("/inbox/open?channel=forum")) == [on_forum.id]
    assert row_ids(signed_in.get("/inbox/all?status=resolved")) == [resolved.id]


def test_agent_does_not_see_other_teams_tickets(app, client, agent, make_person, make_ticket):
    ours = make_ticket(subject="Für Team Bahn", team="Bahn")
    theirs = make_ticket(subject="Für Team Bus", team="Bus", handle="@busfahrer")
    login(client, agent.email)
    assert row_ids(client.get("/inbox/open")) == [ours.id]
    assert row_ids(client.get(f"/inbox/open?team={theirs.team_id}")) == []
    assert "Für Team Bus" not in html(client.get("/inbox/all"))
    assert client.get(f"/tickets/{theirs.id}").status_code == 403
    assert client.get(f"/tickets/{theirs.id}/pane").status_code == 403
    assert client.post(f"/tickets/{theirs.id}/claim").status_code == 403
    assert load_ticket(app, theirs.id).assignee_id is None

    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    client.post("/logout")
    login(client, supervisor.email)
    assert sorted(row_ids(client.get("/inbox/open"))) == sorted([ours.id, theirs.id])
    assert client.get(f"/tickets/{theirs.id}").status_code == 200


def test_my_teams_view_and_team_filter(signed_in, agent, make_ticket):
    ours = make_ticket(subject="Für Team Bahn", team="Bahn")
    make_ticket(subject="Ohne Team")
    assert row_ids(signed_in.get("/inbox/teams")) == [ours.id]
    assert row_ids(signed_in.get(f"/inbox/open?team={ours.team_id}")) == [ours.id]


def test_search_finds_by_subject_and_by_message_body(signed_in, make_ticket):
    by_subject = make_ticket(subject="Router blinkt rot", text="Nichts geht.")
    by_body = make_ticket(subject="Hilfe", text="Mein Router ist seit gestern tot.")
    make_ticket(subject="Zug verspätet", text="Schon wieder.")
    assert sorted(row_ids(signed_in.get("/inbox/open?q=router"))) == sorted(
        [by_subject.id, by_body.id])
    assert row_ids(signed_in.get("/inbox/open?q=gestern+tot")) == [by_body.id]
    response = signed_in.get("/inbox/open?q=fahrrad")
    assert row_ids(response) == []
    assert "No ticket matches your search." in html(response)


def test_pagination_follows_the_cursor(app, signed_in, make_ticket, monkeypatch):
    monkeypatch.setitem(app.config, "DESK_PAGE_SIZE", 2)
    tickets = [make_ticket(subject=f"Ticket {n}") for n in range(3)]
    first = signed_in.get("/inbox/open")
    assert row_ids(first) == [tickets[0].id, tickets[1].id]
    older = re.search(r'rel="next" href="([^"]+)"', html(first))
    assert older, "the first page links to older tickets"
    second = signed_in.get(older.group(1).replace("&amp;", "&"))
    assert row_ids(second) == [tickets[2].id]
    assert 'rel="next"' not in html(second)
    assert signed_in.get("/inbox/open?cursor=not-a-cursor").status_code == 422


def test_rows_fragment_holds_rows_and_counts_only(signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.get("/inbox/open/rows")
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and 'class="topbar"' not in body
    assert row_ids(response) == [ticket.id]
    assert 'id="count-open">1<' in body and 'id="count-mine">0<' in body


# -- the ticket page -----------------------------------------------------------------------


def test_ticket_page_shows_queue_ticket_and_distinct_message_kinds(app, signed_in, agent,
                                                                  make_ticket):
    from desk.replies.service import add_note, add_reply

    ticket = make_ticket(subject="Zug fällt aus")
    with app.app_context():
        db.session.execute(sa.update(Message).where(Message.ticket_id == ticket.id)
                           .values(url="https://social.example/post/1"))
        db.session.commit()
        person = db.session.merge(agent)
        add_reply(person, ticket.id, "Das tut uns leid!")
        add_note(person, ticket.id, "Kundin ist Stammkundin.")
    page = html(signed_in.get(f"/tickets/{ticket.id}?view=open"))
    assert f'class="queue-row is-current" data-ticket-id="{ticket.id}"' in page
    assert page.count('class="msg msg-inbound"') == 1
    assert page.count('class="msg msg-reply"') == 1
    assert page.count('class="msg msg-note"') == 1
    assert "Internal note" in page
    assert 'href="https://social.example/post/1" rel="noopener noreferrer"' in page
    # No outbound connectors yet: the reply is to be posted by hand, with the post one click away.
    assert "delivery-manual" in page and "post manually" in page
    assert "Open the original post" in page


def test_ticket_page_lists_other_tickets_of_the_contact(signed_in, make_ticket):
    first = make_ticket(subject="Erstes Anliegen", handle="@stammkundin")
    second = make_ticket(subject="Zweites Anliegen", handle="@stammkundin")
    page = html(signed_in.get(f"/tickets/{second.id}"))
    assert f'href="/tickets/{first.id}?view=open">Erstes Anliegen</a>' in page


def test_ticket_pane_fragment(signed_in, make_ticket):
    ticket = make_ticket()
    body = html(signed_in.get(f"/tickets/{ticket.id}/pane?view=open"))
    assert "<html" not in body
    assert 'id="ticket-thread"' in body and 'data-version="1"' in body


def test_missing_ticket_is_404(signed_in):
    assert signed_in.get("/tickets/999999").status_code == 404


# -- actions -------------------------------------------------------------------------------


def test_reply_through_the_form(app, signed_in, agent, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(f"/tickets/{ticket.id}/reply?view=mine",
                              data={"reply-body": "Wir kümmern uns.", "reply-version": "1",
                                    "reply-send": "Send"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tickets/{ticket.id}?view=mine"
    assert messages_of(app, ticket.id)[-1] == (MessageKind.REPLY, "Wir kümmern uns.")
    assert "message.reply" in audit_actions(app, ticket.id)
    after = load_ticket(app, ticket.id)
    assert after.assignee_id == agent.id and after.status == Status.OPEN
    assert "Reply added." in html(signed_in.get(response.headers["Location"]))


def test_send_and_resolve(app, signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(f"/tickets/{ticket.id}/reply",
                              data={"reply-body": "Erledigt.", "reply-version": "1",
                                    "reply-send_resolve": "Send & resolve"})
    assert response.status_code == 302
    assert load_ticket(app, ticket.id).status == Status.RESOLVED


def test_note_through_the_form(app, signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(f"/tickets/{ticket.id}/note",
                              data={"note-body": "Bitte Rückruf.", "note-version": "1"})
    assert response.status_code == 302
    assert messages_of(app, ticket.id)[-1] == (MessageKind.NOTE, "Bitte Rückruf.")
    assert "message.note" in audit_actions(app, ticket.id)


def test_status_and_priority_through_the_form(app, signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(f"/tickets/{ticket.id}/fields",
                              data={"fields-status": "pending", "fields-priority": "urgent",
                                    "fields-version": "1"})
    assert response.status_code == 302
    after = load_ticket(app, ticket.id)
    assert (after.status, after.priority) == (Status.PENDING, Priority.URGENT)
    actions = audit_actions(app, ticket.id)
    assert "ticket.status" in actions and "ticket.priority" in actions


def test_unknown_status_value_is_refused_and_nothing_changes(app, signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(f"/tickets/{ticket.id}/fields",
                              data={"fields-status": "deleted", "fields-priority": "normal"})
    assert response.status_code == 422
    assert load_ticket(app, ticket.id).status == Status.NEW


def test_claim_through_the_form(app, signed_in, agent, make_ticket):
    ticket = make_ticket()
    assert signed_in.post(f"/tickets/{ticket.id}/claim").status_code == 302
    assert load_ticket(app, ticket.id).assignee_id == agent.id
    assert "ticket.claimed" in audit_actions(app, ticket.id)


def test_claim_of_a_held_ticket_says_who_holds_it(app, signed_in, make_person, make_ticket):
    other = make_person(email="other@example.com", name="Otto Other")
    ticket = make_ticket(assignee=other)
    response = signed_in.post(f"/tickets/{ticket.id}/claim")
    assert response.status_code == 409
    assert "Otto Other holds this ticket already." in html(response)
    assert load_ticket(app, ticket.id).assignee_id == other.id


def test_supervisor_assigns_through_the_form(app, client, agent, make_person, make_ticket):
    supervisor = make_person(email="sup@example.com", name="Sabine Sup",
                             roles=(Role.SUPERVISOR,))
    ticket = make_ticket()
    login(client, supervisor.email)
    page = html(client.get(f"/tickets/{ticket.id}"))
    assert f'<option value="{agent.id}">Anna Agent</option>' in page
    response = client.post(f"/tickets/{ticket.id}/assign",
                           data={"assign-assignee": str(agent.id), "assign-version": "1"})
    assert response.status_code == 302
    assert load_ticket(app, ticket.id).assignee_id == agent.id
    assert "ticket.assigned" in audit_actions(app, ticket.id)
    assert "Assigned to Anna Agent." in html(client.get(response.headers["Location"]))


def test_agent_may_not_assign_to_others_but_may_hand_back(app, signed_in, agent, make_person,
                                                         make_ticket):
    other = make_person(email="other@example.com", name="Otto Other")
    ticket = make_ticket(assignee=agent)
    response = signed_in.post(f"/tickets/{ticket.id}/assign",
                              data={"assign-assignee": str(other.id)})
    assert response.status_code == 422
    assert load_ticket(app, ticket.id).assignee_id == agent.id
    response = signed_in.post(f"/tickets/{ticket.id}/assign", data={"assign-assignee": "0"})
    assert response.status_code == 302
    assert load_ticket(app, ticket.id).assignee_id is None


def test_stale_version_shows_conflict_and_keeps_the_text(app, signed_in, make_person,
                                                         make_ticket):
    from desk.replies.service import add_note

    ticket = make_ticket()
    colleague = make_person(email="colleague@example.com", name="Carla Colleague")
    with app.app_context():
        add_note(db.session.merge(colleague), ticket.id, "Ich rufe die Kundin an.")
    draft = "Liebe Kundin, <b>das</b> klären wir sofort!"
    response = signed_in.post(f"/tickets/{ticket.id}/reply",
                              data={"reply-body": draft, "reply-version": "1"})
    assert response.status_code == 409
    page = html(response)
    assert "changed meanwhile" in page
    assert "Liebe Kundin, &lt;b&gt;das&lt;/b&gt; klären wir sofort!</textarea>" in page
    assert "Ich rufe die Kundin an." in page  # the change that made it stale is shown
    version = re.search(r'name="reply-version" type="hidden" value="(\d+)"', page).group(1)
    assert int(version) == load_ticket(app, ticket.id).version
    assert [kind for kind, _ in messages_of(app, ticket.id)].count(MessageKind.REPLY) == 0

    again = signed_in.post(f"/tickets/{ticket.id}/reply",
                           data={"reply-body": draft, "reply-version": version})
    assert again.status_code == 302
    assert messages_of(app, ticket.id)[-1] == (MessageKind.REPLY, draft)


def test_empty_reply_shows_the_message_next_to_the_field(app, signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(f"/tickets/{ticket.id}/reply",
                              data={"reply-body": "   ", "reply-version": "1"})
    assert response.status_code == 422
    assert re.search(r'id="reply-body-error">Write something first\.<', html(response))
    assert len(messages_of(app, ticket.id)) == 1


def test_too_long_reply_is_refused_and_the_text_kept(app, signed_in, make_ticket):
    ticket = make_ticket()
    draft = "Sehr ausführlich. " * 1200  # over 20,000 characters
    response = signed_in.post(f"/tickets/{ticket.id}/reply",
                              data={"reply-body": draft, "reply-version": "1"})
    assert response.status_code == 422
    page = html(response)
    assert 'id="reply-body-error">At most 20000 characters.<' in page
    assert draft.strip() in page
    assert len(messages_of(app, ticket.id)) == 1


def test_empty_note_is_refused_next_to_the_field(signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(f"/tickets/{ticket.id}/note",
                              data={"note-body": "", "note-version": "1"})
    assert response.status_code == 422
    assert 'id="note-body-error">Write something first.<' in html(response)


def test_stale_status_change_is_a_conflict(app, signed_in, make_ticket):
    ticket = make_ticket()
    assert signed_in.post(f"/tickets/{ticket.id}/claim").status_code == 302  # version 2 now
    response = signed_in.post(f"/tickets/{ticket.id}/fields",
                              data={"fields-status": "spam", "fields-priority": "low",
                                    "fields-version": "1"})
    assert response.status_code == 409
    assert "changed meanwhile" in html(response)
    assert load_ticket(app, ticket.id).status == Status.OPEN


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, signed_in, make_ticket,
                                                                monkeypatch):
    ticket = make_ticket()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = signed_in.post(f"/tickets/{ticket.id}/reply",
                              data={"reply-body": "Ohne Token", "reply-version": "1"})
    assert response.status_code == 400
    assert "Nothing was changed" in html(response)
    assert signed_in.post(f"/tickets/{ticket.id}/claim").status_code == 400
    assert len(messages_of(app, ticket.id)) == 1
    assert load_ticket(app, ticket.id).assignee_id is None
    assert audit_actions(app, ticket.id) == []


def test_post_with_csrf_token_goes_through(app, signed_in, make_ticket, monkeypatch):
    ticket = make_ticket()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = html(signed_in.get(f"/tickets/{ticket.id}"))
    token = re.search(r'name="reply-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = signed_in.post(f"/tickets/{ticket.id}/reply",
                              data={"reply-body": "Mit Token", "reply-version": "1",
                                    "reply-csrf_token": token})
    assert response.status_code == 302
    assert messages_of(app, ticket.id)[-1] == (MessageKind.REPLY, "Mit Token")


# -- hostile content -----------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)>"


class _LiveCode(HTMLParser):
    """Collects what a browser would run: inline scripts, on* handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not dict(attrs).get("src"):
            self.found.append("inline <script>")
        if tag == "img":
            self.found.append("<img>")  # desk renders no images from messages at all
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    ("javascript:", "data:")):
                self.found.append(f"<{tag} {name}={value}>")


def live_code(page: str) -> list[str]:
    parser = _LiveCode()
    parser.feed(page)
    return parser.found


def test_hostile_content_is_escaped_or_inert(app, signed_in, make_ticket):
    ticket = make_ticket(subject=f"Hallo {HOSTILE}", text=f"Text {HOSTILE}",
                         handle=f"@evil{HOSTILE}")
    with app.app_context():
        from desk.models import Contact

        db.session.execute(sa.update(Contact).values(name=f"Eve {HOSTILE}"))
        db.session.execute(sa.update(Message).where(Message.ticket_id == ticket.id).values(
            url="javascript:alert(1)", body_text=f"Text {HOSTILE}"))
        db.session.commit()
    for path in (f"/tickets/{ticket.id}", "/inbox/open", "/inbox/open/rows",
                 f"/tickets/{ticket.id}/pane", "/inbox/open?q=%3Cscript%3E"):
        page = html(signed_in.get(path))
        assert "<script>alert" not in page, path
        assert "<img src=x onerror" not in page, path
        assert live_code(page) == [], path
    page = html(signed_in.get(f"/tickets/{ticket.id}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Eve &lt;script&gt;" in page


def test_templates_have_no_inline_script_or_style():
    """The CSP allows only same-origin files: inline code would silently not run."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "desk" / "templates"
    for template in root.rglob("*.html"):
        source = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), template
        assert not re.search(r"\sstyle=", source), template
        assert not re.search(r"<style", source), template
        assert not re.search(r"\son[a-z]+=", source), template


def test_sidebar_counts_add_up_an_agents_teams_and_unrouted_tickets_up_to_the_cap(
        app, make_person, make_ticket):
    """The counts query each visibility part apart; together they must equal the rule."""
    from desk.inbox.queue import view_counts

    agent = make_person(teams=("Bahn",))
    make_person("other@example.com", teams=("Fernverkehr",))
    for _ in range(2):
        make_ticket(team=None)
    for _ in range(3):
        make_ticket(team="Bahn")
    make_ticket(team="Bahn", assignee=agent)
    for _ in range(4):
        make_ticket(team="Fernverkehr")
    with app.app_context():
        person = db.session.get(Person, agent.id)
        assert view_counts(person) == {"open": 6, "unassigned": 5, "mine": 1}
        cap = app.config["DESK_COUNT_CAP"]
        app.config["DESK_COUNT_CAP"] = 4
        try:
            assert view_counts(person) == {"open": 4, "unassigned": 4, "mine": 1}
        finally:
            app.config["DESK_COUNT_CAP"] = cap


def test_supervisor_reassigns_with_a_reason_shown_in_the_history(app, client, agent,
                                                                 make_person, make_ticket):
    supervisor = make_person(email="sup@example.com", name="Sabine Sup",
                             roles=(Role.SUPERVISOR,))
    other = make_person(email="other@example.com", name="Otto Other")
    ticket = make_ticket(assignee=agent)
    login(client, supervisor.email)
    response = client.post(f"/tickets/{ticket.id}/assign",
                           data={"assign-assignee": str(other.id), "assign-version": "1"})
    assert response.status_code == 422
    page = html(response)
    assert "needed to reassign a ticket someone else holds" in page
    assert f'<option selected value="{other.id}">Otto Other</option>' in page  # input kept
    assert load_ticket(app, ticket.id).assignee_id == agent.id
    assert "ticket.assigned" not in audit_actions(app, ticket.id)

    response = client.post(f"/tickets/{ticket.id}/assign", data={
        "assign-assignee": str(other.id), "assign-version": "1",
        "assign-reason": "Anna ist im Urlaub"})
    assert response.status_code == 302
    assert load_ticket(app, ticket.id).assignee_id == other.id
    page = html(client.get(response.headers["Location"]))
    history = page[page.index('id="assignment-history"'):]
    assert "Sabine Sup gave it from Anna Agent to Otto Other." in history
    assert '<q class="history-reason">Anna ist im Urlaub</q>' in history
    with app.app_context():
        data = db.session.scalars(sa.select(AuditEvent.data).where(
            AuditEvent.ticket_id == ticket.id, AuditEvent.action == "ticket.assigned")).one()
    assert data["reason"] == "Anna ist im Urlaub"


def test_queue_pages_read_outside_a_transaction_and_changes_still_run_in_one(
        app, signed_in, make_ticket):
    ticket = make_ticket()
    seen: list[tuple[str, bool]] = []

    def autocommit(dbapi_connection) -> bool:
        if hasattr(dbapi_connection, "pgconn"):  # psycopg
            return dbapi_connection.autocommit
        return dbapi_connection.isolation_level is None  # sqlite3: no transaction control

    def record(conn, cursor, statement, *args):
        seen.append((statement.split()[0], autocommit(conn.connection.dbapi_connection)))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert signed_in.get("/inbox/open").status_code == 200
        assert signed_in.get("/inbox/open/rows").status_code == 200
        page = list(seen)
        seen.clear()
        response = signed_in.post(f"/tickets/{ticket.id}/note",
                                  data={"note-body": "Bitte Rückruf.", "note-version": "1"})
        assert response.status_code == 302
        change = list(seen)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert page and all(outside for _, outside in page)
    # The connection went back to the pool transactional: a change is one unit of work.
    assert change and not any(outside for _, outside in change)
    assert messages_of(app, ticket.id)[-1] == (MessageKind.NOTE, "Bitte Rückruf.")

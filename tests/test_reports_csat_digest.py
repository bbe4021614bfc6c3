"""CSAT survey links (signed, expiring, single use) and the weekly management digest."""

import email
import re
import socket
from datetime import date

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from desk.extensions import db
from desk.models import CsatResponse, Message, MessageKind, ReportDigest, Role
from desk.reports import csat, digest, metrics
from desk.reports.periods import Period, Scope, scope_for
from desk.reports.rollups import refresh_changed


def _reply_with_survey(app, agent, ticket_id: int) -> str:
    from desk.replies.service import add_reply

    with app.test_request_context():
        add_reply(agent, ticket_id, "Sorry for the delay!", survey=True)
    with app.app_context():
        body = db.session.scalars(sa.select(Message.body_html).where(
            Message.kind == MessageKind.REPLY)).one()
    return re.search(r'href="[^"]*/survey/([^"]+)"', body).group(1)


@pytest.fixture
def token(app, make_person, make_ticket):
    agent = make_person(teams=("Bahn",))
    ticket = make_ticket(team="Bahn")
    return _reply_with_survey(app, agent, ticket.id)


def test_a_survey_answer_counts_once_for_the_agent_and_team(app, client, token, make_person):
    page = client.get(f"/survey/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "How did we do?" in page.get_data(as_text=True)
    german = client.get(f"/survey/{token}", headers={"Accept-Language": "de-DE"})
    assert "Wie war unsere Antwort?" in german.get_data(as_text=True)
    assert client.post(f"/survey/{token}", data={"score": "4", "comment": "quick"}
                       ).status_code == 200
    again = client.post(f"/survey/{token}", data={"score": "1", "comment": "changed my mind"})
    assert again.status_code == 404
    assert client.get(f"/survey/{token}").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CsatResponse)) == 1
        today = csat.desk_today()
        rows = metrics.csat(Period(today, today), Scope())
        assert rows == [{"team": "Bahn", "agent_id": rows[0]["agent_id"], "agent": "Anna Agent",
                         "responses": 1, "average": 4.0, "satisfied_share": 1.0}]
        chief = make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
        assert metrics.summary(Period(today, today), scope_for(chief))["csat_average"] == 4.0


def test_a_score_outside_1_to_5_is_refused_and_the_link_still_works(client, token):
    assert client.post(f"/survey/{token}", data={"score": "9"}).status_code == 422
    assert client.post(f"/survey/{token}", data={"score": "5"}).status_code == 200


def test_forged_expired_and_used_links_are_refused_alike(app, client, token):
    forged = URLSafeTimedSerializer("not-our-key", salt=csat.SALT).dumps(
        {"t": 1, "a": 1, "n": "x" * 24})
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    app.config["DESK_CSAT_MAX_AGE_DAYS"] = -1  # every link is already too old
    expired = client.get(f"/survey/{token}")
    app.config["DESK_CSAT_MAX_AGE_DAYS"] = 14
    client.post(f"/survey/{token}", data={"score": "3"})
    used = client.get(f"/survey/{token}")
    pages = [client.get(f"/survey/{forged}"), client.get(f"/survey/{tampered}"), expired, used,
             client.get("/survey/garbage")]
    assert {page.status_code for page in pages} == {404}
    assert len({page.get_data(as_text=True) for page in pages}) == 1  # reveals nothing


def test_no_survey_link_when_the_desk_does_not_offer_it(app, make_person, make_ticket):
    from desk.replies.service import add_reply

    agent, ticket = make_person(), make_ticket()
    app.config["DESK_CSAT"] = False
    try:
        with app.test_request_context():
            message = add_reply(agent, ticket.id, "Hello", survey=True)
            assert "/survey/" not in message.body_html
    finally:
        app.config["DESK_CSAT"] = True


# --- the weekly digest ------------------------------------------------------------------

class Sink:
    """A local SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.Message] = []
        with socket.socket() as probe:  # a free port (aiosmtpd's self-check cannot use 0)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink(app):
    sink = Sink()
    sink.controller.start()
    app.config.update(DESK_SMTP_HOST="127.0.0.1", DESK_SMTP_PORT=sink.port)
    yield sink
    sink.controller.stop()
    app.config.update(DESK_SMTP_HOST=None, DESK_SMTP_PORT=25)


def test_the_digest_renders_as_html_text_and_pdf(app, ctx, make_ticket):
    make_ticket()
    refresh_changed()
    today = csat.desk_today()
    summary = digest.build_digest(Period(today, today))
    assert summary.current["tickets"] == 1
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    try:
        with digest.rendering():
            html = digest.render_html(summary)
            pdf = digest.render_pdf(summary)
            text = digest.render_text(summary)
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = "de"
    assert "Complaints received" in html and "<td>1</td>" in html
    assert pdf.startswith(b"%PDF")
    assert str(today) in text and "Complaints received: 1" in text


def test_the_weekly_digest_is_sent_once_with_its_pdf(app, ctx, smtp_sink, make_person,
                                                     make_ticket):
    make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
    make_ticket()
    result = digest.send_due_digest()
    assert result["sent"] is True and result["recipients"] == 1
    assert digest.send_due_digest() == {"sent": False, "reason": "already sent",
                                        "week": result["week"]}
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == "chief@example.com"
    parts = {part.get_content_type(): part for part in message.walk()}
    assert {"text/plain", "text/html", "application/pdf"} <= parts.keys()
    assert parts["application/pdf"].get_payload(decode=True).startswith(b"%PDF")
    week = db.session.scalars(sa.select(ReportDigest.week_start)).one()
    assert week.weekday() == 0 and week < date.today()


def test_a_failed_send_records_nothing_and_is_tried_again(app, ctx, smtp_sink, make_person):
    make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
    working_port = app.config["DESK_SMTP_PORT"]
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        app.config["DESK_SMTP_PORT"] = closed.getsockname()[1]
    with pytest.raises(OSError):
        digest.send_due_digest()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportDigest)) == 0
    app.config["DESK_SMTP_PORT"] = working_port
    assert digest.send_due_digest()["sent"] is True
    assert len(smtp_sink.messages) == 1


def test_digest_without_smtp_says_so(app, ctx):
    assert digest.send_due_digest() == {"sent": False, "reason": "DESK_SMTP_HOST is not set"}



"""/reports and /api/v1/reports: who sees what, bad dates, CSV with formulas defused."""

import csv
import io

import pytest

from desk.models import Role
from desk.reports.export import safe_cell, to_csv
from desk.reports.rollups import refresh_changed
from tests import report_data
from tests.conftest import login
from tests.report_data import berlin

RANGE = "from=2026-11-20&to=2026-11-23"


@pytest.fixture
def data(app, make_person):
    with app.app_context():
        dataset = report_data.build(make_person)
        refresh_changed(now=berlin(24, 12))
    return dataset


@pytest.mark.parametrize("name", ["volume", "response", "sla", "agents", "sentiment", "faq",
                                  "csat", "topics", "backlog", "reopens", "escalations",
                                  "summary", "channels", "trend"])
def test_every_report_answers_json_rows_and_csv(data, make_person, api_as, name):
    chief = make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
    api = api_as(chief)
    response = api.get(f"/reports/{name}?{RANGE}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["report"] == name and body["from"] == "2026-11-20" and body["to"] == "2026-11-23"
    assert isinstance(body["rows"], list)
    exported = api.get(f"/reports/{name}?{RANGE}&format=csv")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert len(lines) == len(body["rows"]) + (1 if body["rows"] else 1)


def test_api_scopes_agents_to_their_own_and_supervisors_to_their_teams(data, make_person,
                                                                       api_as):
    anna = api_as(data.people["anna"])
    assert anna.get(f"/reports/summary?{RANGE}").get_json()["rows"][0]["tickets"] == 2
    boss = make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,),
                       teams=("Fernverkehr",))
    api = api_as(boss)
    assert api.get(f"/reports/summary?{RANGE}").get_json()["rows"][0]["tickets"] == 2
    refused = api.get(f"/reports/summary?{RANGE}&team=Bahn")
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    admin = api_as(make_person("admin@example.com", "Ada", roles=(Role.ADMIN,)))
    assert admin.get(f"/reports/summary?{RANGE}&team=Bahn").get_json()["rows"][0][
        "tickets"] == 2
    assert admin.get(f"/reports/volume?{RANGE}&channel=form").get_json()["rows"] == [
        {"day": "2026-11-21", "channel": "form", "tickets": 1, "spam": 0},
        {"day": "2026-11-23", "channel": "form", "tickets": 1, "spam": 0},
    ]


def test_faq_editors_alone_get_no_reports(app, make_person, api_as, client):
    editor = make_person("ed@example.com", "Ed", roles=(Role.FAQ_EDITOR,))
    assert api_as(editor).get("/reports/volume").status_code == 403
    login(client, "ed@example.com")
    assert client.get("/reports").status_code == 403


@pytest.mark.parametrize("query, field", [
    ("from=2026-13-01", "from"),
    ("from=1999-01-01&to=2026-01-01", "from"),
    ("from=2020-01-01&to=2026-01-01", "to"),
    ("to=2999-01-01", "to"),
    ("format=xlsx", "format"),
    ("team=Nobody", "team"),
])
def test_absurd_ranges_and_unknown_filters_are_refused_with_problem_json(app, make_person,
                                                                         api_as, query, field):
    api = api_as(make_person(roles=(Role.ADMIN,)))
    response = api.get(f"/reports/volume?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["fields"]


def test_reversed_dates_are_swapped(data, make_person, api_as):
    api = api_as(make_person(roles=(Role.ADMIN,)))
    body = api.get("/reports/summary?from=2026-11-23&to=2026-11-20").get_json()
    assert (body["from"], body["to"]) == ("2026-11-20", "2026-11-23")
    assert body["rows"][0]["tickets"] == 4


def test_unknown_report_is_404(app, make_person, api_as):
    assert api_as(make_person(roles=(Role.ADMIN,))).get("/reports/nope").status_code == 404


def test_csv_cells_that_could_start_a_formula_are_defused():
    for dangerous in ("=1+1", "+49 30 1234", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell(-3) == -3  # a number stays a number
    assert safe_cell("Bahn") == "Bahn"
    text = to_csv([{"team": '=HYPERLINK("http://evil")', "tickets": 2}])
    assert text.splitlines() == ["team,tickets", '"\'=HYPERLINK(""http://evil"")",2']


def test_team_names_are_defused_in_exports_end_to_end(app, client, make_person, make_ticket):
    make_person("boss@example.com", "Boss", roles=(Role.ADMIN,), teams=("=cmd|' /C calc'!A0",))
    make_ticket(team="=cmd|' /C calc'!A0")
    with app.app_context():
        refresh_changed()
    login(client, "boss@example.com")
    text = client.get("/reports/escalations.csv").get_data(as_text=True)
    assert "'=cmd" in text
    assert "\n=cmd" not in text and ",=cmd" not in text


def test_page_by_role(data, client, make_person):
    login(client, "anna@example.com")
    page = client.get(f"/reports?{RANGE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "My numbers" in html and "report-today" not in html
    assert 'id="table-agents"' not in html  # no one else's numbers
    client.post("/logout")
    make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,), teams=("Bahn",))
    login(client, "boss@example.com")
    html = client.get(f"/reports?{RANGE}").get_data(as_text=True)
    assert "Team operations" in html and 'id="report-today"' in html
    assert 'id="table-agents"' in html and "Bert Agent" not in html
    client.post("/logout")
    make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
    login(client, "chief@example.com")
    html = client.get(f"/reports?{RANGE}").get_data(as_text=True)
    assert "Reputation and satisfaction" in html and 'id="table-topics"' in html
    assert 'data-chart-table="table-response"' in html


def test_page_corrects_bad_dates_with_a_message(data, client):
    login(client, "anna@example.com")
    html = client.get("/reports?from=2026-11-23&to=2026-11-20").get_data(as_text=True)
    assert "dates were swapped" in html
    response = client.get("/reports?from=yesterday")
    assert response.status_code == 200
    assert "showing the last 30 days" in response.get_data(as_text=True)


def test_today_counters_fragment(data, client, make_person, make_ticket):
    make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,))
    login(client, "boss@example.com")
    before = client.get("/reports/today").get_data(as_text=True)
    make_ticket()
    after = client.get("/reports/today").get_data(as_text=True)
    assert before != after
    assert 'data-counter="received">1<' in after


def test_management_role_from_the_cli_reads_reports_and_works_no_tickets(app, client, runner):
    result = runner.invoke(args=["desk", "create-user", "chief@example.com", "--name", "Chief",
                                 "--role", "management", "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    login(client, "chief@example.com")
    landing = client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/reports")
    page = client.get("/reports").get_data(as_text=True)
    assert "Reputation und Zufriedenheit" in page  # no language chosen: the desk's German
    assert 'id="report-topics"' in page
    assert client.get("/inbox/open").status_code == 403
    assert ">Posteingang<" not in page and ">Berichte<" in page


def test_cli_rebuilds_the_reports_and_reports_the_digest_state(app, runner, make_ticket):
    make_ticket()
    result = runner.invoke(args=["desk", "reports-rebuild"])
    assert result.exit_code == 0 and "Counted 1 tickets" in result.output
    result = runner.invoke(args=["desk", "digest"])
    assert result.exit_code == 0 and "DESK_SMTP_HOST is not set" in result.output


def test_cli_digest_with_an_unreachable_mail_server_fails_in_one_line(app, runner,
                                                                     make_person):
    import socket

    make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app.config.update(DESK_SMTP_HOST="127.0.0.1", DESK_SMTP_PORT=port)
    try:
        result = runner.invoke(args=["desk", "digest"])
    finally:
        app.config.update(DESK_SMTP_HOST=None, DESK_SMTP_PORT=25)
    assert result.exit_code != 0
    assert "mail server" in result.output and len(result.output.strip().splitlines()) == 1


def test_cached_results_follow_every_rollup_change(data, make_person, api_as):
    api = api_as(make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,)))
    first = api.get(f"/reports/summary?{RANGE}").get_json()["rows"][0]
    assert api.get(f"/reports/summary?{RANGE}").get_json()["rows"][0] == first
    from desk.extensions import db
    from desk.models import Status, Ticket

    with api.client.application.app_context():
        db.session.get(Ticket, data.ids["T3"]).status = Status.SPAM
        db.session.get(Ticket, data.ids["T3"]).updated_at = berlin(24, 12, 30)
        db.session.commit()
        assert api.get(f"/reports/summary?{RANGE}").get_json()["rows"][0] == first  # not yet
        refresh_changed(now=berlin(24, 13))
    assert api.get(f"/reports/summary?{RANGE}").get_json()["rows"][0]["tickets"] == 3

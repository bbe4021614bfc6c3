"""Reports filtered by tag: the same numbers, over the tagged tickets only.

On the dataset of tests/report_data.py, T1 (x, Bahn, resolved, first response
breached, resolution met) and T3 (form, Fernverkehr, open, unanswered, escalated)
carry the tag "refund"; T2 carries "app".
"""

from datetime import date

import pytest

from desk.extensions import db
from desk.models import Role, Tag, TicketTag
from desk.reports import metrics
from desk.reports.periods import Period, Scope
from desk.reports.rollups import refresh_changed
from tests import report_data
from tests.report_data import berlin

PERIOD = Period(date(2026, 11, 20), date(2026, 11, 23))
RANGE = "from=2026-11-20&to=2026-11-23"


@pytest.fixture
def tagged(app, make_person):
    with app.app_context():
        data = report_data.build(make_person)
        refund, other = Tag(name="refund"), Tag(name="app")
        db.session.add_all([refund, other])
        db.session.flush()
        db.session.add_all([TicketTag(ticket_id=data.ids["T1"], tag_id=refund.id),
                            TicketTag(ticket_id=data.ids["T3"], tag_id=refund.id),
                            TicketTag(ticket_id=data.ids["T2"], tag_id=other.id)])
        db.session.commit()
        refresh_changed(now=berlin(24, 12))
        return data, refund.id


def test_every_count_and_time_is_over_the_tagged_tickets(app, tagged):
    _, refund = tagged
    scope = Scope(tag_id=refund)
    with app.app_context():
        summary = metrics.summary(PERIOD, scope)
        assert (summary["tickets"], summary["answered"], summary["resolved"]) == (2, 1, 1)
        assert summary["escalated"] == 1
        assert summary["first_response_s_p50"] == 66 * 3600  # T1 only
        assert summary["sla_first_response_compliance"] == 0.0  # T1, T3 both breached
        assert metrics.sla(PERIOD, scope) == [
            {"clock": "first_response", "met": 0, "breached": 2, "compliance": 0.0},
            {"clock": "next_response", "met": 0, "breached": 0, "compliance": None},
            {"clock": "resolution", "met": 1, "breached": 1, "compliance": 0.5},
        ]
        assert sorted((row["day"], row["channel"], row["tickets"])
                      for row in metrics.volume(PERIOD, scope)) == [
            ("2026-11-20", "x", 1), ("2026-11-21", "form", 1)]
        assert {row["status"]: row["tickets"] for row in metrics.backlog(PERIOD, scope)} == {
            "open": 1}  # T3; T1 is resolved
        # Tag and team together: Bahn's tagged ticket is T1 alone.
        bahn = db.session.scalar(db.select(db.text("id")).select_from(db.text("teams"))
                                 .where(db.text("name = 'Bahn'")))
        assert metrics.summary(PERIOD, Scope(team_ids=(bahn,), tag_id=refund))["tickets"] == 1
        # Without the tag: the whole dataset, as before.
        assert metrics.summary(PERIOD, Scope())["tickets"] == 4


def test_api_takes_tag_on_every_report(tagged, make_person, api_as):
    chief = make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
    api = api_as(chief)
    for name in metrics.REPORTS:
        response = api.get(f"/reports/{name}?{RANGE}&tag=Refund")
        assert response.status_code == 200, (name, response.get_data(as_text=True))
        assert response.get_json()["tag"] == "refund"
    body = api.get(f"/reports/summary?{RANGE}&tag=refund").get_json()
    assert body["rows"][0]["tickets"] == 2
    assert api.get(f"/reports/summary?{RANGE}&tag=app").get_json()["rows"][0]["tickets"] == 1
    csv = api.get(f"/reports/volume?{RANGE}&tag=refund&format=csv").get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 3  # header and two days
    for bad, why in (("never-used", "unknown"), ("two%20words", None), ("x" * 41, None)):
        response = api.get(f"/reports/summary?{RANGE}&tag={bad}")
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
        assert "tag" in response.get_json()["fields"]
        if why:
            assert response.get_json()["fields"]["tag"] == [why]


def test_the_page_filters_by_tag_and_says_when_it_cannot(tagged, client, make_person):
    from tests.conftest import login

    make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,), language="en")
    login(client, "chief@example.com")
    page = client.get(f"/reports?{RANGE}&tag=refund").get_data(as_text=True)
    assert 'name="tag" value="refund"' in page
    assert '<option value="refund">' in page and '<option value="app">' in page
    assert "tag=refund" in page  # CSV links keep the filter
    refused = client.get(f"/reports?{RANGE}&tag=nope").get_data(as_text=True)
    assert "could not be used" in refused
    assert 'name="tag" value=""' in refused

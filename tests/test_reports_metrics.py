"""Each report on the hand-built dataset of tests/report_data.py, with known answers."""

from datetime import date

import pytest

from desk.auth.service import team_named
from desk.extensions import db
from desk.models import Role, Status, Ticket
from desk.reports import metrics
from desk.reports.periods import Period, Scope, scope_for
from desk.reports.rollups import refresh_changed
from tests import report_data
from tests.report_data import berlin

PERIOD = Period(date(2026, 11, 20), date(2026, 11, 23))
ALL = Scope()


@pytest.fixture
def data(app, ctx, make_person):
    dataset = report_data.build(make_person)
    refresh_changed(now=berlin(24, 12))
    return dataset


def test_volume_by_day_and_channel_leaves_spam_apart(data):
    rows = sorted(metrics.volume(PERIOD, ALL), key=lambda row: (row["day"], row["channel"]))
    assert rows == [
        {"day": "2026-11-20", "channel": "x", "tickets": 1, "spam": 0},
        {"day": "2026-11-21", "channel": "form", "tickets": 1, "spam": 0},
        {"day": "2026-11-23", "channel": "form", "tickets": 1, "spam": 0},
        {"day": "2026-11-23", "channel": "x", "tickets": 1, "spam": 1},
    ]


def test_summary_numbers(data):
    summary = metrics.summary(PERIOD, ALL)
    assert summary["tickets"] == 4
    assert summary["answered"] == 3
    assert summary["response_rate"] == 0.75
    assert summary["resolved"] == 1
    # T1 resolved; T4 resolved and reopened: one of two ever-resolved tickets came back.
    assert summary["reopened"] == 1
    assert summary["reopen_rate"] == 0.5
    assert summary["escalated"] == 1
    assert summary["negative_share"] == 0.5  # T1 negative, T2 positive; others unscored
    # T1 and T3 breached, T2 and T4 met (tests/report_data.py).
    assert summary["sla_first_response_compliance"] == 0.5


def test_first_response_and_resolution_times_wall_and_business(data):
    summary = metrics.summary(PERIOD, ALL)
    # Wall: T2 30 min, T4 12 h, T1 66 h (Friday 16:00 to Monday 10:00).
    assert summary["first_response_s_p50"] == 12 * 3600
    assert summary["first_response_s_p90"] == 43200 + (237600 - 43200) * 0.8
    # Business hours: T4 0 (overnight), T2 30 min, T1 2 h (Friday 16-17, Monday 9-10).
    assert summary["first_response_bh_s_p50"] == 1800
    assert summary["first_response_bh_s_p90"] == 1800 + (7200 - 1800) * 0.8
    # Only T1 is resolved: 68 h wall, 4 h of business time (Friday 1 h, Monday 9-12).
    assert summary["resolution_s_p50"] == summary["resolution_s_p90"] == 68 * 3600
    assert summary["resolution_bh_s_p50"] == 4 * 3600


def test_response_per_day(data):
    rows = {row["day"]: row for row in metrics.response(PERIOD, ALL)}
    assert rows["2026-11-21"]["response_rate"] == 0.0
    assert rows["2026-11-21"]["first_response_s_p50"] is None
    assert rows["2026-11-23"]["tickets"] == 2
    assert rows["2026-11-23"]["answered"] == 2
    assert rows["2026-11-23"]["first_response_bh_s_p50"] == 900  # 1800 and 0


def test_sla_per_clock(data):
    # The outcomes the SLA module recorded (see the table in tests/report_data.py).
    assert metrics.sla(PERIOD, ALL) == [
        {"clock": "first_response", "met": 2, "breached": 2, "compliance": 0.5},
        {"clock": "next_response", "met": 0, "breached": 0, "compliance": None},
        {"clock": "resolution", "met": 1, "breached": 2, "compliance": 0.3333},
    ]


def test_a_running_clock_counts_as_breached_once_its_target_passed(data):
    # T4's resolution clock runs until Tue 17:00; nothing changes on the ticket.
    refresh_changed(now=berlin(24, 16, 59))
    assert metrics.sla(PERIOD, ALL)[2]["breached"] == 2
    refresh_changed(now=berlin(24, 17, 1))
    assert metrics.sla(PERIOD, ALL)[2]["breached"] == 3


def test_agents(data):
    rows = {row["agent"]: row for row in metrics.agents(PERIOD, ALL)}
    assert rows["Anna Agent"]["tickets"] == 2
    assert rows["Anna Agent"]["resolved"] == 1
    assert rows["Anna Agent"]["first_response_bh_s_p50"] == (7200 + 1800) / 2
    assert rows["Bert Agent"]["reopened"] == 1
    assert rows[None]["tickets"] == 1  # T3, nobody's yet


def test_per_channel_and_trend(data):
    channels = {row["channel"]: row for row in metrics.channels(PERIOD, ALL)}
    assert channels["x"]["tickets"] == 2 and channels["x"]["response_rate"] == 1.0
    assert channels["x"]["first_response_bh_s_p50"] == (7200 + 1800) / 2
    assert channels["form"]["response_rate"] == 0.5
    assert channels["form"]["first_response_s_p50"] == 12 * 3600
    trend = {row["day"]: row for row in metrics.trend(PERIOD, ALL)}
    assert trend["2026-11-20"]["negative_share"] == 1.0
    assert trend["2026-11-23"]["response_rate"] == 1.0
    assert trend["2026-11-21"]["csat_average"] is None


def test_sentiment_escalations_reopens(data):
    sentiment = {(r["day"], r["channel"]): r for r in metrics.sentiment(PERIOD, ALL)}
    assert sentiment[("2026-11-20", "x")]["negative_share"] == 1.0
    assert sentiment[("2026-11-23", "x")]["negative_share"] == 0.0
    assert sentiment[("2026-11-21", "form")]["negative_share"] is None
    escalations = {(r["day"], r["team"]): r["escalated"] for r in metrics.escalations(PERIOD, ALL)}
    assert escalations[("2026-11-21", "Fernverkehr")] == 1
    assert sum(escalations.values()) == 1
    reopens = {r["day"]: r for r in metrics.reopens(PERIOD, ALL)}
    assert reopens["2026-11-23"] == {"day": "2026-11-23", "resolved": 1, "reopened": 1,
                                     "reopen_rate": 1.0}


def test_backlog_by_status_and_age(data):
    rows = metrics.backlog(PERIOD, ALL, now=berlin(24, 12))
    assert sum(row["tickets"] for row in rows) == 3  # T2, T3, T4 open; T1 resolved; T5 spam
    # At Tuesday noon: T4 is 16 h old, T2 27 h, T3 3 days.
    by_age = {row["age"]: row["tickets"] for row in rows}
    assert by_age == {"4-24h": 1, "1-3d": 1, "3-7d": 1}
    assert max(row["oldest_age_s"] for row in rows) == 3 * 86400


def test_todays_open_counters_come_from_the_same_snapshot(data):
    # At Tuesday noon: T2, T3, T4 open; T3 unassigned; overdue are the tickets whose
    # nearest running clock is due (T2, T3: resolution; T4's resolution is due 17:00).
    counters = metrics.today(ALL, now=berlin(24, 12))
    assert (counters["open"], counters["unassigned"], counters["overdue"]) == (3, 1, 2)
    assert counters["open"] == sum(row["tickets"]
                                   for row in metrics.backlog(PERIOD, ALL, now=berlin(24, 12)))
    assert metrics.today(ALL, now=berlin(23, 9))["overdue"] == 0  # nothing due yet


def test_the_supervisor_page_reads_the_open_tickets_once(app, client, data, make_person):
    """The backlog table and today's counters share one pass over the open tickets."""
    import sqlalchemy as sa

    from tests.conftest import login

    make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,))
    login(client, "boss@example.com")
    passes = []

    def count(conn, cursor, statement, params, context, executemany):
        if "min(tickets.created_at)" in statement:
            passes.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/reports?from=2026-11-20&to=2026-11-23")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    assert len(passes) == 2  # one snapshot: the tickets older than a week, and the rest


def test_the_day_is_the_local_day(app, ctx, make_person):
    # 23:30 UTC on the 23rd is 00:30 on the 24th in Berlin.
    report_data.add_ticket("x", berlin(24, 0, 30))
    db.session.commit()
    refresh_changed(now=berlin(24, 12))
    rows = metrics.volume(Period(date(2026, 11, 23), date(2026, 11, 24)), ALL)
    assert [row["day"] for row in rows] == ["2026-11-24"]


def test_scopes_agents_see_their_own_supervisors_their_teams(data, make_person):
    anna = data.people["anna"]
    assert metrics.summary(PERIOD, scope_for(anna))["tickets"] == 2
    boss = make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,),
                       teams=("Fernverkehr",))
    assert metrics.summary(PERIOD, scope_for(boss))["tickets"] == 2
    assert metrics.summary(PERIOD, scope_for(boss))["escalated"] == 1
    chief = make_person("chief@example.com", "Chief", roles=(Role.MANAGEMENT,))
    assert metrics.summary(PERIOD, scope_for(chief))["tickets"] == 4
    team = team_named("Bahn").id
    assert metrics.summary(PERIOD, scope_for(chief, team_id=team))["tickets"] == 2


def test_a_ticket_changed_after_the_fact_is_counted_anew(data, make_person):
    from desk.inbox.service import update

    boss = make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,))
    update(boss, data.ids["T2"], status=Status.RESOLVED)
    update(boss, data.ids["T1"], status=Status.OPEN)  # reopened weeks later, say
    refresh_changed()
    summary = metrics.summary(PERIOD, ALL)
    assert summary["resolved"] == 1  # T2 now, T1 no longer
    assert summary["reopened"] == 2  # T4, and now T1
    assert metrics.reopens(PERIOD, ALL)[0] == {"day": "2026-11-20", "resolved": 1,
                                               "reopened": 1, "reopen_rate": 1.0}
    refresh_changed()  # running again changes nothing
    assert metrics.summary(PERIOD, ALL) == summary


def test_period_over_period():
    assert PERIOD.previous() == Period(date(2026, 11, 16), date(2026, 11, 19))


def test_a_customer_writing_again_after_resolution_counts_as_a_reopen(app, client,
                                                                      make_channel, make_person):
    from desk.inbox.service import update
    from desk.reports.service import desk_today
    from tests.test_intake import complaint, post

    make_channel()
    assert post(client, complaint("r-1", thread_id="th-1")).status_code == 202
    boss = make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,))
    with app.app_context():
        ticket_id = db.session.scalar(db.select(Ticket.id))
        update(boss, ticket_id, status=Status.RESOLVED)
        refresh_changed()
        today = Period(desk_today(), desk_today())
        assert metrics.summary(today, ALL)["reopened"] == 0
    assert post(client, complaint("r-2", thread_id="th-1")).status_code == 202
    with app.app_context():
        refresh_changed()
        summary = metrics.summary(today, ALL)
        assert (summary["tickets"], summary["resolved"], summary["reopened"]) == (1, 0, 1)
        assert summary["reopen_rate"] == 1.0


def test_a_new_ticket_with_a_back_dated_update_time_is_still_counted(data):
    # The watermark is now at the rollup's last run; an import writes an old ticket.
    report_data.add_ticket("x", berlin(22, 10), team="Bahn")
    db.session.commit()
    assert refresh_changed(now=berlin(24, 13)) >= 1
    assert metrics.summary(PERIOD, ALL)["tickets"] == 5
    assert refresh_changed(now=berlin(24, 14)) >= 0
    assert metrics.summary(PERIOD, ALL)["tickets"] == 5

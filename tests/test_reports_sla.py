"""SLA compliance in the reports is what the SLA clocks recorded: hand-built clocks.

Each ticket is driven step by step through desk.sla.clocks.recompute() at given
moments (as the status, reply and intake hooks call it), on the report tests'
policy: first response 60, next response 120, resolution 480 business minutes,
Mon-Fri 09:00-17:00 Europe/Berlin, paused while `pending`.
"""

from datetime import date, datetime

import pytest

from desk.commits import commit
from desk.extensions import db
from desk.models import (
    ClockOutcome,
    Message,
    MessageKind,
    ReportTicketFact,
    Status,
    Ticket,
    TicketSla,
)
from desk.reports import metrics
from desk.reports.periods import Period, Scope
from desk.reports.rollups import refresh_changed
from desk.sla.clocks import recompute
from desk.sla.status import outcomes_json, sla_json
from tests import report_data
from tests.report_data import add_ticket, berlin

WEEK = Period(date(2026, 11, 16), date(2026, 11, 30))
ALL = Scope()


@pytest.fixture
def policy(app, ctx, make_person):
    return report_data.sla_policy(make_person)


def step(ticket_id: int, now: datetime, **values) -> TicketSla:
    """Change the ticket as of `now` (a reply when first_response_at or reply_at is given)
    and recompute its clocks, as the services do in the same transaction."""
    ticket = db.session.get(Ticket, ticket_id)
    reply_at = values.pop("reply_at", None) or values.get("first_response_at")
    inbound_at = values.pop("inbound_at", None)
    for name, value in values.items():
        setattr(ticket, name, value)
    for kind, at in ((MessageKind.REPLY, reply_at), (MessageKind.INBOUND, inbound_at)):
        if at is not None:
            db.session.add(Message(ticket_id=ticket.id, channel_id=ticket.channel_id, kind=kind,
                                   body_html="<p>.</p>", body_text=".", created_at=at))
    ticket.updated_at = now
    db.session.flush()
    row = recompute(ticket, now)
    commit()
    return row


def fact(ticket_id: int) -> ReportTicketFact:
    return db.session.get(ReportTicketFact, ticket_id, populate_existing=True)


def clocks_report() -> dict[str, dict]:
    return {row["clock"]: row for row in metrics.sla(WEEK, ALL)}


def test_a_pause_over_the_weekend_moves_the_first_response_target(policy):
    # Fri 16:00 in; pending (paused) 16:30 until Mon 10:00: 30 + 60 business minutes
    # paused, so the target moves from Fri 17:00 to Mon 10:30.
    ticket_id = add_ticket("x", berlin(20, 16))
    step(ticket_id, berlin(20, 16))
    step(ticket_id, berlin(20, 16, 30), status=Status.PENDING)
    # While paused, past the original due time: neither the badge nor the report breaches.
    refresh_changed(now=berlin(21, 12))
    assert sla_json(db.session.get(TicketSla, ticket_id), berlin(21, 12))["breached"] == []
    assert fact(ticket_id).sla_first_response == "running"
    assert clocks_report()["first_response"]["breached"] == 0
    row = step(ticket_id, berlin(23, 10), status=Status.OPEN)
    assert row.first_response_due_at == berlin(23, 10, 30)
    row = step(ticket_id, berlin(23, 10, 15), first_response_at=berlin(23, 10, 15))
    assert row.first_response_outcome == ClockOutcome.MET
    refresh_changed(now=berlin(23, 11))
    assert fact(ticket_id).sla_first_response == "met"
    assert clocks_report()["first_response"] == {
        "clock": "first_response", "met": 1, "breached": 0, "compliance": 1.0}


def test_without_the_pause_the_same_reply_breaches(policy):
    ticket_id = add_ticket("x", berlin(20, 16))
    step(ticket_id, berlin(20, 16))
    row = step(ticket_id, berlin(23, 10, 15), first_response_at=berlin(23, 10, 15))
    assert row.first_response_outcome == ClockOutcome.BREACHED
    refresh_changed(now=berlin(23, 11))
    assert clocks_report()["first_response"]["breached"] == 1


def test_business_hours_over_a_weekend(policy):
    # Saturday noon: the hour of business time is Monday 09:00-10:00.
    early = add_ticket("x", berlin(21, 12))
    late = add_ticket("form", berlin(21, 13))
    assert step(early, berlin(21, 12)).first_response_due_at == berlin(23, 10)
    step(late, berlin(21, 13))
    assert step(early, berlin(23, 9, 59), first_response_at=berlin(23, 9, 59)) \
        .first_response_outcome == ClockOutcome.MET  # 45 h 59 min of wall time
    assert step(late, berlin(23, 10), first_response_at=berlin(23, 10)) \
        .first_response_outcome == ClockOutcome.BREACHED  # at the due minute: late
    refresh_changed(now=berlin(23, 12))
    assert clocks_report()["first_response"]["compliance"] == 0.5


def test_next_response_is_counted_per_exchange(policy):
    ticket_id = add_ticket("x", berlin(23, 9))
    step(ticket_id, berlin(23, 9))
    step(ticket_id, berlin(23, 9, 30), first_response_at=berlin(23, 9, 30))
    # The customer writes again at 11:00: answer due by 13:00; answered 14:00, breached.
    assert step(ticket_id, berlin(23, 11), inbound_at=berlin(23, 11)) \
        .next_response_due_at == berlin(23, 13)
    step(ticket_id, berlin(23, 14), reply_at=berlin(23, 14))
    # Again at 15:00, answered 15:30: met. Then once more at 16:00, still waiting.
    step(ticket_id, berlin(23, 15), inbound_at=berlin(23, 15))
    step(ticket_id, berlin(23, 15, 30), reply_at=berlin(23, 15, 30))
    row = step(ticket_id, berlin(23, 16), inbound_at=berlin(23, 16))
    assert (row.next_response_met, row.next_response_breached) == (1, 1)
    # Recomputing again (the sweep, another change) counts nothing twice.
    step(ticket_id, berlin(23, 16, 30))
    refresh_changed(now=berlin(23, 16, 45))
    assert clocks_report()["next_response"] == {
        "clock": "next_response", "met": 1, "breached": 1, "compliance": 0.5}
    # 16:00 + 120 business minutes = Tue 10:00: past it, the waiting customer counts.
    refresh_changed(now=berlin(24, 10, 1))
    assert clocks_report()["next_response"]["breached"] == 2
    assert outcomes_json(db.session.get(TicketSla, ticket_id), berlin(24, 10, 1))[
        "next_response"] == {"met": 1, "breached": 2}


def test_a_reopened_ticket_runs_its_resolution_clock_again(policy):
    ticket_id = add_ticket("x", berlin(23, 9))
    step(ticket_id, berlin(23, 9))
    step(ticket_id, berlin(23, 9, 10), first_response_at=berlin(23, 9, 10))
    row = step(ticket_id, berlin(23, 12), status=Status.RESOLVED, resolved_at=berlin(23, 12))
    assert row.resolution_outcome == ClockOutcome.MET
    refresh_changed(now=berlin(23, 12, 5))
    assert clocks_report()["resolution"]["met"] == 1
    # Reopened: running again (due Tue 09:00 as before); resolved again Tue 11:00: late.
    row = step(ticket_id, berlin(23, 14), status=Status.OPEN, resolved_at=None)
    assert row.resolution_outcome is None
    row = step(ticket_id, berlin(24, 11), status=Status.RESOLVED, resolved_at=berlin(24, 11))
    assert row.resolution_outcome == ClockOutcome.BREACHED
    # The first response stays as it was recorded.
    assert row.first_response_outcome == ClockOutcome.MET
    refresh_changed(now=berlin(24, 12))
    assert clocks_report()["resolution"] == {
        "clock": "resolution", "met": 0, "breached": 1, "compliance": 0.0}


def test_spam_and_tickets_without_a_policy_count_nowhere(app, ctx, make_person):
    from desk.models import Priority

    report_data.sla_policy(make_person, priority="urgent")
    ticket_id = add_ticket("x", berlin(23, 9))
    step(ticket_id, berlin(23, 9))  # a normal ticket: no policy matches, no clock
    spam = add_ticket("x", berlin(23, 9, 30), priority=Priority.URGENT)
    step(spam, berlin(23, 9, 30))
    step(spam, berlin(23, 12), status=Status.SPAM)
    refresh_changed(now=berlin(23, 12))
    assert all(row["met"] == row["breached"] == 0 for row in metrics.sla(WEEK, ALL))
    assert fact(ticket_id).sla_first_response is None


def test_the_report_counts_what_each_ticket_shows(app, make_person, api_as):
    """For every ticket of the report dataset: the API's SLA outcomes (what the badge and
    panel read) are the report facts, one by one."""
    from desk.models import Role
    from desk.sla import status

    with app.app_context():
        data = report_data.build(make_person)
        now = berlin(24, 12)
        refresh_changed(now=now)
        expected = {}
        for name, ticket_id in data.ids.items():
            shown = status.outcomes_json(db.session.get(TicketSla, ticket_id), now)
            counted = fact(ticket_id)
            expected[name] = shown
            assert (shown["first_response"], shown["resolution"]) == (
                counted.sla_first_response, counted.sla_resolution), name
            assert shown["next_response"] == {"met": counted.sla_next_met,
                                              "breached": counted.sla_next_breached}, name
    assert expected["T1"]["first_response"] == "breached"
    assert expected["T1"]["resolution"] == "met"
    assert expected["T5"] == {"first_response": None, "resolution": None,
                              "next_response": {"met": 0, "breached": 0}}
    # And the ticket API carries the same outcomes.
    lead = make_person("boss@example.com", "Boss", roles=(Role.SUPERVISOR,))
    response = api_as(lead).get(f"/tickets/{data.ids['T1']}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["sla"]["outcomes"]["resolution"] == "met"
    assert body["sla"]["outcomes"]["first_response"] == "breached"


def test_an_outcome_settled_without_a_ticket_change_reaches_the_report(policy):
    # Answered in time, but its clocks were last recomputed before the reply was known
    # (as for tickets older than the outcomes, or when a policy is added later).
    ticket_id = add_ticket("x", berlin(23, 9), first_response_at=berlin(23, 9, 20))
    refresh_changed(now=berlin(23, 9, 30))
    assert fact(ticket_id).sla_first_response is None  # no clock known yet
    # A recompute outside any ticket change (the sweep, recompute_all): updated_at stays.
    recompute(db.session.get(Ticket, ticket_id), berlin(23, 10))
    commit()
    assert db.session.get(Ticket, ticket_id).updated_at == berlin(23, 9)
    refresh_changed(now=berlin(23, 10, 1))
    assert fact(ticket_id).sla_first_response == "met"
    assert clocks_report()["first_response"]["met"] == 1

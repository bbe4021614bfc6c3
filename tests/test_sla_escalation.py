"""The escalation sweep: warnings, breach levels, uniqueness under repeated and racing sweeps."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from desk import events
from desk.extensions import db
from desk.models import Escalation, EscalationKind, Priority, Role, SlaPolicy, TicketSla, utcnow
from desk.sla.escalation import sweep
from tests.sla_helpers import ALWAYS, berlin, clocks, escalations, make_policy, start_clocks

START = berlin(2026, 11, 24, 10, 0)


@pytest.fixture
def heard():
    """Every escalation.raised signal sent during the test."""
    got: list[dict] = []
    lock = threading.Lock()

    def listen(sender=None, **facts):
        with lock:
            got.append(facts)

    events.escalation_raised.connect(listen, weak=False)
    yield got
    events.escalation_raised.disconnect(listen)


@pytest.fixture
def supervisor(make_person):
    return make_person(email="sup@example.com", name="Susi Supervisor",
                       roles=(Role.SUPERVISOR,))


def run_sweep(app, at):
    with app.app_context():
        report = sweep(at)
        db.session.remove()
        return report


@time_machine.travel(START, tick=False)
def test_warning_then_breach_levels_raise_level_and_priority(app, make_ticket, supervisor,
                                                             heard):
    make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=60,
                resolution_minutes=10_000, warn_share=0.8, repeat_minutes=60, max_level=3)
    ticket = start_clocks(app, make_ticket())
    assert run_sweep(app, START + timedelta(minutes=47)).raised == []
    report = run_sweep(app, START + timedelta(minutes=48))
    assert report.raised == [f"ticket {ticket.id}: warning first_response level 0"]
    loaded, row = clocks(app, ticket.id)
    assert loaded.escalation_level == 0 and loaded.priority == Priority.NORMAL
    assert row.check_at == START + timedelta(minutes=60)

    run_sweep(app, START + timedelta(minutes=61))
    loaded, _ = clocks(app, ticket.id)
    assert loaded.escalation_level == 1 and loaded.priority == Priority.HIGH
    run_sweep(app, START + timedelta(minutes=125))
    loaded, row = clocks(app, ticket.id)
    assert loaded.escalation_level == 2 and loaded.priority == Priority.URGENT
    assert [(e.kind, e.level) for e in escalations(app, ticket.id)] == [
        (EscalationKind.WARNING, 0), (EscalationKind.BREACH, 1), (EscalationKind.BREACH, 2)]
    assert [facts["level"] for facts in heard] == [0, 1, 2]
    assert heard[1]["reason"] == "first response breached"


@time_machine.travel(START, tick=False)
def test_a_late_sweep_raises_every_missed_level_once(app, make_ticket, supervisor, heard):
    make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=60,
                resolution_minutes=10_000, repeat_minutes=30, max_level=3)
    ticket = start_clocks(app, make_ticket())
    run_sweep(app, START + timedelta(hours=5))
    run_sweep(app, START + timedelta(hours=5))
    assert [e.level for e in escalations(app, ticket.id)] == [0, 1, 2, 3]
    assert len(heard) == 4
    _, row = clocks(app, ticket.id)
    # Only the resolution clock has something left: its warning.
    assert row.check_at == START + timedelta(minutes=8000)


@time_machine.travel(START, tick=False)
def test_concurrent_sweeps_notify_each_escalation_once(app, make_ticket, supervisor, heard):
    make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=60,
                resolution_minutes=10_000, max_level=2)
    tickets = [start_clocks(app, make_ticket(handle=f"@k{n}")) for n in range(4)]
    at = START + timedelta(hours=3)
    errors = []
    barrier = threading.Barrier(4)

    def race():
        try:
            barrier.wait()
            run_sweep(app, at)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = escalations(app)
    assert len(rows) == len(tickets) * 3  # warning, level 1, level 2 for each ticket
    assert len({(e.ticket_id, e.clock, e.level) for e in rows}) == len(rows)
    assert len(heard) == len(rows)
    for ticket in tickets:
        loaded, _ = clocks(app, ticket.id)
        assert loaded.escalation_level == 2
        assert loaded.priority == Priority.URGENT  # raised twice, not eight times


@time_machine.travel(START, tick=False)
def test_the_database_refuses_a_second_identical_escalation(app, make_ticket, supervisor):
    policy_id = make_policy(app, supervisor, calendar=ALWAYS)
    ticket = start_clocks(app, make_ticket())
    with app.app_context():
        row = {"ticket_id": ticket.id, "policy_id": policy_id, "clock": "first_response",
               "clock_started_at": START, "level": 1, "kind": EscalationKind.BREACH,
               "reason": "x", "created_at": utcnow()}
        db.session.add(Escalation(**row))
        db.session.commit()
        db.session.add(Escalation(**row))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


@time_machine.travel(START, tick=False)
def test_one_broken_ticket_never_stops_the_sweep(app, make_ticket, make_channel, supervisor):
    make_channel(slug="broken")
    broken_policy = make_policy(app, supervisor, name="Broken", channel="broken",
                                calendar=ALWAYS)
    make_policy(app, supervisor, name="Fine", calendar=ALWAYS)
    broken = start_clocks(app, make_ticket(channel="broken", handle="@b"))
    fine = start_clocks(app, make_ticket(handle="@f"))
    with app.app_context():
        # A calendar that went bad in the database (no validation ran on it).
        db.session.execute(sa.update(SlaPolicy).where(SlaPolicy.id == broken_policy)
                           .values(calendar={"hours": 5}, updated_at=utcnow() +
                                   timedelta(seconds=1)))
        db.session.commit()
    report = run_sweep(app, START + timedelta(hours=2))
    assert len(report.failed) == 1 and f"ticket {broken.id}" in report.failed[0]
    assert any(f"ticket {fine.id}: breach first_response level 1" == line
               for line in report.raised)
    _, row = clocks(app, broken.id)
    assert row.check_at is None  # parked until its next change, not retried every minute


@time_machine.travel(START, tick=False)
def test_paused_tickets_do_not_escalate(app, make_ticket, supervisor):
    from desk.inbox.service import update
    from desk.models import Status

    make_policy(app, supervisor, calendar=ALWAYS)
    ticket = start_clocks(app, make_ticket())
    with app.app_context():
        update(supervisor, ticket.id, status=Status.PENDING)
    assert run_sweep(app, START + timedelta(hours=5)).checked == 0
    assert escalations(app) == []


def test_the_sweep_reads_only_due_rows(app, make_ticket, supervisor):
    make_policy(app, supervisor, calendar=ALWAYS)
    for n in range(3):
        start_clocks(app, make_ticket(handle=f"@k{n}"))
    with app.app_context():
        first = db.session.scalar(sa.select(sa.func.min(TicketSla.check_at)))
    report = run_sweep(app, first - timedelta(seconds=1))
    assert report.checked == 0


@time_machine.travel(START, tick=False)
def test_manual_escalation_acknowledge_and_de_escalate(app, make_ticket, make_person, api_as,
                                                        supervisor, heard):
    agent = make_person()
    ticket = start_clocks(app, make_ticket())
    api = api_as(agent)
    refused = api.post(f"/tickets/{ticket.id}/escalate", {"reason": ""})
    assert refused.status_code == 422
    response = api.post(f"/tickets/{ticket.id}/escalate", {"reason": "Journalist fragt an"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["level"] == 1
    assert heard[0]["kind"] == "manual" and heard[0]["reason"] == "Journalist fragt an"
    assert api.post(f"/tickets/{ticket.id}/escalation/acknowledge", {}).status_code == 403
    body = api_as(supervisor).get(f"/tickets/{ticket.id}").get_json()
    assert body["escalation_level"] == 1
    done = api_as(supervisor).post(f"/tickets/{ticket.id}/escalation/acknowledge",
                                   {"de_escalate": True})
    assert done.get_json() == {"de_escalate": True, "level": 0}
    [row] = escalations(app, ticket.id)
    assert row.acknowledged_at is not None


@time_machine.travel(START, tick=False)
def test_flask_desk_sweep_prints_what_it_did(app, runner, make_ticket, supervisor):
    make_policy(app, supervisor, calendar=ALWAYS)
    ticket = start_clocks(app, make_ticket())
    result = runner.invoke(args=["desk", "sweep", "--at",
                                 (START + timedelta(minutes=90)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "checked 1 tickets, raised 2 escalations, 0 failed" in result.output
    assert f"ticket {ticket.id}: breach first_response level 1" in result.output
    bad = runner.invoke(args=["desk", "sweep", "--at", "yesterday"])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1


@time_machine.travel(START, tick=False)
def test_an_event_that_makes_a_clock_due_escalates_at_once(app, make_ticket, supervisor,
                                                           heard):
    from desk.inbox.service import update

    make_policy(app, supervisor, name="Urgent", priority="urgent", calendar=ALWAYS,
                first_response_minutes=15)
    make_policy(app, supervisor, name="Rest", calendar=ALWAYS, first_response_minutes=600)
    ticket = start_clocks(app, make_ticket())
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        with app.app_context():
            update(supervisor, ticket.id, priority=Priority.URGENT)
    # No sweep ran: the change itself made the first response overdue under "Urgent".
    assert [(e.kind, e.level) for e in escalations(app, ticket.id)] == [
        (EscalationKind.WARNING, 0), (EscalationKind.BREACH, 1)]
    loaded, _ = clocks(app, ticket.id)
    assert loaded.escalation_level == 1


@time_machine.travel(START, tick=False)
def test_a_policy_may_reassign_from_level_two(app, make_ticket, make_person, supervisor):
    boss = make_person(email="boss@example.com", name="Bea Boss", roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=60, repeat_minutes=30,
                escalate_to=boss.email, reassign=True)
    ticket = start_clocks(app, make_ticket())
    run_sweep(app, START + timedelta(minutes=61))
    loaded, _ = clocks(app, ticket.id)
    assert loaded.assignee_id is None and loaded.escalation_level == 1
    run_sweep(app, START + timedelta(minutes=91))
    loaded, _ = clocks(app, ticket.id)
    assert loaded.assignee_id == boss.id and loaded.escalation_level == 2
    assert {e.notify_id for e in escalations(app, ticket.id)} == {boss.id}


@time_machine.travel(START, tick=False)
def test_due_tickets_are_written_in_bulk_not_one_by_one(app, make_ticket, supervisor, heard,
                                                        caplog):
    from desk.models import AuditEvent, Ticket

    make_policy(app, supervisor, calendar=ALWAYS, first_response_minutes=60,
                resolution_minutes=10_000, max_level=1)
    tickets = [start_clocks(app, make_ticket(handle=f"@k{n}")) for n in range(5)]
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split()[0] in ("INSERT", "UPDATE"):
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with caplog.at_level("WARNING", logger="desk.sla.sweep"):
            report = run_sweep(app, START + timedelta(minutes=61))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert "fell back" not in caplog.text
    assert len(report.raised) == 10 and len(heard) == 10  # a warning and level 1 each
    # Escalations, ticket levels, audit entries, next checks: one statement each for all.
    assert len(writes) == 4, writes
    with app.app_context():
        for ticket in tickets:
            loaded = db.session.get(Ticket, ticket.id)
            assert (loaded.escalation_level, loaded.priority) == (1, Priority.HIGH)
            assert loaded.version == ticket.version + 1
            # Only the resolution clock's warning is left.
            assert db.session.get(TicketSla, ticket.id).check_at == START + timedelta(
                minutes=8000)
        entries = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "ticket.escalated")).all()
        assert sorted(entry.ticket_id for entry in entries) == [t.id for t in tickets]
        assert {(entry.data["level"], entry.data["priority"]) for entry in entries} == {
            (1, "high")}
        assert all(entry.created_at == START + timedelta(minutes=61) for entry in entries)

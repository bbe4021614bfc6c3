"""Pauses and the next-response clock: each clock counts the pauses since its own start.

Office hours (Berlin, Mon-Fri 09:00-17:00), next response 120 business minutes,
resolution 480, clocks pause in `pending`. Thursday 26 and Friday 27 November
2026 are working days, Monday 30 November too.
"""

import time_machine

from desk.models import Role, Status
from desk.sla.escalation import sweep
from tests.sla_helpers import berlin, clocks, escalations, make_policy, only_ticket_id, post_intake


def at(moment, action):
    with time_machine.travel(moment, tick=False):
        return action()


def test_a_pause_in_the_middle_shifts_next_response_by_the_paused_business_minutes(
        app, client, make_person, make_channel):
    from desk.inbox.service import update
    from desk.replies.service import add_reply

    make_channel()
    agent = make_person()
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor)

    def reply(text):
        with app.app_context():
            add_reply(agent, ticket_id, text)

    def set_status(status):
        with app.app_context():
            update(supervisor, ticket_id, status=status)

    at(berlin(2026, 11, 26, 10, 0), lambda: post_intake(client, "m-1", "Mein Login geht nicht.",
                                                        thread_id="th"))
    ticket_id = only_ticket_id(app)
    at(berlin(2026, 11, 26, 10, 30), lambda: reply("Wir schauen nach."))
    at(berlin(2026, 11, 26, 14, 0), lambda: post_intake(client, "m-2", "Immer noch nicht.",
                                                        thread_id="th"))
    _, row = clocks(app, ticket_id)
    assert row.next_response_due_at == berlin(2026, 11, 26, 16, 0)

    # Pending on Thursday at 15:00, after 60 of the 120 minutes, until Monday 10:00:
    # Thursday 15-17, Friday 9-17 and Monday 9-10 are 660 business minutes paused.
    at(berlin(2026, 11, 26, 15, 0), lambda: set_status(Status.PENDING))
    ticket, row = clocks(app, ticket_id)
    assert row.paused_at is not None and ticket.due_at is None
    at(berlin(2026, 11, 30, 10, 0), lambda: set_status(Status.OPEN))
    ticket, row = clocks(app, ticket_id)
    assert row.paused_at is None
    assert row.paused_minutes == row.next_response_paused_minutes == 660
    # The 60 minutes left run from Monday 10:00, not a breach since Thursday 16:00.
    assert row.next_response_due_at == berlin(2026, 11, 30, 11, 0)
    # Resolution (from Thursday 10:00) shifts by the same pause: 480 + 660 minutes.
    assert row.resolution_due_at == berlin(2026, 11, 30, 13, 0)
    assert ticket.due_at == row.next_response_due_at

    # The sweep warns at 80 % of the shifted clock (96 + 660 minutes: Monday 10:36)
    # and breaches at its due time, and not before.
    with app.app_context():
        assert sweep(berlin(2026, 11, 30, 10, 30)).raised == []
    with app.app_context():
        lines = sweep(berlin(2026, 11, 30, 10, 37)).raised
    assert lines == [f"ticket {ticket_id}: warning next_response level 0"]
    with app.app_context():
        lines = sweep(berlin(2026, 11, 30, 11, 1)).raised
    assert lines == [f"ticket {ticket_id}: breach next_response level 1"]
    assert [(e.clock, e.level, e.clock_started_at) for e in escalations(app, ticket_id)] == [
        ("next_response", 0, berlin(2026, 11, 26, 14, 0)),
        ("next_response", 1, berlin(2026, 11, 26, 14, 0))]

    # Our reply stops the clock; the next customer message starts it afresh, with none
    # of the earlier pause.
    at(berlin(2026, 11, 30, 11, 30), lambda: reply("Bitte Cache leeren."))
    _, row = clocks(app, ticket_id)
    assert row.next_response_due_at is None and row.next_response_started_at is None
    at(berlin(2026, 11, 30, 12, 0), lambda: post_intake(client, "m-3", "Jetzt klappt es nicht.",
                                                        thread_id="th"))
    _, row = clocks(app, ticket_id)
    assert row.next_response_started_at == berlin(2026, 11, 30, 12, 0)
    assert row.next_response_paused_minutes == 0 and row.paused_minutes == 660
    assert row.next_response_due_at == berlin(2026, 11, 30, 14, 0)


def test_a_pause_on_us_waiting_for_the_customer_does_not_shift_their_next_response(
        app, client, make_person, make_channel):
    from desk.inbox.service import update
    from desk.replies.service import add_reply

    make_channel()
    agent = make_person()
    supervisor = make_person(email="sup@example.com", roles=(Role.SUPERVISOR,))
    make_policy(app, supervisor)
    at(berlin(2026, 11, 26, 10, 0), lambda: post_intake(client, "m-1", "Rechnung falsch.",
                                                        thread_id="th"))
    ticket_id = only_ticket_id(app)

    def answer_and_wait():
        with app.app_context():
            add_reply(agent, ticket_id, "Welche Rechnungsnummer?")
        with app.app_context():
            update(supervisor, ticket_id, status=Status.PENDING)

    at(berlin(2026, 11, 26, 15, 0), answer_and_wait)
    # The customer answers on Monday at 09:30; intake takes it at 10:00 and reopens the
    # ticket. Their clock runs from 09:30: the pause ended with their message.
    at(berlin(2026, 11, 30, 10, 0), lambda: post_intake(
        client, "m-2", "Nummer 4711.", thread_id="th",
        created_at=berlin(2026, 11, 30, 9, 30).isoformat()))
    ticket, row = clocks(app, ticket_id)
    assert ticket.status == Status.OPEN and row.paused_at is None
    assert row.next_response_started_at == berlin(2026, 11, 30, 9, 30)
    assert row.next_response_paused_minutes == 0
    assert row.next_response_due_at == berlin(2026, 11, 30, 11, 30)
    # Resolution runs since Thursday: the whole pause (120 + 480 + 60 minutes) counts.
    assert row.paused_minutes == 660

"""Auto-assignment rules, on a frozen clock: who gets which ticket, and when."""

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from desk.assignment import auto, rules, timers
from desk.extensions import db
from desk.models import Channel, Contact, Person, Presence, Role, Status, Ticket
from tests.assignment_helpers import (
    T0,
    actions,
    assignee_of,
    assignees,
    present,
    set_rule,
    team_id,
)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def crew(app, ctx, clock, make_person):
    """Three agents in team Care, in id order: Anna, Ben, Cleo."""
    people = [make_person(email=f"{name.lower()}@example.com", name=name, teams=("Care",))
              for name in ("Anna", "Ben", "Cleo")]
    return people


_contacts = itertools.count()


def tickets(make_ticket, count, clock=None, **kwargs):
    """New tickets of Care, each from a new contact (so continuity plays no part)."""
    made = []
    for n in range(count):
        made.append(make_ticket(subject=f"Frage {n}", team="Care",
                                handle=f"@kunde{next(_contacts)}", **kwargs))
        if clock is not None:
            clock.shift(timedelta(seconds=1))
    return made


def ids(people):
    return [person.id for person in people]


def test_round_robin_gives_each_present_agent_one_in_turn(crew, make_ticket):
    set_rule(mode="round_robin", capacity=10)
    present(*crew)
    waiting = tickets(make_ticket, 7)

    assert auto.drain(team_id()) == 7
    anna, ben, cleo = ids(crew)
    assert assignees(waiting) == [anna, ben, cleo, anna, ben, cleo, anna]
    # The turn carries over to the next drain.
    later = tickets(make_ticket, 2)
    auto.drain(team_id())
    assert assignees(later) == [ben, cleo]
    assert actions(waiting[0]) == ["ticket.auto_assigned"]


def test_least_loaded_picks_who_holds_fewest(crew, make_ticket):
    anna, ben, cleo = crew
    set_rule(mode="least_loaded", capacity=10)
    for holder, count in ((anna, 3), (ben, 1), (cleo, 2)):
        for n in range(count):
            make_ticket(team="Care", handle=f"@alt{holder.id}{n}", status=Status.OPEN,
                        assignee=holder)
    present(*crew)
    first, second, third = tickets(make_ticket, 3)
    auto.drain(team_id())
    # Ben 1 -> 2; then Ben and Cleo tie at 2 and Cleo's turn is older; then Ben.
    assert assignees([first, second, third]) == [ben.id, cleo.id, ben.id]


def test_nobody_gets_more_than_their_capacity(crew, make_ticket):
    anna, ben, cleo = crew
    set_rule(mode="round_robin", capacity=2)
    rules.set_capacity(_supervisor(), db.session.get(Person, anna.id), 1)  # Anna: part time
    present(anna, ben)
    waiting = tickets(make_ticket, 5)

    assert auto.drain(team_id()) == 3
    assert assignees(waiting) == [anna.id, ben.id, ben.id, None, None]


def test_only_present_agents_get_tickets(crew, make_ticket):
    anna, ben, cleo = crew
    set_rule(mode="round_robin")
    present(anna, cleo)  # Ben's desk is closed
    rules.set_chosen_status(db.session.get(Person, cleo.id), Presence.AWAY)  # Cleo: a break
    waiting = tickets(make_ticket, 3)

    auto.drain(team_id())
    assert assignees(waiting) == [anna.id] * 3


def test_chosen_online_does_not_make_a_closed_desk_present(crew, make_ticket):
    anna, ben, _ = crew
    set_rule(mode="round_robin")
    present(anna)
    assert rules.set_chosen_status(db.session.get(Person, ben.id),
                                   Presence.ONLINE) == Presence.OFFLINE
    waiting = tickets(make_ticket, 2)
    auto.drain(team_id())
    assert assignees(waiting) == [anna.id, anna.id]


def test_the_channel_owner_gets_first_pick_on_their_channel(crew, make_ticket, make_channel):
    anna, ben, cleo = crew
    set_rule(mode="round_robin")
    present(*crew)
    make_channel(slug="forum", team="Care")
    channel = db.session.scalar(sa.select(Channel).where(Channel.slug == "forum"))
    channel.owner_id = cleo.id
    db.session.commit()
    on_forum = tickets(make_ticket, 2, channel="forum")
    elsewhere = tickets(make_ticket, 1)

    auto.drain(team_id())
    assert assignees(on_forum) == [cleo.id, cleo.id]
    assert assignees(elsewhere) == [anna.id]


def test_a_returning_contact_goes_back_to_their_last_agent(crew, make_ticket, clock):
    anna, ben, cleo = crew
    set_rule(mode="round_robin")
    make_ticket(team="Care", handle="@stammkundin", status=Status.RESOLVED, assignee=ben)
    clock.shift(timedelta(days=2))
    present(*crew)
    back = make_ticket(team="Care", handle="@stammkundin")
    other = make_ticket(team="Care", handle="@neu")

    auto.drain(team_id())
    assert assignee_of(back) == ben.id
    assert assignee_of(other) == anna.id


def test_continuity_yields_when_the_last_agent_is_away(crew, make_ticket, clock):
    anna, ben, cleo = crew
    set_rule(mode="round_robin")
    make_ticket(team="Care", handle="@stammkundin", status=Status.RESOLVED, assignee=ben)
    present(anna, cleo)
    back = make_ticket(team="Care", handle="@stammkundin")
    auto.drain(team_id())
    assert assignee_of(back) == anna.id


def test_fair_limit_keeps_one_fast_agent_from_being_flooded(crew, make_ticket, clock):
    anna, ben, cleo = crew
    set_rule(mode="least_loaded", fair_limit=2, fair_window_minutes=60)
    for n in range(4):  # Ben is busy; Anna is free and would get everything
        make_ticket(team="Care", handle=f"@busy{n}", status=Status.OPEN, assignee=ben)
    present(anna, ben)
    waiting = tickets(make_ticket, 6)

    auto.drain(team_id())
    assert assignees(waiting) == [anna.id, anna.id, ben.id, ben.id, None, None]
    clock.shift(timedelta(minutes=61))  # a new window
    auto.drain(team_id())
    assert assignees(waiting)[4:] == [anna.id, anna.id]


def test_skills_channel_and_language(crew, make_ticket, make_channel):
    anna, ben, cleo = crew
    set_rule(mode="round_robin")
    present(anna, ben)
    sue = _supervisor()
    rules.set_skills(sue, db.session.get(Person, anna.id), ["de"], None)
    english = make_ticket(team="Care", handle="@tourist")
    contact = db.session.scalar(sa.select(Contact).where(Contact.handle == "@tourist"))
    contact.language = "en-GB"
    db.session.commit()
    german = tickets(make_ticket, 2)

    auto.drain(team_id())
    # Anna speaks only German; Ben takes the English one, then the turns go on.
    assert assignee_of(english) == ben.id
    assert assignees(german) == [anna.id, ben.id]


def _supervisor():
    from desk.auth.service import create_person

    return create_person("sue@example.com", "Sue Supervisor", [Role.SUPERVISOR], None)


def test_backlog_drains_oldest_first_when_capacity_frees(crew, make_ticket, clock):
    from desk.inbox.service import update

    anna, ben, cleo = crew
    set_rule(mode="round_robin", capacity=2)
    oldest, older, old, new = tickets(make_ticket, 4, clock)
    present(anna)  # coming online drains: the two oldest
    assert assignees([oldest, older, old, new]) == [anna.id, anna.id, None, None]

    update(db.session.get(Person, anna.id), oldest.id, status=Status.RESOLVED)
    assert assignees([old, new]) == [anna.id, None]  # the older waiting one first


def test_mode_off_assigns_nothing(crew, make_ticket):
    present(*crew)
    waiting = tickets(make_ticket, 2)
    assert auto.drain(team_id()) == 0
    set_rule(mode="round_robin")
    set_rule(mode="off")
    assert auto.drain(team_id()) == 0
    assert assignees(waiting) == [None, None]


def test_absent_agents_unanswered_tickets_return_after_the_grace_time(crew, make_ticket,
                                                                     clock):
    from desk.replies.service import add_reply

    anna, ben, cleo = crew
    set_rule(mode="round_robin", grace_minutes=10)
    present(anna)
    unanswered, answered = tickets(make_ticket, 2)
    assert assignees([unanswered, answered]) == [None, None]
    auto.drain(team_id())
    add_reply(db.session.get(Person, anna.id), answered.id, "Wir sind dran.")
    clock.shift(timedelta(minutes=1))
    present(anna, status=Presence.OFFLINE)  # closes the laptop

    clock.shift(timedelta(minutes=9))
    assert timers.return_from_absent() == []
    clock.shift(timedelta(minutes=2))
    assert timers.return_from_absent() == [unanswered.id]
    assert assignees([unanswered, answered]) == [None, anna.id]
    assert actions(unanswered)[-1] == "ticket.returned"

    present(ben)  # Ben comes online: the returned ticket goes to him
    assert assignee_of(unanswered) == ben.id


def test_a_chosen_away_counts_as_absent_too(crew, make_ticket, clock):
    anna, _, _ = crew
    set_rule(mode="round_robin", grace_minutes=5)
    present(anna)
    ticket = tickets(make_ticket, 1)[0]
    auto.drain(team_id())
    rules.set_chosen_status(db.session.get(Person, anna.id), Presence.AWAY)
    clock.shift(timedelta(minutes=6))
    assert timers.return_from_absent() == [ticket.id]


def test_response_timer_reassigns_to_the_next_agent(crew, make_ticket, clock):
    anna, ben, _ = crew
    set_rule(mode="round_robin", response_minutes=30,
             response_minutes_by_priority={"urgent": 5})
    present(anna, ben)
    ticket = tickets(make_ticket, 1)[0]
    auto.drain(team_id())
    assert assignee_of(ticket) == anna.id
    due = db.session.scalar(sa.select(Ticket.response_due_at).where(Ticket.id == ticket.id))
    assert due == T0 + timedelta(minutes=30)

    clock.shift(timedelta(minutes=29))
    assert timers.overdue_responses()["reassigned"] == []
    clock.shift(timedelta(minutes=2))
    assert timers.overdue_responses()["reassigned"] == [ticket.id]
    assert assignee_of(ticket) == ben.id
    assert actions(ticket)[-2:] == ["ticket.response_overdue", "ticket.auto_assigned"]


def test_response_timer_escalates_when_the_team_says_so(crew, make_ticket, clock):
    from desk.models import Priority

    anna, _, _ = crew
    set_rule(mode="round_robin", response_minutes=30, response_action="escalate",
             response_minutes_by_priority={"urgent": 5})
    present(anna)
    ticket = make_ticket(team="Care", priority=Priority.URGENT)
    auto.drain(team_id())
    clock.shift(timedelta(minutes=6))
    assert timers.overdue_responses()["escalated"] == [ticket.id]
    db.session.expire_all()
    row = db.session.get(Ticket, ticket.id)
    assert (row.escalation_level, row.assignee_id, row.response_due_at) == (1, anna.id, None)
    assert actions(ticket)[-1] == "ticket.escalated"
    # Recorded where every escalation lives, so "escalated to me" and the digest see it.
    from desk.models import Escalation, EscalationKind

    [escalation] = db.session.scalars(sa.select(Escalation)).all()
    assert (escalation.ticket_id, escalation.level, escalation.kind, escalation.clock) == (
        ticket.id, 1, EscalationKind.BREACH, "response")


def test_an_answer_in_time_stops_the_response_timer(crew, make_ticket, clock):
    from desk.replies.service import add_reply

    anna, ben, _ = crew
    set_rule(mode="round_robin", response_minutes=30)
    present(anna, ben)
    ticket = tickets(make_ticket, 1)[0]
    auto.drain(team_id())
    clock.shift(timedelta(minutes=10))
    add_reply(db.session.get(Person, anna.id), ticket.id, "Schon erledigt.")
    clock.shift(timedelta(minutes=30))
    assert timers.overdue_responses() == {"answered": [ticket.id], "reassigned": [],
                                          "escalated": []}
    assert assignee_of(ticket) == anna.id


def test_a_new_ticket_from_intake_is_assigned_after_commit(app, client, crew, make_channel):
    from tests.test_intake import complaint, post

    anna, ben, _ = crew
    make_channel(team="Care")
    set_rule(mode="round_robin")
    present(ben)
    response = post(client, complaint("auto-1"))
    assert response.status_code == 202
    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.assignee_id == ben.id
    assert actions(ticket)[-1] == "ticket.auto_assigned"


def test_a_drain_longer_than_one_batch_keeps_the_turns_and_the_timers(crew, make_ticket,
                                                                         clock):
    from desk.models import Priority

    set_rule(mode="round_robin", capacity=100, response_minutes=30,
             response_minutes_by_priority={"urgent": 5})
    present(*crew)
    count = auto.TAKE_BATCH + 20  # two transactions
    waiting = [make_ticket(subject=f"Frage {n}", team="Care", handle=f"@lang{n}",
                           priority=Priority.URGENT if n % 10 == 0 else Priority.NORMAL)
               for n in range(count)]

    assert auto.drain(team_id()) == count
    anna, ben, cleo = ids(crew)
    assert assignees(waiting) == [[anna, ben, cleo][n % 3] for n in range(count)]
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.status, Ticket.version, Ticket.priority,
                  Ticket.assigned_at, Ticket.response_due_at)
        .where(Ticket.id.in_([ticket.id for ticket in waiting]))).all()
    for row in rows:
        assert row.status == Status.OPEN and row.version == 2 and row.assigned_at == T0
        minutes = 5 if row.priority == Priority.URGENT else 30
        assert row.response_due_at == T0 + timedelta(minutes=minutes)
    assert all(actions(ticket) == ["ticket.auto_assigned"] for ticket in waiting[::37])
    # The turn after the drain is the next one in line.
    later = tickets(make_ticket, 1)
    auto.drain(team_id())
    assert assignees(later) == [[anna, ben, cleo][count % 3]]


def test_continuity_holds_inside_one_batch(crew, make_ticket, clock):
    anna, ben, cleo = crew
    set_rule(mode="round_robin")
    present(*crew)
    first = make_ticket(team="Care", handle="@zweimal")
    other = make_ticket(team="Care", handle="@einmal")
    second = make_ticket(team="Care", handle="@zweimal")

    auto.drain(team_id())
    assert assignees([first, other, second]) == [anna.id, ben.id, anna.id]


def test_continuity_looks_only_at_the_contacts_earlier_tickets(crew, make_ticket, clock):
    anna, ben, cleo = crew
    set_rule(mode="round_robin")
    present(*crew)
    make_ticket(team="Care", handle="@stammkundin", status=Status.RESOLVED, assignee=ben)
    clock.shift(timedelta(hours=1))
    waiting = make_ticket(team="Care", handle="@stammkundin")
    clock.shift(timedelta(hours=1))
    make_ticket(team="Care", handle="@stammkundin", status=Status.OPEN, assignee=cleo)
    auto.drain(team_id())
    assert assignee_of(waiting) == ben.id  # Ben had the one before it, not Cleo (later)

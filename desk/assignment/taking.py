"""Taking waiting tickets for chosen people without overfilling anyone: one transaction a batch.

The decision (`desk.assignment.auto`) plans who should get which tickets from what
it read a moment ago; by now someone may have claimed one, closed one, or filled a
person up. `take_many()` makes the plan safe in one short transaction:

1. lock the state row of every person in the plan, in person-id order (so two
   drains sharing people queue up instead of deadlocking);
2. count their open tickets once, under that lock, and drop the picks that would
   take anyone past their capacity or fair-distribution limit;
3. assign the rest with one conditional UPDATE (`WHERE assignee_id IS NULL`, still
   open, still this team's): a ticket taken meanwhile simply is not returned;
4. advance the round-robin and fairness counters, write the audit rows in one
   executemany, commit, and only then announce each assignment.

A ticket therefore never gets two assignees, and auto-assignment never fills a
person past their capacity, however many drains run at once.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from desk import audit, events
from desk.assignment.service import begin_write
from desk.commits import commit, send_after_commit
from desk.extensions import db
from desk.inbox.queue import OPEN_CONDITION
from desk.models import (
    OPEN_STATUSES,
    AgentState,
    AssignmentRule,
    Presence,
    Priority,
    Status,
    Ticket,
    utcnow,
)

if TYPE_CHECKING:
    from desk.assignment.auto import Candidate

# The open statuses as literals, so the partial indexes apply (see desk.inbox.queue).
IS_OPEN = OPEN_CONDITION


@dataclass
class Pick:
    """One planned assignment: this ticket to this person."""

    ticket_id: int
    person: "Candidate"


def open_loads(person_ids: Iterable[int]) -> dict[int, int]:
    """Open tickets held by each person (an index range per person, not a table scan)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Ticket.assignee_id, sa.func.count())
        .where(IS_OPEN, Ticket.assignee_id.in_(ids))
        .group_by(Ticket.assignee_id)
    )
    loads = dict.fromkeys(ids, 0)
    loads.update({person_id: count for person_id, count in rows})
    return loads


def window_open(state: AgentState, rule: AssignmentRule, now: datetime) -> bool:
    """The person's fair-distribution window (begun at their first take in it) still runs."""
    started = state.window_started_at
    return started is not None and now - started < timedelta(minutes=rule.fair_window_minutes)


def take_many(picks: list[Pick], rule: AssignmentRule, now: datetime,
              reason: str = "auto") -> list[int]:
    """Assign the picked tickets where they still fit; the ids assigned, in plan order.

    One transaction, committed here. Each Candidate in the plan leaves with its load,
    capacity, round-robin turn and fairness window as the database has them now, so
    the caller's next plan starts from the truth.
    """
    if not picks:
        return []
    begin_write()
    people = {pick.person.person_id: pick.person for pick in picks}
    states = lock_states(sorted(people))
    loads = open_loads(people)
    fitting = _fitting(picks, states, loads, rule, now)
    rows = _assign(fitting, rule) if fitting else []
    taken = {row.id: row.version for row in rows}
    kept = [pick for pick in fitting if pick.ticket_id in taken]
    if not kept:
        truth = _snapshot(states, loads, rule)
        db.session.rollback()
        _refresh(people, truth)
        return []
    _advance_counters(kept, states, rule, now)
    audit.record_many("ticket.auto_assigned", None, [
        (pick.ticket_id, {"old": None, "new": pick.person.person_id, "rule": rule.mode.value,
                          "reason": reason})
        for pick in kept])
    for pick in kept:
        send_after_commit(events.ticket_assigned, ticket_id=pick.ticket_id,
                          team_id=rule.team_id, assignee_id=pick.person.person_id,
                          version=taken[pick.ticket_id])
    for person_id, count in Counter(pick.person.person_id for pick in kept).items():
        loads[person_id] += count
    truth = _snapshot(states, loads, rule)  # read before the commit expires the rows
    commit()
    _refresh(people, truth)
    return [pick.ticket_id for pick in kept]


def lock_states(person_ids: list[int]) -> dict[int, AgentState]:
    """Lock the people's state rows for this transaction, in person-id order.

    A person without a row yet gets one (created in a savepoint: when a racing
    transaction creates it first, we wait for its lock like everyone else).
    """
    query = (sa.select(AgentState).where(AgentState.person_id.in_(person_ids))
             .order_by(AgentState.person_id).with_for_update()
             .execution_options(populate_existing=True))
    states = {state.person_id: state for state in db.session.scalars(query)}
    missing = [person_id for person_id in person_ids if person_id not in states]
    for person_id in missing:
        try:
            with db.session.begin_nested():
                db.session.add(AgentState(person_id=person_id, chosen_status=Presence.ONLINE,
                                          assign_seq=0, window_count=0))
        except sa.exc.IntegrityError:
            pass  # created meanwhile; the query below waits for its lock
    if missing:
        states = {state.person_id: state for state in db.session.scalars(query)}
    return states


def _fitting(picks: list[Pick], states: dict[int, AgentState], loads: dict[int, int],
             rule: AssignmentRule, now: datetime) -> list[Pick]:
    """The picks that keep every person within capacity and fair limit, in plan order."""
    room: dict[int, int] = {}
    for person_id, state in states.items():
        free = (state.capacity or rule.capacity) - loads[person_id]
        if rule.fair_limit:
            used = state.window_count if window_open(state, rule, now) else 0
            free = min(free, rule.fair_limit - used)
        room[person_id] = free
    fitting = []
    for pick in picks:
        person_id = pick.person.person_id
        if room[person_id] > 0:
            room[person_id] -= 1
            fitting.append(pick)
    return fitting


def _assign(picks: list[Pick], rule: AssignmentRule) -> list[sa.Row[Any]]:
    """One conditional UPDATE for the whole batch; the rows it really changed."""
    stamp = utcnow()
    status_type = Ticket.__table__.c.status.type
    statement = (
        sa.update(Ticket)
        .where(Ticket.id.in_([pick.ticket_id for pick in picks]),
               Ticket.assignee_id.is_(None), Ticket.team_id == rule.team_id,
               Ticket.status.in_(OPEN_STATUSES))
        .values(
            assignee_id=sa.case({pick.ticket_id: pick.person.person_id for pick in picks},
                                value=Ticket.id),
            assigned_at=stamp,
            response_due_at=_response_due(rule, stamp),
            status=sa.case((Ticket.status == Status.NEW, sa.literal(Status.OPEN, status_type)),
                           else_=Ticket.status),
            version=Ticket.version + 1,
            updated_at=stamp,
        )
        .returning(Ticket.id, Ticket.version)
        .execution_options(synchronize_session=False)
    )
    return list(db.session.execute(statement))


def _response_due(rule: AssignmentRule, since: datetime) -> sa.ColumnElement[Any]:
    """When the new assignee must have answered: the team's minutes for the priority."""
    due_type = Ticket.__table__.c.response_due_at.type

    def due(minutes: int | None) -> sa.ColumnElement[Any]:
        if not minutes:
            return sa.null()
        return sa.literal(since + timedelta(minutes=minutes), due_type)

    by_priority = rule.response_minutes_by_priority or {}
    if not by_priority:
        return due(rule.response_minutes)
    return sa.case(*[(Ticket.priority == Priority(key), due(minutes))
                     for key, minutes in by_priority.items()],
                   else_=due(rule.response_minutes))


def _advance_counters(kept: list[Pick], states: dict[int, AgentState], rule: AssignmentRule,
                      now: datetime) -> None:
    """Round-robin turns in the order given out; fairness windows begun or counted on."""
    seq = db.session.scalar(sa.select(sa.func.max(AgentState.assign_seq))) or 0
    for pick in kept:
        state = states[pick.person.person_id]
        seq += 1
        state.assign_seq = seq
        if window_open(state, rule, now):
            state.window_count += 1
        else:
            state.window_started_at = now
            state.window_count = 1


def _snapshot(states: dict[int, AgentState], loads: dict[int, int],
              rule: AssignmentRule) -> dict[int, dict[str, Any]]:
    return {person_id: {"load": loads[person_id],
                        "capacity": state.capacity or rule.capacity,
                        "assign_seq": state.assign_seq or 0,
                        "window_started_at": state.window_started_at,
                        "window_count": state.window_count or 0}
            for person_id, state in states.items()}


def _refresh(people: dict[int, "Candidate"], truth: dict[int, dict[str, Any]]) -> None:
    for person_id, person in people.items():
        for name, value in truth.get(person_id, {}).items():
            setattr(person, name, value)

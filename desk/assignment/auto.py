"""Auto-assignment: who of a team gets a ticket, and taking it without overfilling anyone.

The decision reads a handful of small things, never the ticket table as a whole:
the team's rule (one row), its present members with their state (at most a few
hundred rows), their open-ticket counts (one grouped count over the partial index
`ix_tickets_queue_assignee`, so it reads only tickets those people hold), and for
continuity the contact's previous ticket (`ix_tickets_contact_id`).

Who may get a ticket: members of the ticket's team holding the agent role, active,
present (live sockets say online and they did not choose away/offline), under their
capacity (own, else the team's), with the skills (channel, contact language), and
under the fair-distribution limit. Of those, in this order: the channel's owner; the
agent of the contact's previous ticket (continuity); then by the team's mode -
round robin (who got an automatic ticket longest ago) or least loaded (fewest open
tickets, ties by round robin).

A drain plans a batch of its oldest waiting tickets at a time (`plan()`, as if each
pick were already made) and hands the plan to `desk.assignment.taking.take_many()`,
which takes it in one short transaction under a lock on each person's state: two
deciders racing for one person or one ticket can neither overfill the person nor
both win the ticket.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from desk.assignment.rules import rule_for
from desk.assignment.taking import IS_OPEN, Pick, open_loads, take_many
from desk.extensions import db
from desk.models import (
    AgentState,
    AssignmentRule,
    AssignMode,
    Channel,
    Contact,
    Person,
    PersonRole,
    Presence,
    Role,
    Ticket,
    team_members,
    utcnow,
)

DRAIN_BATCH = 200  # backlog tickets read at a time
TAKE_BATCH = 100  # tickets handed out per transaction (the write lock is held that long)


@dataclass
class Candidate:
    person_id: int
    load: int
    capacity: int
    languages: list[str] | None
    channel_ids: list[int] | None
    assign_seq: int
    window_started_at: datetime | None
    window_count: int

    def has_room(self) -> bool:
        return self.load < self.capacity

    def under_fair_limit(self, rule: AssignmentRule, now: datetime) -> bool:
        if not rule.fair_limit:
            return True
        started = self.window_started_at
        if started is None or now - started >= timedelta(minutes=rule.fair_window_minutes):
            return True
        return self.window_count < rule.fair_limit

    def can_work(self, channel_id: int, language: str | None) -> bool:
        if self.channel_ids is not None and channel_id not in self.channel_ids:
            return False
        return not (language and self.languages is not None and language not in self.languages)


def candidates(team_id: int, rule: AssignmentRule) -> list[Candidate]:
    """The team's agents who are present now, with load, capacity and skills."""
    rows = db.session.execute(
        sa.select(Person.id, AgentState.capacity, AgentState.languages, AgentState.channel_ids,
                  AgentState.assign_seq, AgentState.window_started_at,
                  AgentState.window_count)
        .join(team_members, team_members.c.person_id == Person.id)
        .join(PersonRole, sa.and_(PersonRole.person_id == Person.id,
                                  PersonRole.role == Role.AGENT))
        .outerjoin(AgentState, AgentState.person_id == Person.id)
        .where(
            team_members.c.team_id == team_id,
            Person.is_active_account,
            Person.presence == Presence.ONLINE,
            sa.or_(AgentState.chosen_status.is_(None),
                   AgentState.chosen_status == Presence.ONLINE),
        )
    ).all()
    loads = open_loads(row.id for row in rows)
    return [
        Candidate(person_id=row.id, load=loads[row.id], capacity=row.capacity or rule.capacity,
                  languages=row.languages, channel_ids=row.channel_ids,
                  assign_seq=row.assign_seq or 0, window_started_at=row.window_started_at,
                  window_count=row.window_count or 0)
        for row in rows
    ]


@dataclass
class TicketFacts:
    """What the decision needs to know about a ticket."""

    id: int
    channel_id: int
    contact_id: int
    owner_id: int | None
    language: str | None
    created_at: datetime


def facts_of(ticket_ids: list[int]) -> list[TicketFacts]:
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.channel_id, Ticket.contact_id, Ticket.created_at,
                  Channel.owner_id, Channel.language.label("channel_language"),
                  Contact.language.label("contact_language"))
        .join(Channel, Channel.id == Ticket.channel_id)
        .join(Contact, Contact.id == Ticket.contact_id)
        .where(Ticket.id.in_(ticket_ids))
    ).all()
    by_id = {
        row.id: TicketFacts(row.id, row.channel_id, row.contact_id, row.owner_id,
                            _language(row.contact_language or row.channel_language),
                            row.created_at)
        for row in rows
    }
    return [by_id[ticket_id] for ticket_id in ticket_ids if ticket_id in by_id]


def _language(value: str | None) -> str | None:
    return value.lower()[:2] if value else None


def previous_agent(ticket: TicketFacts) -> int | None:
    """Who held the contact's most recent earlier ticket (continuity)."""
    return db.session.scalar(
        sa.select(Ticket.assignee_id)
        .where(Ticket.contact_id == ticket.contact_id, Ticket.id != ticket.id,
               Ticket.assignee_id.is_not(None), Ticket.created_at <= ticket.created_at)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )


def previous_agents(tickets: list[TicketFacts]) -> dict[int, int | None]:
    """previous_agent() for a batch of tickets, in one query for the usual case.

    Reads each contact's latest assigned ticket (`ix_tickets_contact_id`); only a
    ticket older than that one (rare: the backlog is the newest work) asks alone.
    """
    contact_ids = {ticket.contact_id for ticket in tickets}
    if not contact_ids:
        return {}
    ranked = (
        sa.select(Ticket.contact_id, Ticket.id, Ticket.created_at, Ticket.assignee_id,
                  sa.func.row_number().over(
                      partition_by=Ticket.contact_id,
                      order_by=(Ticket.created_at.desc(), Ticket.id.desc())).label("n"))
        .where(Ticket.contact_id.in_(contact_ids), Ticket.assignee_id.is_not(None))
        .subquery()
    )
    latest = {row.contact_id: row for row in db.session.execute(
        sa.select(ranked).where(ranked.c.n == 1))}
    found: dict[int, int | None] = {}
    for ticket in tickets:
        row = latest.get(ticket.contact_id)
        if row is None:
            found[ticket.id] = None
        elif row.id != ticket.id and row.created_at <= ticket.created_at:
            found[ticket.id] = row.assignee_id
        else:
            found[ticket.id] = previous_agent(ticket)
    return found


LOOK_UP = -1  # choose(previous=...): ask the database who held the contact's last ticket


def choose(ticket: TicketFacts, rule: AssignmentRule, people: list[Candidate], now: datetime,
           exclude: frozenset[int] = frozenset(),
           previous: int | None = LOOK_UP) -> Candidate | None:
    """The person who should get the ticket now, or None (nobody may take it).

    `previous`: who held (or was just planned for) the contact's previous ticket,
    when the caller knows it already; by default it is looked up.
    """
    if rule.mode == AssignMode.OFF:
        return None
    able = [
        person for person in people
        if person.person_id not in exclude and person.has_room()
        and person.can_work(ticket.channel_id, ticket.language)
        and person.under_fair_limit(rule, now)
    ]
    if not able:
        return None
    by_id = {person.person_id: person for person in able}
    if ticket.owner_id in by_id:
        return by_id[ticket.owner_id]
    if previous == LOOK_UP:
        previous = previous_agent(ticket)
    if previous in by_id:
        return by_id[previous]
    if rule.mode == AssignMode.LEAST_LOADED:
        return min(able, key=lambda p: (p.load, p.assign_seq, p.person_id))
    return min(able, key=lambda p: (p.assign_seq, p.person_id))


def decide(ticket_id: int, now: datetime | None = None,
           exclude: frozenset[int] = frozenset()) -> int | None:
    """Who should get this ticket now (a person id), without assigning it."""
    team_id = db.session.scalar(sa.select(Ticket.team_id).where(Ticket.id == ticket_id))
    if team_id is None:
        return None
    rule = rule_for(team_id)
    if rule.mode == AssignMode.OFF:
        return None
    facts = facts_of([ticket_id])
    chosen = choose(facts[0], rule, candidates(team_id, rule), now or utcnow(), exclude)
    return chosen.person_id if chosen else None


# -- taking a ticket ---------------------------------------------------------------------


def take(ticket_id: int, person: Candidate, rule: AssignmentRule, now: datetime,
         reason: str = "auto") -> bool:
    """Assign an unassigned ticket to `person` unless that would overfill them.

    One short transaction, committed here. False (nothing written) when the person is
    full or over the fair limit by now, or the ticket was taken or closed meanwhile.
    """
    return bool(take_many([Pick(ticket_id, person)], rule, now, reason))


def assign_ticket(ticket_id: int, now: datetime | None = None,
                  exclude: frozenset[int] = frozenset(), reason: str = "auto") -> int | None:
    """Auto-assign one ticket if its team's rule says so; the new assignee's id or None."""
    now = now or utcnow()
    ticket = db.session.execute(
        sa.select(Ticket.team_id, Ticket.assignee_id).where(Ticket.id == ticket_id, IS_OPEN)
    ).one_or_none()
    if ticket is None or ticket.team_id is None or ticket.assignee_id is not None:
        return None
    rule = rule_for(ticket.team_id)
    if rule.mode == AssignMode.OFF:
        return None
    facts = facts_of([ticket_id])[0]
    people = candidates(ticket.team_id, rule)
    for _attempt in range(3):  # a racing decider may fill our first choice
        chosen = choose(facts, rule, people, now, exclude)
        if chosen is None:
            db.session.rollback()
            return None
        if take(ticket_id, chosen, rule, now, reason):
            return chosen.person_id
        exclude = exclude | {chosen.person_id}
    return None


def drain(team_id: int, now: datetime | None = None, limit: int | None = None) -> int:
    """Give a team's waiting tickets to its present agents, oldest first, while anyone
    has room. Returns how many were assigned."""
    now = now or utcnow()
    rule = rule_for(team_id)
    if rule.mode == AssignMode.OFF:
        return 0
    if rule in db.session:
        db.session.expunge(rule)  # kept across the short transactions below
    people = candidates(team_id, rule)
    assigned = 0
    after: tuple[datetime, int] | None = None
    fruitless = 0
    while _anyone_free(people, rule, now) and (limit is None or assigned < limit):
        waiting = facts_of(_backlog(team_id, after))
        if not waiting:
            break
        most = TAKE_BATCH if limit is None else min(TAKE_BATCH, limit - assigned)
        picks, examined = plan(waiting, rule, people, now, most)
        taken = take_many(picks, rule, now) if picks else []
        assigned += len(taken)
        if len(taken) == len(picks):
            after = examined  # everything up to here is taken or fits nobody
            fruitless = 0
        else:
            # Someone was quicker (a claim, a full person): read again from the same
            # place with the loads as they are now, so the oldest still go first.
            fruitless = 0 if taken else fruitless + 1
            if fruitless >= 3:
                break
    db.session.rollback()
    return assigned


def _anyone_free(people: list[Candidate], rule: AssignmentRule, now: datetime) -> bool:
    return any(p.has_room() and p.under_fair_limit(rule, now) for p in people)


def plan(tickets: list[TicketFacts], rule: AssignmentRule, people: list[Candidate],
         now: datetime, most: int) -> tuple[list[Pick], tuple[datetime, int] | None]:
    """Who gets which of these tickets (oldest first), each choice counted in before the next.

    Returns at most `most` picks and the backlog position of the last ticket looked at.
    The people themselves stay untouched: the plan works on copies, and only what
    `take_many()` really took changes them.
    """
    trial = [replace(person) for person in people]
    real = {person.person_id: person for person in people}
    turn = max((person.assign_seq for person in people), default=0)
    continuity = previous_agents(tickets)
    planned: dict[int, int] = {}  # contact -> person, for continuity inside the batch
    picks: list[Pick] = []
    examined: tuple[datetime, int] | None = None
    for ticket in tickets:
        if len(picks) >= most or not _anyone_free(trial, rule, now):
            break
        examined = (ticket.created_at, ticket.id)
        previous = planned.get(ticket.contact_id, continuity[ticket.id])
        chosen = choose(ticket, rule, trial, now, previous=previous)
        if chosen is None:
            continue  # no one with the skills for this one; the next may fit
        picks.append(Pick(ticket.id, real[chosen.person_id]))
        planned[ticket.contact_id] = chosen.person_id
        turn += 1
        chosen.load += 1
        chosen.assign_seq = turn
        started = chosen.window_started_at
        if started is None or now - started >= timedelta(minutes=rule.fair_window_minutes):
            chosen.window_started_at, chosen.window_count = now, 1
        else:
            chosen.window_count += 1
    return picks, examined


def _backlog(team_id: int, after: tuple[datetime, int] | None) -> list[int]:
    """The next waiting tickets of a team, oldest first (`ix_tickets_backlog`)."""
    query = (
        sa.select(Ticket.id)
        .where(Ticket.team_id == team_id, Ticket.assignee_id.is_(None),
               IS_OPEN)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(DRAIN_BATCH)
    )
    if after is not None:
        query = query.where(sa.tuple_(Ticket.created_at, Ticket.id) > after)
    ids = list(db.session.scalars(query))
    db.session.rollback()  # end the read before the next write transaction
    return ids


def auto_teams() -> list[int]:
    """Teams whose rule assigns automatically."""
    return list(db.session.scalars(
        sa.select(AssignmentRule.team_id).where(AssignmentRule.mode != AssignMode.OFF)
    ))


def teams_of(person_id: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(team_members.c.team_id).where(team_members.c.person_id == person_id)
    ))

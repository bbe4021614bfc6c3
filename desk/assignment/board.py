"""What the supervisor's board shows: each person's load and presence, the waiting tickets."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from desk.assignment.auto import IS_OPEN
from desk.assignment.rules import DEFAULT_CAPACITY, effective_presence, refuse
from desk.auth.access import DESK_ROLES, can_assign_others
from desk.extensions import db
from desk.models import (
    AgentState,
    AssignmentRule,
    Person,
    PersonRole,
    Presence,
    Team,
    Ticket,
    team_members,
    utcnow,
)

UNASSIGNED_SHOWN = 200  # the board lists this many waiting tickets, oldest first
_ORDER = {Presence.ONLINE: 0, Presence.AWAY: 1, Presence.OFFLINE: 2}


def require_supervisor(person: Person, action: str) -> None:
    if not can_assign_others(person):
        refuse(person, action, None, "only supervisors and admins see the board")


def agents() -> list[dict[str, Any]]:
    """Everyone active who works tickets: presence, load, capacity, oldest open, overdue."""
    people = db.session.execute(
        sa.select(Person.id, Person.name, Person.email, Person.presence,
                  AgentState.chosen_status, AgentState.capacity)
        .outerjoin(AgentState, AgentState.person_id == Person.id)
        .where(Person.is_active_account,
               Person.id.in_(sa.select(PersonRole.person_id)
                             .where(PersonRole.role.in_(DESK_ROLES))))
        .order_by(Person.name, Person.id)
    ).all()
    ids = [row.id for row in people]
    loads = _per_person(sa.func.count(), ids)
    oldest = _per_person(sa.func.min(Ticket.created_at), ids)
    overdue = _per_person(sa.func.count(), ids, Ticket.response_due_at <= utcnow())
    teams, team_capacity = _teams(ids)
    rows = []
    for row in people:
        chosen = row.chosen_status or Presence.ONLINE
        capacity = row.capacity or max((team_capacity.get(t, DEFAULT_CAPACITY)
                                        for t in teams.get(row.id, [])), default=DEFAULT_CAPACITY)
        rows.append({
            "id": row.id, "name": row.name, "email": row.email,
            "presence": effective_presence(row.presence, chosen), "chosen": chosen,
            "load": loads.get(row.id, 0), "capacity": capacity,
            "teams": sorted(name for name in teams.get(row.id, {}).values()),
            "oldest_open_at": oldest.get(row.id), "overdue": overdue.get(row.id, 0),
        })
    return sorted(rows, key=lambda r: (_ORDER[r["presence"]], r["name"]))


def _per_person(aggregate: Any, ids: list[int], *where: Any) -> dict[int, Any]:
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Ticket.assignee_id, aggregate)
        .where(IS_OPEN, Ticket.assignee_id.in_(ids), *where)
        .group_by(Ticket.assignee_id)
    ).all())


def _teams(ids: list[int]) -> tuple[dict[int, dict[int, str]], dict[int, int]]:
    rows = db.session.execute(
        sa.select(team_members.c.person_id, Team.id, Team.name, AssignmentRule.capacity)
        .join(Team, Team.id == team_members.c.team_id)
        .outerjoin(AssignmentRule, AssignmentRule.team_id == Team.id)
        .where(team_members.c.person_id.in_(ids))
    ).all()
    teams: dict[int, dict[int, str]] = {}
    capacity: dict[int, int] = {}
    for person_id, team_id, name, team_capacity in rows:
        teams.setdefault(person_id, {})[team_id] = name
        capacity[team_id] = team_capacity or DEFAULT_CAPACITY
    return teams, capacity


@dataclass
class Waiting:
    id: int
    subject: str
    team: str | None
    created_at: datetime
    priority: str


def unassigned(limit: int = UNASSIGNED_SHOWN) -> list[Waiting]:
    """The oldest waiting tickets (`ix_tickets_queue_unassigned` keeps it an index read)."""
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.subject, Team.name, Ticket.created_at, Ticket.priority)
        .outerjoin(Team, Team.id == Ticket.team_id)
        .where(IS_OPEN, Ticket.assignee_id.is_(None))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    ).all()
    return [Waiting(row.id, row.subject, row.name, row.created_at, row.priority.value)
            for row in rows]


def held_by(person_id: int, limit: int = 50) -> list[Waiting]:
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.subject, Team.name, Ticket.created_at, Ticket.priority)
        .outerjoin(Team, Team.id == Ticket.team_id)
        .where(IS_OPEN, Ticket.assignee_id == person_id)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    ).all()
    return [Waiting(row.id, row.subject, row.name, row.created_at, row.priority.value)
            for row in rows]

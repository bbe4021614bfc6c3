"""Who may see and do what: one set of checks for views, the API and sockets."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from desk.models import Person, Role, Ticket, inline

F = TypeVar("F", bound=Callable[..., Any])

# Roles that work tickets at all; FAQ editors alone only see the FAQ.
DESK_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def sees_all_teams(person: Person) -> bool:
    return person.has_role(Role.SUPERVISOR, Role.ADMIN)


def can_work_tickets(person: Person) -> bool:
    return person.is_active and person.has_role(*DESK_ROLES)


def can_see_ticket(person: Person, team_id: int | None) -> bool:
    """Agents see their teams' tickets and those not routed to a team; supervisors all."""
    if not can_work_tickets(person):
        return False
    return sees_all_teams(person) or team_id is None or team_id in person.team_ids


def visible_tickets(person: Person) -> sa.ColumnElement[bool]:
    """The same rule as can_see_ticket, as a WHERE clause for lists and counts."""
    return sa.or_(*visible_parts(person))


def visible_parts(person: Person) -> list[sa.ColumnElement[bool]]:
    """visible_tickets as disjoint conditions, each of which a single index can answer.

    Counting each part apart lets the database use the team or assignee index for
    an agent, where the OR of the parts would make it read the rows (benchmarks).
    """
    if not can_work_tickets(person):
        return [sa.false()]
    if sees_all_teams(person):
        return [sa.true()]
    parts = [Ticket.team_id.is_(None)]
    if person.team_ids:
        parts.append(Ticket.team_id.in_(inline(person.team_ids)))
    return parts


def can_assign_others(person: Person) -> bool:
    return person.has_role(Role.SUPERVISOR, Role.ADMIN)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """A view decorator: signed in and holding one of `roles`, else 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator

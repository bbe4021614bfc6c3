"""The supervisor's "Team" list: who of the desk is online, away or offline."""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template

from desk.auth.access import DESK_ROLES, roles_required
from desk.extensions import db
from desk.live import presence
from desk.models import Person, PersonRole, Presence, Role

bp = Blueprint("live", __name__, url_prefix="/live")

_ORDER = {Presence.ONLINE: 0, Presence.AWAY: 1, Presence.OFFLINE: 2}


def desk_presence() -> list[dict[str, Any]]:
    """Every active person who works tickets, with their presence, online first."""
    people = db.session.scalars(
        sa.select(Person)
        .where(Person.is_active_account,
               Person.id.in_(sa.select(PersonRole.person_id).where(PersonRole.role.in_(DESK_ROLES))))
        .order_by(Person.name)
    ).all()
    current = presence.statuses(person.id for person in people)
    rows = [{"id": person.id, "name": person.name, "status": current[person.id],
             "since": person.presence_at} for person in people]
    return sorted(rows, key=lambda row: _ORDER[row["status"]])


@bp.get("/team")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def team() -> str:
    """The sidebar fragment; the page re-fetches it when a presence changes."""
    return render_template("live/_team.html", people=desk_presence())

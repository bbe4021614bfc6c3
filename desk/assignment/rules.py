"""Team assignment rules and each person's assignment settings (capacity, skills, status).

A team without a rule row assigns nothing automatically (mode off) and uses the
defaults below for capacity, grace time and (no) response timer.
"""

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from desk import audit, events
from desk.auth.access import can_assign_others
from desk.commits import commit, send_after_commit
from desk.errors import Forbidden, Invalid, NotFound
from desk.extensions import db
from desk.models import (
    AgentState,
    AssignmentRule,
    AssignMode,
    Channel,
    Person,
    Presence,
    Priority,
    ResponseAction,
    Team,
    Ticket,
    utcnow,
)

DEFAULT_CAPACITY = 10
DEFAULT_GRACE_MINUTES = 15
MAX_MINUTES = 7 * 24 * 60  # a week: longer timers are a typo, not a rule
MAX_CAPACITY = 1000

# Presence from best to worst: a chosen status can only lower what the sockets say.
_RANK = {Presence.ONLINE: 0, Presence.AWAY: 1, Presence.OFFLINE: 2}


def rule_for(team_id: int | None) -> AssignmentRule:
    """The team's rule, or an unsaved one with the defaults (mode off)."""
    rule = db.session.get(AssignmentRule, team_id) if team_id is not None else None
    if rule is None:
        rule = AssignmentRule(team_id=team_id or 0, mode=AssignMode.OFF,
                              capacity=DEFAULT_CAPACITY, grace_minutes=DEFAULT_GRACE_MINUTES,
                              response_minutes=None, response_minutes_by_priority={},
                              response_action=ResponseAction.REASSIGN, fair_limit=0,
                              fair_window_minutes=60)
    return rule


def team_by_name(name: str) -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        raise NotFound(f"no team '{name}'")
    return team


def response_due(team_id: int | None, priority: Priority, since: datetime) -> datetime | None:
    """When an assignee who got the ticket at `since` must have answered, if the team says."""
    if team_id is None:
        return None
    rule = rule_for(team_id)
    minutes = (rule.response_minutes_by_priority or {}).get(priority.value,
                                                            rule.response_minutes)
    return since + timedelta(minutes=minutes) if minutes else None


def response_due_for(ticket: Ticket, since: datetime) -> datetime | None:
    return response_due(ticket.team_id, ticket.priority, since)


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{name} must be a whole number from {low} to {high}",
                      {name: [f"a whole number from {low} to {high}"]})
    return value


def set_rule(actor: Person, team_name: str, **values: Any) -> AssignmentRule:
    """Change a team's assignment rule (supervisors and admins); unknown keys are refused."""
    if not can_assign_others(actor):
        refuse(actor, "assignment.rule", None, "only supervisors change assignment rules",
               team=team_name)
    return save_rule(team_by_name(team_name), actor, values)


def save_rule(team: Team, actor: Person | None, values: dict[str, Any]) -> AssignmentRule:
    """Store the checked settings on the team's rule (created on first use); audited."""
    changes = _checked(values)
    rule = db.session.get(AssignmentRule, team.id)
    if rule is None:
        rule = rule_for(team.id)
        rule.team_id = team.id
        db.session.add(rule)
    for key, value in changes.items():
        setattr(rule, key, value)
    rule.updated_at = utcnow()
    audit.record("assignment.rule", actor, team=team.name,
                 **{key: _plain(value) for key, value in changes.items()})
    commit()
    return rule


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "mode":
            if value not in {mode.value for mode in AssignMode}:
                raise Invalid("mode must be off, round_robin or least_loaded",
                              {"mode": ["one of off, round_robin, least_loaded"]})
            changes[key] = AssignMode(value)
        elif key == "response_action":
            if value not in {action.value for action in ResponseAction}:
                raise Invalid("response_action must be reassign or escalate",
                              {"response_action": ["one of reassign, escalate"]})
            changes[key] = ResponseAction(value)
        elif key == "capacity":
            changes[key] = _whole(value, key, 1, MAX_CAPACITY)
        elif key in ("grace_minutes", "fair_window_minutes"):
            changes[key] = _whole(value, key, 0 if key == "grace_minutes" else 1, MAX_MINUTES)
        elif key == "fair_limit":
            changes[key] = _whole(value, key, 0, MAX_CAPACITY)
        elif key == "response_minutes":
            changes[key] = None if value is None else _whole(value, key, 1, MAX_MINUTES)
        elif key == "response_minutes_by_priority":
            changes[key] = _by_priority(value)
        else:
            raise Invalid(f"unknown setting {key}", {key: ["unknown"]})
    return changes


def _by_priority(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise Invalid("response_minutes_by_priority must map priorities to minutes",
                      {"response_minutes_by_priority": ["an object"]})
    known = {priority.value for priority in Priority}
    for key in value:
        if key not in known:
            raise Invalid(f"unknown priority {key}",
                          {"response_minutes_by_priority": [f"unknown priority {key}"]})
    return {key: _whole(minutes, "response_minutes_by_priority", 1, MAX_MINUTES)
            for key, minutes in value.items()}


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def rule_json(team: Team, rule: AssignmentRule) -> dict[str, Any]:
    return {
        "team": team.name,
        "mode": rule.mode.value,
        "capacity": rule.capacity,
        "grace_minutes": rule.grace_minutes,
        "response_minutes": rule.response_minutes,
        "response_minutes_by_priority": dict(rule.response_minutes_by_priority or {}),
        "response_action": rule.response_action.value,
        "fair_limit": rule.fair_limit,
        "fair_window_minutes": rule.fair_window_minutes,
    }


# -- people ------------------------------------------------------------------------------


def state_of(person_id: int) -> AgentState:
    """The person's assignment state; a new, unsaved one with the defaults when none."""
    state = db.session.get(AgentState, person_id)
    if state is None:
        state = AgentState(person_id=person_id, capacity=None, languages=None,
                           channel_ids=None, chosen_status=Presence.ONLINE, assign_seq=0,
                           window_count=0)
    return state


def stored_state(person_id: int) -> AgentState:
    """The person's state row, added to the session when missing."""
    state = db.session.get(AgentState, person_id)
    if state is None:
        state = state_of(person_id)
        db.session.add(state)
    return state


def effective_presence(sockets: Presence, chosen: Presence | None) -> Presence:
    """What auto-assignment and the board go by: the worse of sockets and chosen status.

    Choosing "away" or "offline" keeps one out of auto-assignment even with the desk
    open; choosing "online" only lifts one's own choice: without a live socket one
    stays offline (nobody is given work while nobody is at the screen).
    """
    chosen = chosen or Presence.ONLINE
    return sockets if _RANK[sockets] >= _RANK[chosen] else chosen


def set_chosen_status(person: Person, status: Presence) -> Presence:
    """A person says they are online, away or offline; returns the resulting presence."""
    state = stored_state(person.id)
    old = state.chosen_status
    sockets = db.session.scalar(sa.select(Person.presence).where(Person.id == person.id))
    result = effective_presence(sockets or Presence.OFFLINE, status)
    if old != status:
        state.chosen_status = status
        state.chosen_at = utcnow()
        audit.record("presence.chosen", person, old=old, new=status)
        send_after_commit(events.presence_changed, person_id=person.id, status=result.value,
                          source="chosen")
    commit()
    return result


def set_capacity(actor: Person, person: Person, capacity: int | None) -> None:
    """A person's own capacity (None: the team default); supervisors only."""
    update_agent(actor, person, {"capacity": capacity})


def set_skills(actor: Person, person: Person, languages: list[str] | None,
               channel_ids: list[int] | None) -> None:
    """What a person works on (None: anything); supervisors only."""
    update_agent(actor, person, {"languages": languages, "channel_ids": channel_ids})


def update_agent(actor: Person, person: Person, values: dict[str, Any]) -> AgentState:
    """Change a person's own capacity and skills (supervisors); only the keys given change.

    Keys: `capacity` (None: the team's default), `languages` (None: any),
    `channel_ids` (None: any channel). Everything is checked before anything is
    written, so a bad value changes nothing. The one way both the API and the team
    page change these settings.
    """
    if not can_assign_others(actor):
        refuse(actor, "assignment.agent", None, "only supervisors set capacities and skills",
               person=person.email)
    changes = _checked_agent(values)
    state = stored_state(person.id)
    for key, value in changes.items():
        setattr(state, key, value)
    if "capacity" in changes:
        audit.record("assignment.capacity", actor, person=person.email,
                     capacity=changes["capacity"])
    if changes.keys() & {"languages", "channel_ids"}:
        audit.record("assignment.skills", actor, person=person.email,
                     languages=state.languages, channel_ids=state.channel_ids)
    commit()
    return state


def _checked_agent(values: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "capacity":
            changes[key] = None if value is None else _whole(value, key, 1, MAX_CAPACITY)
        elif key == "languages":
            changes[key] = _languages(value)
        elif key == "channel_ids":
            changes[key] = _known_channels(value)
        else:
            raise Invalid(f"unknown setting {key}", {key: ["unknown"]})
    return changes


def _languages(value: Any) -> list[str] | None:
    """Language codes as contacts have them ("de", "en-GB" -> "de", "en"); None: any."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
            isinstance(code, str) and 2 <= len(code.strip()) <= 8
            and code.strip().replace("-", "").isalpha() for code in value):
        raise Invalid("languages must be codes such as de or en-GB",
                      {"languages": ["codes such as de or en-GB"]})
    return sorted({code.strip().lower()[:2] for code in value})


def _known_channels(value: Any) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(n, int) for n in value):
        raise Invalid("channels must be a list of channels", {"channels": ["a list"]})
    known = set(db.session.scalars(sa.select(Channel.id).where(Channel.id.in_(value))))
    unknown = [n for n in value if n not in known]
    if unknown:
        raise Invalid(f"unknown channel {unknown[0]}", {"channels": [f"unknown {unknown[0]}"]})
    return sorted(set(value))


def channel_ids(slugs: list[str] | None) -> list[int] | None:
    """Channel slugs as ids; an unknown slug is refused (422)."""
    if slugs is None:
        return None
    found = dict(db.session.execute(
        sa.select(Channel.slug, Channel.id).where(Channel.slug.in_(slugs))).all())
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        raise Invalid(f"unknown channel {unknown[0]}", {"channels": [f"unknown {unknown[0]}"]})
    return [found[slug] for slug in slugs]


def refuse(actor: Person, action: str, ticket_id: int | None, detail: str, **data: Any) -> None:
    """Write down that someone tried what their roles do not allow, then refuse (403)."""
    db.session.rollback()
    audit.record("assignment.forbidden", actor, ticket_id, attempted=action, **data)
    commit()
    raise Forbidden(detail)


def create_team(name: str, member_emails: list[str]) -> Team:
    """A new team with its members (all of whom must exist and be active)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise Invalid("a team name has 1 to 80 characters", {"name": ["1 to 80 characters"]})
    if db.session.scalar(sa.select(Team.id).where(Team.name == name)) is not None:
        raise Invalid(f"team '{name}' exists already", {"name": ["exists already"]})
    members = []
    for email in member_emails:
        person = db.session.scalar(sa.select(Person).where(Person.email == email.strip().lower()))
        if person is None:
            raise Invalid(f"no person with e-mail {email}", {"member": ["unknown"]})
        if not person.is_active:
            raise Invalid(f"{person.email} is deactivated", {"member": ["inactive"]})
        members.append(person)
    team = Team(name=name)
    team.members = members
    db.session.add(team)
    audit.record("team.created", None, team=name, members=[p.email for p in members])
    for person in members:
        # Their sockets reconnect and so join the new team's room.
        send_after_commit(events.person_changed, person_id=person.id, change="teams")
    commit()
    return team

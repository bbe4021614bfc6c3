"""SLA policies: create, edit, order, delete; which policy a ticket falls under.

Every change that can move a due time (targets, calendar, pauses, matching,
order, escalation settings) queues `recompute_all` for the open tickets after
the commit; renaming alone does not.
"""

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from desk import audit
from desk.commits import commit
from desk.errors import Conflict, Invalid, NotFound
from desk.extensions import db
from desk.models import Channel, Person, Priority, SlaPolicy, Status, Ticket, utcnow
from desk.sla.calendar import DEFAULT_CALENDAR, BusinessCalendar, CalendarError, parse_calendar

_TARGETS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
MAX_MINUTES = 365 * 24 * 60
_parsed: dict[tuple[int, Any], BusinessCalendar] = {}


def list_policies() -> list[SlaPolicy]:
    """Every policy in matching order (first match wins)."""
    return list(db.session.scalars(sa.select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)))


def matching_policy(ticket: Ticket, policies: list[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first policy whose priority and channel fit the ticket, or None (no clock)."""
    for policy in list_policies() if policies is None else policies:
        if policy.priority is not None and policy.priority != ticket.priority:
            continue
        if policy.channel_id is not None and policy.channel_id != ticket.channel_id:
            continue
        return policy
    return None


def calendar_of(policy: SlaPolicy) -> BusinessCalendar:
    """The policy's parsed calendar, cached per process until the policy changes."""
    key = (policy.id, policy.updated_at)
    calendar = _parsed.get(key)
    if calendar is None:
        calendar = parse_calendar(policy.calendar)
        if len(_parsed) > 200:
            _parsed.clear()
        _parsed[key] = calendar
    return calendar


def create_policy(person: Person, data: dict[str, Any]) -> SlaPolicy:
    """Store a policy after checking every value; Invalid names each wrong field."""
    values = validate(data)
    if db.session.scalar(sa.select(SlaPolicy.id).where(SlaPolicy.name == values["name"])):
        raise Invalid(f"a policy named {values['name']!r} exists", {"name": ["taken"]})
    if "position" not in values:
        highest = db.session.scalar(sa.select(sa.func.max(SlaPolicy.position)))
        values["position"] = (highest or 0) + 10
    policy = SlaPolicy(**values)
    db.session.add(policy)
    db.session.flush()
    audit.record("sla.policy_created", person, policy_id=policy.id, name=policy.name)
    _recompute_open_tickets_later()
    commit()
    return policy


def get_policy(policy_id: int) -> SlaPolicy:
    """One policy, or NotFound."""
    policy = db.session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(f"no SLA policy {policy_id}")
    return policy


def update_policy(person: Person, policy_id: int, data: dict[str, Any]) -> SlaPolicy:
    """Replace a policy's settings, checked as on create; its place in the order stays
    unless `position` is given. Invalid names each wrong field and nothing changes."""
    policy = get_policy(policy_id)
    values = validate(data)
    if db.session.scalar(sa.select(SlaPolicy.id).where(SlaPolicy.name == values["name"],
                                                       SlaPolicy.id != policy.id)):
        raise Invalid(f"a policy named {values['name']!r} exists", {"name": ["taken"]})
    del values["updated_at"]
    changed = sorted(field for field, value in values.items()
                     if getattr(policy, field) != value)
    if not changed:
        return policy
    for field in changed:
        setattr(policy, field, values[field])
    policy.updated_at = _later_than(policy.updated_at)
    audit.record("sla.policy_updated", person, policy_id=policy.id, name=policy.name,
                 changed=changed)
    if changed != ["name"]:
        _recompute_open_tickets_later()
    commit()
    return policy


def reorder_policies(person: Person, policy_ids: list[int]) -> list[SlaPolicy]:
    """Put the policies in the given matching order (first match wins).

    The list must name every policy once: a list made before someone added or
    deleted a policy is refused (Conflict) rather than guessed at.
    """
    if len(set(policy_ids)) != len(policy_ids):
        raise Invalid("name each policy once", {"ids": ["a policy appears twice"]})
    current = list_policies()
    if set(policy_ids) != {policy.id for policy in current}:
        raise Conflict("the policies changed meanwhile; reload them and order them again")
    before = [policy.id for policy in current]
    if before != policy_ids:
        by_id = {policy.id: policy for policy in current}
        for rank, policy_id in enumerate(policy_ids, start=1):
            by_id[policy_id].position = rank * 10
        audit.record("sla.policies_reordered", person, order=policy_ids, before=before)
        _recompute_open_tickets_later()
        commit()
    return list_policies()


def move_policy(person: Person, policy_id: int, steps: int) -> list[SlaPolicy]:
    """Move a policy up (negative steps) or down in the matching order."""
    order = [policy.id for policy in list_policies()]
    if policy_id not in order:
        raise NotFound(f"no SLA policy {policy_id}")
    index = order.index(policy_id)
    order.insert(max(0, min(len(order) - 1, index + steps)), order.pop(index))
    return reorder_policies(person, order)


def _later_than(previous: datetime | None) -> datetime:
    # The parsed calendar is cached per (id, updated_at) in every process, so an edit
    # must move updated_at even when the clock has not (a frozen clock in tests, or
    # two edits within a microsecond).
    now = utcnow()
    if previous is not None and now <= previous:
        return previous + timedelta(microseconds=1)
    return now


def delete_policy(person: Person, policy_id: int) -> None:
    """Remove a policy; the tickets it applied to fall to the next match."""
    policy = get_policy(policy_id)
    audit.record("sla.policy_deleted", person, policy_id=policy.id, name=policy.name)
    db.session.delete(policy)
    _recompute_open_tickets_later()
    commit()


def _recompute_open_tickets_later() -> None:
    from desk.jobs import enqueue
    from desk.sla.jobs import recompute_all

    enqueue(recompute_all)


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """Plain values for a SlaPolicy, or Invalid with the reason per field."""
    errors: dict[str, list[str]] = {}
    # What is not given means "any" / "nobody", also when an edit leaves it out.
    values: dict[str, Any] = {"priority": None, "channel_id": None, "escalate_to_id": None}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = ["required, up to 120 characters"]
    values["name"] = name
    for target in _TARGETS:
        minutes = data.get(target)
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            errors[target] = ["a whole number of minutes"]
        elif minutes <= 0 or minutes > MAX_MINUTES:
            errors[target] = [f"must be between 1 and {MAX_MINUTES} minutes"]
        values[target] = minutes
    _optional_choice(data, values, errors)
    _escalation_settings(data, values, errors)
    calendar = data.get("calendar", DEFAULT_CALENDAR)
    try:
        parse_calendar(calendar)
    except CalendarError as exc:
        errors.update(exc.fields)
    values["calendar"] = calendar
    pauses = data.get("pause_statuses", [])
    open_values = {Status.NEW.value, Status.OPEN.value, Status.PENDING.value}
    if not isinstance(pauses, list) or any(p not in open_values for p in pauses):
        errors["pause_statuses"] = [f"a list of statuses from {', '.join(sorted(open_values))}"]
    else:
        values["pause_statuses"] = sorted(set(pauses))
    if errors:
        raise Invalid("the SLA policy is not possible: " + "; ".join(
            f"{field} {', '.join(messages)}" for field, messages in errors.items()), errors)
    values["updated_at"] = utcnow()
    return values


def _optional_choice(data: dict[str, Any], values: dict[str, Any],
                     errors: dict[str, list[str]]) -> None:
    priority = data.get("priority")
    if priority is not None:
        try:
            values["priority"] = Priority(priority)
        except ValueError:
            errors["priority"] = [f"one of {', '.join(p.value for p in Priority)}"]
    channel = data.get("channel")
    if channel is not None:
        channel_id = db.session.scalar(sa.select(Channel.id).where(Channel.slug == channel))
        if channel_id is None:
            errors["channel"] = [f"no channel {channel!r}"]
        values["channel_id"] = channel_id
    if "position" in data:
        if not isinstance(data["position"], int) or isinstance(data["position"], bool):
            errors["position"] = ["a whole number"]
        else:
            values["position"] = data["position"]


def _escalation_settings(data: dict[str, Any], values: dict[str, Any],
                         errors: dict[str, list[str]]) -> None:
    share = data.get("warn_share", 0.8)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        errors["warn_share"] = ["a share between 0 and 1, e.g. 0.8"]
    values["warn_share"] = share
    for field, low, high, default in (("repeat_minutes", 1, MAX_MINUTES, 60),
                                      ("max_level", 1, 10, 3)):
        value = data.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[field] = [f"a whole number from {low} to {high}"]
        values[field] = value
    escalate_to = data.get("escalate_to")
    if escalate_to:
        person_id = db.session.scalar(sa.select(Person.id).where(Person.email == escalate_to))
        if person_id is None:
            errors["escalate_to"] = [f"no person with e-mail {escalate_to}"]
        values["escalate_to_id"] = person_id
    values["reassign"] = bool(data.get("reassign", False))

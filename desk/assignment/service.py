"""Claiming and assigning tickets by hand; each change one conditional UPDATE, audited, live.

Every change of a ticket's assignee goes through `hand_over()`: one UPDATE that
also requires the assignee to still be the one the caller saw (`WHERE
assignee_id IS NULL` / `= :old`). So of simultaneous claims exactly one wins,
and every audit entry's `old` is the assignee the change really replaced: the
audit log of a ticket chains from nobody to its current assignee.
"""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from desk import audit, events
from desk.assignment.rules import refuse, response_due, team_by_name
from desk.auth.access import can_assign_others, can_see_ticket
from desk.commits import commit, send_after_commit
from desk.errors import Conflict, DeskError, Invalid
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.models import Person, Status, Ticket, utcnow
from desk.tickets import change

MAX_BULK = 500
MAX_REASON = 500


def begin_write() -> None:
    """Start the unit of work as a writer on SQLite.

    A deferred SQLite transaction that reads and then writes after another
    connection committed fails at once with "database is locked"
    (SQLITE_BUSY_SNAPSHOT), which no busy timeout waits out; fifty people
    claiming at once would see errors instead of one winner and 409s. Taking the
    write lock first makes them queue (busy timeout) and read fresh. PostgreSQL
    needs nothing: the conditional UPDATE decides there.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.rollback()
    session.execute(sa.text("BEGIN IMMEDIATE"))


def claim(person: Person, ticket_id: int) -> Ticket:
    """Take an unassigned ticket. Claiming one's own ticket again is a no-op."""
    begin_write()
    ticket = get_ticket(person, ticket_id)
    if ticket.assignee_id == person.id:
        return ticket
    if ticket.assignee_id is not None:
        raise Conflict(f"{ticket.assignee.name if ticket.assignee else 'someone'} holds it already",
                       assignee_id=ticket.assignee_id)
    try:
        ticket = hand_over(ticket, None, person.id, person, "ticket.claimed",
                           conflict="Someone else claimed it a moment ago.")
    except Conflict as exc:
        holder = db.session.scalar(sa.select(Ticket.assignee_id).where(Ticket.id == ticket_id))
        if holder == person.id:
            return get_ticket(person, ticket_id)
        exc.extra["assignee_id"] = holder
        raise
    commit()
    return ticket


def assign(
    actor: Person,
    ticket_id: int,
    assignee: Person | None,
    seen_version: int | None = None,
    reason: str | None = None,
    *,
    need_reason: bool = True,
) -> Ticket:
    """Give a ticket to someone (or to nobody).

    Supervisors and admins assign anything they see; the current assignee may hand
    their ticket back or on to a colleague. Anyone else is refused (403, audited).
    Giving a ticket someone else holds to a third person needs a reason (422
    without), which the audit entry keeps and the ticket's history shows; bulk
    reassigns (`need_reason=False`) record one when given.
    """
    begin_write()
    ticket = get_ticket(actor, ticket_id)
    holds_it = ticket.assignee_id is not None and ticket.assignee_id == actor.id
    if not (can_assign_others(actor) or holds_it):
        refuse(actor, "ticket.assign", ticket_id,
               "only supervisors or the ticket's assignee assign it")
    if assignee is not None:
        check_assignee(assignee, ticket)
    new = assignee.id if assignee else None
    if ticket.assignee_id == new:
        return ticket
    reason = clean_reason(reason)
    # A caller who saw an older version gets the 409 below: they did not see the holder.
    stale = seen_version is not None and seen_version != ticket.version
    if need_reason and reason is None and not stale and takes_from_holder(ticket, actor, new):
        raise Invalid("say why the ticket goes from the person who holds it to someone else",
                      {"reason": ["needed to reassign a ticket someone else holds"]})
    ticket = hand_over(ticket, ticket.assignee_id, new, actor,
                       "ticket.assigned" if new else "ticket.unassigned",
                       seen_version=seen_version, reason=reason)
    commit()
    return ticket


def takes_from_holder(ticket: Ticket, actor: Person, new: int | None) -> bool:
    """The change gives a ticket that someone other than the actor holds to another person."""
    return ticket.assignee_id not in (None, actor.id) and new not in (None, ticket.assignee_id)


def unassign(actor: Person, ticket_id: int, reason: str | None = None) -> Ticket:
    """Put a ticket back in the pool (supervisors, or whoever holds it)."""
    return assign(actor, ticket_id, None, reason=reason)


def route_to_team(
    actor: Person, ticket_id: int, team_name: str, assignee: Person | None = None,
    reason: str | None = None,
) -> Ticket:
    """Move a ticket to a team's queue (supervisors), to a member of it or to its pool.

    Without an assignee the ticket waits in the team's backlog, where the team's
    auto-assignment (if any) picks it up.
    """
    begin_write()
    ticket = get_ticket(actor, ticket_id)
    if not can_assign_others(actor):
        refuse(actor, "ticket.route", ticket_id, "only supervisors move tickets between teams",
               team=team_name)
    team = team_by_name(team_name)
    if assignee is not None:
        check_assignee(assignee, ticket, team_id=team.id)
    old_team, old = ticket.team_id, ticket.assignee_id
    new = assignee.id if assignee else None
    if old_team == team.id and old == new:
        return ticket
    ticket = hand_over(ticket, old, new, actor, "ticket.routed", extra={"team_id": team.id},
                       reason=clean_reason(reason), old_team=old_team, new_team=team.id)
    if new is None:
        from desk.assignment.jobs import drain_team
        from desk.jobs import enqueue

        enqueue(drain_team, team.id)
    commit()
    return ticket


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def bulk_assign(actor: Person, ticket_ids: list[int], assignee: Person | None,
                reason: str | None = None) -> BulkResult:
    """Assign many tickets (supervisors); each ticket its own all-or-nothing change.

    A ticket that cannot be assigned (unknown, not visible, assignee not allowed on
    its team, changed meanwhile) is listed with the reason; the others go ahead.
    """
    if not can_assign_others(actor):
        refuse(actor, "ticket.bulk_assign", None, "only supervisors reassign in bulk",
               count=len(ticket_ids))
    if not ticket_ids:
        raise Invalid("name at least one ticket", {"ticket_ids": ["must not be empty"]})
    if len(ticket_ids) > MAX_BULK:
        raise Invalid(f"at most {MAX_BULK} tickets at once",
                      {"ticket_ids": [f"at most {MAX_BULK}"]})
    if assignee is not None and not assignee.is_active:
        raise Invalid(f"{assignee.name} is deactivated", {"assignee": ["inactive"]})
    reason = clean_reason(reason)
    result = BulkResult()
    for ticket_id in dict.fromkeys(ticket_ids):  # each once, in the order given
        try:
            assign(actor, ticket_id, assignee, reason=reason, need_reason=False)
        except DeskError as exc:
            db.session.rollback()
            result.failed.append({"id": ticket_id, "reason": exc.detail})
        else:
            result.done.append(ticket_id)
    return result


def check_assignee(assignee: Person, ticket: Ticket, team_id: int | None = None) -> None:
    """The person may be given this ticket: active, works tickets, in its team."""
    team_id = ticket.team_id if team_id is None else team_id
    if not assignee.is_active:
        raise Invalid(f"{assignee.name} is deactivated", {"assignee": ["inactive"]})
    if not can_see_ticket(assignee, team_id):
        raise Invalid(f"{assignee.name} may not work this ticket's team",
                      {"assignee": ["not in the ticket's team"]})


def clean_reason(reason: str | None) -> str | None:
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise Invalid(f"the reason is longer than {MAX_REASON} characters",
                      {"reason": [f"at most {MAX_REASON} characters"]})
    return reason or None


def hand_over(
    ticket: Ticket,
    old: int | None,
    new: int | None,
    actor: Person | None,
    action: str,
    *,
    seen_version: int | None = None,
    extra: dict[str, Any] | None = None,
    condition: sa.ColumnElement[bool] | None = None,
    conflict: str = "The ticket was reassigned meanwhile; reload it and try again.",
    **facts: Any,
) -> Ticket:
    """Move a ticket from assignee `old` to `new` if `old` still holds it; audit, announce.

    The caller commits. A Conflict (nothing written, transaction rolled back) when
    the assignee changed meanwhile or `condition` no longer holds.
    """
    now = utcnow()
    values: dict[str, Any] = {"assignee_id": new, **(extra or {})}
    values["assigned_at"] = now if new is not None else None
    values["response_due_at"] = None
    if new is not None:
        values["response_due_at"] = response_due(values.get("team_id", ticket.team_id),
                                                 ticket.priority, now)
        if ticket.status == Status.NEW:
            values["status"] = Status.OPEN
    same_holder = Ticket.assignee_id.is_(None) if old is None else Ticket.assignee_id == old
    only_if = same_holder if condition is None else sa.and_(same_holder, condition)
    ticket = change(ticket.id, values, seen_version=seen_version, only_if=only_if,
                    conflict=conflict)
    audit.record(action, actor, ticket.id, old=old, new=new,
                 **{key: value for key, value in facts.items() if value is not None})
    announce(ticket)
    return ticket


def announce(ticket: Ticket) -> None:
    send_after_commit(
        events.ticket_assigned,
        ticket_id=ticket.id,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        version=ticket.version,
    )

"""Assignment tasks (they take ids, are safe to run twice) and the receivers that queue them.

Auto-assignment never runs inside the transaction that made the ticket: the
signals below arrive after commit and queue a task (RQ, or in-process without Redis).
"""

import logging
from typing import Any

from desk import events
from desk.jobs import dispatch, dispatch_once, task_path

log = logging.getLogger(__name__)

_FREEING = {"resolved", "spam"}  # statuses that end a ticket's claim on its assignee


def drain_team(team_id: int) -> int:
    """Give a team's waiting tickets, oldest first, to whoever has room."""
    from desk.assignment.auto import drain

    return drain(team_id)


def drain_soon(team_id: int) -> None:
    """Queue a drain of the team's backlog (after a rule switched auto-assignment on)."""
    dispatch_once(task_path(drain_team), [team_id], "default")


def capacity_freed(ticket_id: int) -> int:
    """A ticket closed: its assignee has room again in each of their teams."""
    from desk.assignment.auto import drain, teams_of
    from desk.extensions import db
    from desk.models import Ticket

    row = db.session.execute(
        db.select(Ticket.assignee_id, Ticket.team_id).where(Ticket.id == ticket_id)
    ).one_or_none()
    if row is None:
        return 0
    teams = teams_of(row.assignee_id) if row.assignee_id is not None else []
    if row.team_id is not None and row.team_id not in teams:
        teams.append(row.team_id)
    return sum(drain(team_id) for team_id in teams)


def person_present(person_id: int) -> int:
    """Someone came (back) online: their teams' backlogs drain."""
    from desk.assignment.auto import drain, teams_of

    return sum(drain(team_id) for team_id in teams_of(person_id))


def sweep() -> dict[str, int]:
    """Every minute: response timers, absent agents' tickets, then every backlog."""
    from desk.assignment import auto, timers

    overdue = timers.overdue_responses()
    returned = timers.return_from_absent()
    drained = sum(auto.drain(team_id) for team_id in auto.auto_teams())
    return {"escalated": len(overdue["escalated"]), "reassigned": len(overdue["reassigned"]),
            "returned": len(returned), "assigned": drained}


# -- receivers ---------------------------------------------------------------------------


def _queue(task: Any, *args: Any) -> None:
    dispatch(task_path(task), list(args), "default")


def _on_ticket_created(sender: Any = None, **facts: Any) -> None:
    # A new ticket waits behind its team's older ones: drain the team. An intake batch
    # opens hundreds of tickets at once; they queue one drain per team, not one each.
    if facts.get("team_id") is not None:
        dispatch_once(task_path(drain_team), [facts["team_id"]], "default")


def _on_ticket_updated(sender: Any = None, **facts: Any) -> None:
    if (facts.get("changes") or {}).get("status") in _FREEING:
        _queue(capacity_freed, facts["ticket_id"])


def _on_presence_changed(sender: Any = None, **facts: Any) -> None:
    if facts.get("status") == "online":
        _queue(person_present, facts["person_id"])


def install() -> None:
    """Listen for new tickets, closed tickets and people coming online; idempotent."""
    events.ticket_created.connect(_on_ticket_created, weak=False)
    events.ticket_updated.connect(_on_ticket_updated, weak=False)
    events.presence_changed.connect(_on_presence_changed, weak=False)

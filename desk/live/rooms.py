"""Socket.IO room names, and which rooms a person may be in."""

from desk.auth.access import can_work_tickets, sees_all_teams
from desk.models import Person

ALL_TEAMS = "teams:all"  # supervisors and admins: every ticket event
UNROUTED = "teams:none"  # tickets not routed to any team: every desk worker


def team_room(team_id: int) -> str:
    return f"team:{team_id}"


def person_room(person_id: int) -> str:
    return f"person:{person_id}"


def ticket_room(ticket_id: int) -> str:
    """The sockets that have a ticket open (joined through `join_ticket`, authorised)."""
    return f"ticket:{ticket_id}"


def rooms_for_ticket(team_id: int | None, ticket_id: int | None = None) -> list[str]:
    """Where an event about a ticket of this team goes."""
    rooms = [ALL_TEAMS, team_room(team_id) if team_id is not None else UNROUTED]
    if ticket_id is not None:
        rooms.append(ticket_room(ticket_id))
    return rooms


def rooms_of(person: Person) -> list[str]:
    """The rooms a person's sockets join at connect."""
    if not can_work_tickets(person):
        return [person_room(person.id)]
    rooms = [person_room(person.id), UNROUTED]
    if sees_all_teams(person):
        rooms.append(ALL_TEAMS)
    else:
        rooms.extend(team_room(team_id) for team_id in person.team_ids)
    return rooms

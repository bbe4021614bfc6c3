"""Report periods and scopes: which days, and which tickets a viewer may count."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from desk.auth.access import can_work_tickets
from desk.errors import Forbidden, Invalid
from desk.models import Person, Role, Ticket, TicketTag

MAX_DAYS = 731  # two years: longer ranges are refused, not silently cut
EARLIEST = date(2000, 1, 1)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included, in the desk's time zone."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before this one (period over period)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def utc_bounds(self, timezone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnight of the first day to after the last."""
        start = datetime.combine(self.start, time(), timezone)
        end = datetime.combine(self.end + timedelta(days=1), time(), timezone)
        return start, end


def default_period(today: date) -> Period:
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_period(start: str | None, end: str | None, today: date) -> tuple[Period, list[str]]:
    """Read ?from=&to= (YYYY-MM-DD); returns the period and notes on what was corrected.

    Missing ends default to the last 30 days. Reversed dates are swapped (and
    said so). Unreadable dates, dates before 2000 or over a year ahead, and ranges
    over two years are refused with Invalid naming the field.
    """
    notes: list[str] = []
    fields: dict[str, list[str]] = {}
    parsed: dict[str, date | None] = {}
    for name, value in (("from", start), ("to", end)):
        parsed[name] = None
        if not value:
            continue
        try:
            parsed[name] = date.fromisoformat(value)
        except ValueError:
            fields[name] = ["a date like 2026-11-24"]
            continue
        if not EARLIEST <= parsed[name] <= today + timedelta(days=366):  # type: ignore[operator]
            fields[name] = [f"between {EARLIEST.isoformat()} and a year from today"]
    if fields:
        raise Invalid("the date range cannot be read", fields=fields)
    first, last = parsed["from"], parsed["to"]
    if first is None and last is None:
        return default_period(today), notes
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)  # type: ignore[operator]
    if last is None:
        last = max(first, today)
    if first > last:
        first, last = last, first
        notes.append("reversed")
    period = Period(first, last)
    if period.days > MAX_DAYS:
        raise Invalid(f"the date range is longer than {MAX_DAYS} days",
                      fields={"to": [f"at most {MAX_DAYS} days after from"]})
    return period, notes


@dataclass(frozen=True)
class Scope:
    """Which tickets count: None means no limit on that dimension."""

    team_ids: tuple[int, ...] | None = None
    channel_id: int | None = None
    assignee_id: int | None = None
    # Tickets carrying this tag only (a filter, never a permission).
    tag_id: int | None = None
    # What the viewer's role lets them see, before filters (for the page's headings).
    level: str = "all"

    def where(self, model: type | sa.FromClause) -> sa.ColumnElement[bool]:
        """The scope as a WHERE clause on a table with team_id, channel_id, assignee_id.

        The tag applies to tables that name their ticket (`ticket_id`, or tickets
        themselves); daily sums cannot say which tickets they hold, so a tagged
        report sums the tagged facts instead (desk.reports.metrics.daily_source).
        """
        columns = model.c if isinstance(model, sa.FromClause) else model
        clauses = []
        if self.team_ids is not None:
            clauses.append(columns.team_id.in_(self.team_ids))
        if self.channel_id is not None:
            clauses.append(columns.channel_id == self.channel_id)
        if self.assignee_id is not None:
            assignee = getattr(columns, "assignee_id", None)
            if assignee is None:
                assignee = columns.agent_id
            clauses.append(assignee == self.assignee_id)
        if self.tag_id is not None:
            ticket = Ticket.id if model is Ticket else getattr(columns, "ticket_id", None)
            if ticket is not None:
                clauses.append(ticket.in_(
                    sa.select(TicketTag.ticket_id).where(TicketTag.tag_id == self.tag_id)))
        return sa.and_(sa.true(), *clauses)


def sees_all_reports(person: Person) -> bool:
    return person.is_active and person.has_role(Role.MANAGEMENT, Role.ADMIN)


def can_read_reports(person: Person) -> bool:
    return sees_all_reports(person) or can_work_tickets(person)


def scope_for(person: Person, team_id: int | None = None, channel_id: int | None = None,
              tag_id: int | None = None) -> Scope:
    """The viewer's scope, narrowed by the filters they asked for.

    Management and admins: everything. Supervisors: their teams (every team
    when they belong to none). Agents: their own tickets. A team filter outside
    what the person may see is refused.
    """
    if sees_all_reports(person):
        scope = Scope(level="all")
    elif person.is_active and person.has_role(Role.SUPERVISOR):
        teams = tuple(person.team_ids) or None
        scope = Scope(team_ids=teams, level="teams" if teams else "all")
    elif can_work_tickets(person):
        scope = Scope(assignee_id=person.id, level="own")
    else:
        raise Forbidden("your roles do not include reports")
    if team_id is not None:
        if scope.team_ids is not None and team_id not in scope.team_ids:
            raise Forbidden("that team's numbers are not yours to see")
        scope = replace(scope, team_ids=(team_id,))
    if channel_id is not None:
        scope = replace(scope, channel_id=channel_id)
    if tag_id is not None:
        scope = replace(scope, tag_id=tag_id)
    return scope

"""Business time: opening hours per weekday, a time zone, public holidays, closed days.

Pure arithmetic, no database. Periods are wall-clock times in the calendar's
zone, turned into UTC day by day, so a DST change in March or October gives the
real length of that day's hours (a 01:00-04:00 shift lasts two hours on the
last Sunday of March). Every calculation walks at most `HORIZON_DAYS` days, so
a calendar closed for a long stretch can never loop for ever.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_data

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 800
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
DEFAULT_CALENDAR: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]},
    "holidays": {"country": "DE", "state": "BE"},
    "closed_days": [],
}


class CalendarError(ValueError):
    """The calendar cannot be used; `fields` names what is wrong, as Invalid does."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    # weekday (0 = Monday) -> sorted, non-overlapping periods as minutes since midnight
    periods: dict[int, tuple[tuple[int, int], ...]]
    country: str | None = None
    state: str | None = None
    closed_days: frozenset[date] = field(default_factory=frozenset)

    @cached_property
    def _holidays(self) -> holiday_data.HolidayBase | None:
        if not self.country:
            return None
        return holiday_data.country_holidays(self.country, subdiv=self.state)

    def is_closed(self, day: date) -> bool:
        if day in self.closed_days:
            return True
        return self._holidays is not None and day in self._holidays

    # Each day's opening intervals in UTC, computed once per calendar object: a calendar
    # is cached per policy (desk.sla.policies.calendar_of), so every ticket under the
    # policy shares them, and a target of weeks costs dictionary lookups, not time-zone
    # arithmetic.
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, compare=False, hash=False, repr=False)

    def day_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        found = self._days.get(day)
        if found is None:
            found = () if self.is_closed(day) else tuple(
                (self._at(day, begin), self._at(day, end))
                for begin, end in self.periods.get(day.weekday(), ()))
            if len(self._days) > 20_000:
                self._days.clear()
            self._days[day] = found
        return found

    def open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals in UTC, in order, from the local day of `start` on."""
        day = start.astimezone(self.zone).date()
        for _ in range(HORIZON_DAYS):
            yield from self.day_intervals(day)
            day += timedelta(days=1)

    def _at(self, day: date, minutes: int) -> datetime:
        if minutes >= 24 * 60:  # "24:00": the start of the next day
            return datetime.combine(day + timedelta(days=1), time(), self.zone).astimezone(UTC)
        wall = datetime.combine(day, time(minutes // 60, minutes % 60), self.zone)
        return wall.astimezone(UTC)

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of business time after `start` have passed."""
        remaining = timedelta(minutes=minutes)
        if remaining <= timedelta(0):
            return start
        day = start.astimezone(self.zone).date()
        for _ in range(HORIZON_DAYS):
            intervals = self.day_intervals(day)
            day += timedelta(days=1)
            if not intervals:
                continue
            if intervals[0][0] >= start and self._total(intervals) < remaining:
                remaining -= self._total(intervals)  # the whole day fits: skip it at once
                continue
            for begin, end in intervals:
                if end <= start:
                    continue
                begin = max(begin, start)
                if end - begin >= remaining:
                    return begin + remaining
                remaining -= end - begin
        raise CalendarError({"calendar": [f"no business time within {HORIZON_DAYS} days"]})

    @staticmethod
    def _total(intervals: tuple[tuple[datetime, datetime], ...]) -> timedelta:
        return sum((end - begin for begin, end in intervals), timedelta(0))

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes in [start, end); 0 when end is not after start."""
        total = timedelta(0)
        if end <= start:
            return 0.0
        for begin, finish in self.open_intervals(start):
            if begin >= end:
                break
            overlap = min(finish, end) - max(begin, start)
            if overlap > timedelta(0):
                total += overlap
        return total.total_seconds() / 60

    def is_open(self, moment: datetime) -> bool:
        for begin, end in self.open_intervals(moment - timedelta(days=1)):
            if begin > moment:
                return False
            if begin <= moment < end:
                return True
        return False


def parse_calendar(data: Any) -> BusinessCalendar:
    """A calendar from its JSON form; CalendarError names every field that is wrong."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict) or not data:
        raise CalendarError({"calendar": ["must be a non-empty object"]})
    zone = _zone(data.get("timezone", "Europe/Berlin"), errors)
    periods = _periods(data.get("hours"), errors)
    country, state = _holidays(data.get("holidays"), errors)
    closed = _closed_days(data.get("closed_days", []), errors)
    if errors:
        raise CalendarError(errors)
    assert zone is not None  # noqa: S101 - no errors means it parsed
    return BusinessCalendar(zone, periods, country, state, closed)


def _zone(name: Any, errors: dict[str, list[str]]) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        errors["calendar.timezone"] = [f"unknown time zone {name!r}"]
        return None


def _periods(hours: Any, errors: dict[str, list[str]]) -> dict[int, tuple[tuple[int, int], ...]]:
    if not isinstance(hours, dict) or not any(hours.values()):
        errors["calendar.hours"] = ["give opening periods for at least one weekday"]
        return {}
    parsed: dict[int, tuple[tuple[int, int], ...]] = {}
    for name, spans in hours.items():
        key = f"calendar.hours.{name}"
        if name not in WEEKDAYS:
            errors[key] = [f"unknown weekday; use {', '.join(WEEKDAYS)}"]
            continue
        day = _day_periods(spans, key, errors)
        if day:
            parsed[WEEKDAYS.index(name)] = day
    return parsed


def _day_periods(spans: Any, key: str, errors: dict[str, list[str]]) -> tuple[tuple[int, int], ...]:
    if not isinstance(spans, list):
        errors[key] = ["a list of [start, end] periods"]
        return ()
    found: list[tuple[int, int]] = []
    for span in spans:
        if not (isinstance(span, list | tuple) and len(span) == 2):
            errors[key] = ['each period is ["HH:MM", "HH:MM"]']
            return ()
        begin, end = _minutes(span[0]), _minutes(span[1])
        if begin is None or end is None or begin >= 24 * 60:
            errors[key] = [f"unreadable period {span!r}; times are HH:MM, end up to 24:00"]
            return ()
        if end <= begin:
            errors[key] = [f"period {span[0]}-{span[1]} ends before it starts"]
            return ()
        found.append((begin, end))
    found.sort()
    for (_, end), (begin, _) in zip(found, found[1:], strict=False):
        if begin < end:
            errors[key] = ["periods overlap"]
            return ()
    return tuple(found)


def _minutes(value: Any) -> int | None:
    match = _CLOCK.match(str(value))
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes:
        return None
    return hours * 60 + minutes


def _holidays(value: Any, errors: dict[str, list[str]]) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    if not isinstance(value, dict):
        errors["calendar.holidays"] = ['an object like {"country": "DE", "state": "BY"}']
        return None, None
    country = str(value.get("country", "DE")).upper()
    state = value.get("state")
    try:
        known = holiday_data.list_supported_countries()
        if country not in known:
            raise NotImplementedError
        subdivisions = known[country]
    except NotImplementedError:
        errors["calendar.holidays.country"] = [f"no public holidays known for {country!r}"]
        return None, None
    if state is not None and str(state).upper() not in {s.upper() for s in subdivisions}:
        errors["calendar.holidays.state"] = [
            f"unknown state {state!r}; one of {', '.join(subdivisions)}"
        ]
        return None, None
    return country, str(state).upper() if state else None


def _closed_days(value: Any, errors: dict[str, list[str]]) -> frozenset[date]:
    if not isinstance(value, list):
        errors["calendar.closed_days"] = ["a list of YYYY-MM-DD dates"]
        return frozenset()
    days = set()
    for item in value:
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            errors["calendar.closed_days"] = [f"not a date: {item!r}"]
    return frozenset(days)

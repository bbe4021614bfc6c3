"""Business time: how much of a span fell inside the desk's opening hours.

Pure functions over a `BusinessCalendar` (weekdays, opening and closing time,
holidays, in one time zone), so they are tested on their own across weekends,
holidays and daylight-saving changes. The calendar comes from configuration
(`DESK_BUSINESS_HOURS`, `DESK_HOLIDAYS`, `DESK_TIMEZONE`).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours on the given weekdays (0 = Monday), in one time zone."""

    timezone: ZoneInfo
    weekdays: frozenset[int] = frozenset(range(5))
    opens: time = time(9)
    closes: time = time(17)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's opening hours in UTC (a DST day keeps its local clock times)."""
        opens = datetime.combine(day, self.opens, self.timezone).astimezone(UTC)
        closes = datetime.combine(day, self.closes, self.timezone).astimezone(UTC)
        return opens, closes


def parse_calendar(spec: str, timezone: str, holidays: Iterable[str] = ()) -> BusinessCalendar:
    """Read `mon-fri 09:00-17:00` (days first-last or one day, then hours) into a calendar."""
    match = _SPEC.match(spec.lower())
    if not match:
        raise ValueError(f"business hours {spec!r}: expected like 'mon-fri 09:00-17:00'")
    first = WEEKDAYS.index(match["first"]) if match["first"] in WEEKDAYS else None
    last = WEEKDAYS.index(match["last"] or match["first"]) if (
        match["last"] or match["first"]) in WEEKDAYS else None
    if first is None or last is None:
        raise ValueError(f"business hours {spec!r}: days are mon, tue, ... sun")
    days = frozenset((first + offset) % 7 for offset in range((last - first) % 7 + 1))
    opens, closes = (time.fromisoformat(match[key].zfill(5)) for key in ("opens", "closes"))
    if closes <= opens:
        raise ValueError(f"business hours {spec!r}: closing must come after opening")
    return BusinessCalendar(
        timezone=ZoneInfo(timezone), weekdays=days, opens=opens, closes=closes,
        holidays=frozenset(date.fromisoformat(h.strip()) for h in holidays if h.strip()),
    )


def business_seconds(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Seconds between `start` and `end` (aware datetimes) that fell within opening hours.

    Walks the local days of the span; each day's window is cached, so the
    long spans of old tickets cost a dictionary look-up per day.
    """
    if end <= start:
        return 0.0
    day = start.astimezone(calendar.timezone).date()
    last = end.astimezone(calendar.timezone).date()
    total = 0.0
    while day <= last:
        window = _working_window(calendar, day)
        if window is not None:
            overlap = (min(window[1], end) - max(window[0], start)).total_seconds()
            if overlap > 0:
                total += overlap
        day += timedelta(days=1)
    return total


@lru_cache(maxsize=8192)
def _working_window(calendar: BusinessCalendar, day: date) -> tuple[datetime, datetime] | None:
    return calendar.window(day) if calendar.is_working_day(day) else None

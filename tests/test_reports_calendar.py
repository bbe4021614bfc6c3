"""Business time on a calendar: weekends, holidays, daylight saving, other time zones."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from desk.reports.calendar import business_seconds, parse_calendar

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


@pytest.fixture
def office():
    return parse_calendar("mon-fri 09:00-17:00", "Europe/Berlin")


def test_friday_afternoon_to_monday_morning_counts_only_opening_hours(office):
    start, end = at(BERLIN, 2026, 11, 20, 16), at(BERLIN, 2026, 11, 23, 10)
    assert business_seconds(start, end, office) == 2 * HOUR


def test_a_span_inside_one_weekend_is_zero(office):
    assert business_seconds(at(BERLIN, 2026, 11, 21, 10), at(BERLIN, 2026, 11, 22, 18),
                            office) == 0


def test_evening_to_next_morning_before_opening_is_zero(office):
    assert business_seconds(at(BERLIN, 2026, 11, 23, 20), at(BERLIN, 2026, 11, 24, 8),
                            office) == 0


def test_within_one_day(office):
    assert business_seconds(at(BERLIN, 2026, 11, 23, 9, 30), at(BERLIN, 2026, 11, 23, 10),
                            office) == 1800


def test_whole_weeks(office):
    # Monday 09:00 to the Monday three weeks later 09:00: 15 working days of 8 hours.
    assert business_seconds(at(BERLIN, 2026, 11, 2, 9), at(BERLIN, 2026, 11, 23, 9),
                            office) == 15 * 8 * HOUR


def test_reversed_span_is_zero(office):
    assert business_seconds(at(BERLIN, 2026, 11, 24), at(BERLIN, 2026, 11, 23), office) == 0


def test_holidays_are_closed():
    calendar = parse_calendar("mon-fri 09:00-17:00", "Europe/Berlin", ["2026-12-25"])
    # Thursday 24 Dec 16:00 to Monday 28 Dec 10:00: Thursday 1 h + Monday 1 h (Friday closed).
    assert business_seconds(at(BERLIN, 2026, 12, 24, 16), at(BERLIN, 2026, 12, 28, 10),
                            calendar) == 2 * HOUR


def test_daylight_saving_weekend_keeps_local_opening_hours(office):
    # Clocks went forward on Sunday 29 March 2026; Friday 16:00 to Monday 10:00 is still 2 h.
    assert business_seconds(at(BERLIN, 2026, 3, 27, 16), at(BERLIN, 2026, 3, 30, 10),
                            office) == 2 * HOUR


def test_the_same_instant_counts_differently_in_another_time_zone():
    new_york = parse_calendar("mon-fri 09:00-17:00", "America/New_York")
    berlin = parse_calendar("mon-fri 09:00-17:00", "Europe/Berlin")
    # Monday 14:00-16:00 UTC: 15:00-17:00 in Berlin (2 h open), 09:00-11:00 in New York (2 h).
    start, end = datetime(2026, 11, 23, 14, tzinfo=UTC), datetime(2026, 11, 23, 16, tzinfo=UTC)
    assert business_seconds(start, end, berlin) == 2 * HOUR
    assert business_seconds(start, end, new_york) == 2 * HOUR
    # Monday 20:00-22:00 UTC: Berlin closed, New York 15:00-17:00 open.
    start, end = datetime(2026, 11, 23, 20, tzinfo=UTC), datetime(2026, 11, 23, 22, tzinfo=UTC)
    assert business_seconds(start, end, berlin) == 0
    assert business_seconds(start, end, new_york) == 2 * HOUR


def test_weekend_shifts_wrap_around_the_week():
    calendar = parse_calendar("sat-mon 10:00-12:00", "UTC")
    assert calendar.weekdays == frozenset({5, 6, 0})


@pytest.mark.parametrize("spec", ["", "monday 9-17", "mon-fri 17:00-09:00", "xyz 09:00-17:00"])
def test_unreadable_business_hours_are_refused(spec):
    with pytest.raises(ValueError, match="business hours"):
        parse_calendar(spec, "Europe/Berlin")

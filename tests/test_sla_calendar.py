"""Business-time arithmetic: weekends, holidays per state, DST, split shifts (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from desk.sla.calendar import CalendarError, parse_calendar

WEEKDAYS_9_TO_17 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def berlin(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)


def calendar(**overrides):
    data = {"timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_17, "holidays": None,
            "closed_days": []}
    data.update(overrides)
    return parse_calendar(data)


def test_time_within_one_working_day():
    assert calendar().add(berlin(2026, 11, 24, 10, 0), 60) == berlin(2026, 11, 24, 11, 0)


def test_a_friday_afternoon_target_runs_on_after_the_weekend():
    # Friday 16:00 + 2 h: one hour on Friday, the other on Monday from 09:00.
    assert calendar().add(berlin(2026, 11, 27, 16, 0), 120) == berlin(2026, 11, 30, 10, 0)


def test_a_message_at_night_starts_counting_when_business_opens():
    assert calendar().add(berlin(2026, 11, 28, 23, 30), 30) == berlin(2026, 11, 30, 9, 30)


def test_public_holidays_differ_by_state():
    # 6 January (Epiphany) is a holiday in Bavaria, not in Berlin.
    start = berlin(2026, 1, 5, 16, 0)  # a Monday
    bavaria = calendar(holidays={"country": "DE", "state": "BY"})
    berlin_state = calendar(holidays={"country": "DE", "state": "BE"})
    assert bavaria.add(start, 120) == berlin(2026, 1, 7, 10, 0)
    assert berlin_state.add(start, 120) == berlin(2026, 1, 6, 10, 0)
    # 8 March (International Women's Day) is a holiday in Berlin only (a Sunday in 2026,
    # so take 2027, a Monday).
    assert berlin_state.is_closed(datetime(2027, 3, 8).date())
    assert not bavaria.is_closed(datetime(2027, 3, 8).date())


def test_extra_closed_days():
    closed = calendar(closed_days=["2026-12-24"])
    assert closed.add(berlin(2026, 12, 23, 16, 30), 60) == berlin(2026, 12, 25, 9, 30)


def test_dst_in_march_the_night_shift_is_an_hour_shorter():
    night = calendar(hours={day: [["00:00", "06:00"]] for day in
                            ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    # Sunday 29 March 2026, 02:00 CET -> 03:00 CEST: that night has 5 real hours.
    assert night.minutes_between(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 29, 6, 0)) == 300
    assert night.add(berlin(2026, 3, 29, 0, 0), 330) == berlin(2026, 3, 30, 0, 30)


def test_dst_in_october_the_night_shift_is_an_hour_longer():
    night = calendar(hours={"sun": [["00:00", "06:00"]]})
    # Sunday 25 October 2026, 03:00 CEST -> 02:00 CET: seven real hours.
    start = berlin(2026, 10, 25, 0, 0)
    assert night.minutes_between(start, start + timedelta(hours=12)) == 420
    assert night.add(start, 420) == start + timedelta(hours=7)


def test_office_hours_stay_on_the_wall_clock_across_dst():
    # Friday 27 March 16:00 CET + 2 h: Monday 30 March 10:00 CEST, i.e. 08:00 UTC.
    result = calendar().add(berlin(2026, 3, 27, 16, 0), 120)
    assert result == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_split_shifts_skip_the_lunch_break():
    split = calendar(hours={"mon": [["08:00", "12:00"], ["13:00", "17:00"]]})
    assert split.add(berlin(2026, 11, 30, 11, 30), 60) == berlin(2026, 11, 30, 13, 30)
    assert split.minutes_between(berlin(2026, 11, 30, 7, 0), berlin(2026, 11, 30, 18, 0)) == 480


def test_round_the_clock_service():
    always = calendar(hours={day: [["00:00", "24:00"]] for day in
                             ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    start = berlin(2026, 11, 28, 22, 0)
    assert always.add(start, 180) == start + timedelta(hours=3)


@pytest.mark.parametrize(("data", "field"), [
    ({}, "calendar"),
    ({"hours": {}}, "calendar.hours"),
    ({"hours": {"mon": [["09:00", "12:00"], ["11:00", "14:00"]]}}, "calendar.hours.mon"),
    ({"hours": {"mon": [["17:00", "09:00"]]}}, "calendar.hours.mon"),
    ({"hours": {"mon": [["9", "12:00"]]}}, "calendar.hours.mon"),
    ({"hours": {"funday": [["09:00", "12:00"]]}}, "calendar.hours.funday"),
    ({"hours": WEEKDAYS_9_TO_17, "timezone": "Mars/Olympus"}, "calendar.timezone"),
    ({"hours": WEEKDAYS_9_TO_17, "holidays": {"country": "DE", "state": "XX"}},
     "calendar.holidays.state"),
    ({"hours": WEEKDAYS_9_TO_17, "closed_days": ["tomorrow"]}, "calendar.closed_days"),
])
def test_impossible_calendars_are_refused_with_the_reason(data, field):
    with pytest.raises(CalendarError) as refused:
        parse_calendar(data)
    assert field in refused.value.fields

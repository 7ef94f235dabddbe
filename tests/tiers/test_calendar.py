"""Working-day calendar: one test per counting rule.

Pure tests: no Django, no database, no real clock (every instant is fixed).
Run alone with: pytest tests/tiers/test_calendar.py -p no:django
"""

import time as perf
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from govportal.tiers.calendar import (
    AFTERNOON,
    HOURS_PER_DAY,
    MORNING,
    OFF,
    TZ,
    WORKING,
    Override,
    WorkCalendar,
    vietnam_holidays,
    vietnam_makeup_working_days,
)


def at(year, month, day, hour=0, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def days_between(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def cal():
    """The default calendar: Vietnam's public holidays from the holidays package."""
    return WorkCalendar()


@pytest.fixture
def plain():
    """Monday-Friday with no public holidays, to isolate one rule at a time."""
    return WorkCalendar(holidays=set())


# A week with no public holiday: Fri 6 Mar 2026 ... Fri 13 Mar 2026.
FRI = date(2026, 3, 6)
SAT = date(2026, 3, 7)
MON = date(2026, 3, 9)
TUE = date(2026, 3, 10)
WED = date(2026, 3, 11)
THU = date(2026, 3, 12)


# -- Tết ---------------------------------------------------------------------


def test_holidays_package_knows_tet_2026_as_monday_16_to_friday_20_february():
    days_off = vietnam_holidays(2026)
    # Lunar New Year's Eve (29 Tết) to the fourth day; the Lunar New Year is Tue 17 Feb.
    assert set(days_between(date(2026, 2, 16), date(2026, 2, 20))) <= days_off
    assert date(2026, 2, 13) not in days_off
    assert date(2026, 2, 23) not in days_off


def test_government_tet_2026_plan_nine_days_off_from_14_to_22_february(cal):
    # The government's plan: off Sat 14 Feb (27 Tết) to Sun 22 Feb (6th day), no
    # make-up day.  Its five weekdays are exactly what the holidays package
    # gives, so no override is needed for 2026.
    assert not any(cal.is_working_day(day) for day in days_between(date(2026, 2, 14), date(2026, 2, 22)))
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 23))


def test_tet_2026_three_working_days_received_before_tet_end_after_tet(cal):
    # Fri 13 Feb 10:00: 5.5 h that day, then Mon 23 and Tue 24 Feb, 2.5 h on Wed 25.
    assert cal.deadline(at(2026, 2, 13, 10), days=3) == at(2026, 2, 25, 10)


def test_tet_2026_received_after_cutoff_before_tet_starts_after_tet(cal):
    received = at(2026, 2, 13, 16)
    assert cal.clock_start(received) == at(2026, 2, 23, 7, 30)
    assert cal.deadline(received, days=3) == at(2026, 2, 25, 17)


def test_holidays_package_knows_tet_2027_as_thursday_4_to_wednesday_10_february():
    days_off = vietnam_holidays(2027)
    # The Lunar New Year is Sat 6 Feb 2027; 29 Tết to the 5th day, weekends included.
    assert set(days_between(date(2027, 2, 4), date(2027, 2, 10))) <= days_off
    assert date(2027, 2, 3) not in days_off
    assert date(2027, 2, 11) not in days_off


def test_tet_2027_three_working_days_received_before_tet_end_after_tet(cal):
    # Wed 3 Feb 14:00: 3 h that day, Thu 11 and Fri 12 Feb, then 5 h on Mon 15 Feb.
    assert cal.deadline(at(2027, 2, 3, 14), days=3) == at(2027, 2, 15, 14)


def test_tet_extended_by_override_pushes_deadline(cal):
    # The 2027 plan is not announced yet; an extra day off is entered as an override.
    extended = WorkCalendar(overrides=[Override(date(2027, 2, 11), OFF)])
    assert extended.deadline(at(2027, 2, 3, 14), days=3) == at(2027, 2, 16, 14)


def test_tet_given_entirely_as_overrides():
    tet = [Override(day, OFF) for day in days_between(date(2026, 2, 16), date(2026, 2, 20))]
    calendar = WorkCalendar(holidays=set(), overrides=tet)
    assert calendar.deadline(at(2026, 2, 13, 10), days=3) == at(2026, 2, 25, 10)


# -- cut-off and office hours -------------------------------------------------


def test_received_friday_after_cutoff_starts_monday_and_is_due_wednesday_1700(plain):
    received = datetime.combine(FRI, time(16, 0), tzinfo=TZ)
    assert plain.clock_start(received) == datetime.combine(MON, time(7, 30), tzinfo=TZ)
    assert plain.deadline(received, days=3) == datetime.combine(WED, time(17, 0), tzinfo=TZ)


def test_received_friday_morning_three_days_due_wednesday_same_time(plain):
    received = datetime.combine(FRI, time(10, 0), tzinfo=TZ)
    assert plain.deadline(received, days=3) == datetime.combine(WED, time(10, 0), tzinfo=TZ)


def test_received_in_lunch_break_starts_at_1300(plain):
    assert plain.clock_start(datetime.combine(TUE, time(12, 10), tzinfo=TZ)) == datetime.combine(
        TUE, time(13, 0), tzinfo=TZ
    )


def test_received_before_office_hours_starts_at_0730(plain):
    assert plain.clock_start(datetime.combine(TUE, time(6, 45), tzinfo=TZ)) == datetime.combine(
        TUE, time(7, 30), tzinfo=TZ
    )


def test_received_exactly_at_cutoff_counts_that_day(plain):
    received = datetime.combine(TUE, time(15, 0), tzinfo=TZ)
    assert plain.clock_start(received) == received
    assert plain.deadline(received, days=1) == datetime.combine(WED, time(15, 0), tzinfo=TZ)


def test_received_one_minute_after_cutoff_starts_next_working_day(plain):
    received = datetime.combine(TUE, time(15, 1), tzinfo=TZ)
    assert plain.clock_start(received) == datetime.combine(WED, time(7, 30), tzinfo=TZ)


def test_received_one_second_after_cutoff_is_late(plain):
    received = datetime.combine(TUE, time(15, 0, 1), tzinfo=TZ)
    assert plain.clock_start(received) == datetime.combine(WED, time(7, 30), tzinfo=TZ)


def test_received_after_office_hours_starts_next_working_day(plain):
    received = datetime.combine(TUE, time(18, 0), tzinfo=TZ)
    assert plain.clock_start(received) == datetime.combine(WED, time(7, 30), tzinfo=TZ)


def test_received_on_weekend_morning_starts_monday(plain):
    received = datetime.combine(SAT, time(9, 0), tzinfo=TZ)
    assert plain.clock_start(received) == datetime.combine(MON, time(7, 30), tzinfo=TZ)


def test_received_on_public_holiday_starts_next_working_day(cal):
    # Thu 30 Apr and Fri 1 May 2026 are public holidays.
    assert cal.clock_start(at(2026, 4, 30, 9)) == at(2026, 5, 4, 7, 30)


def test_received_in_another_timezone_is_judged_in_ho_chi_minh_time(plain):
    # 08:30 UTC is 15:30 in Ho Chi Minh City: after the cut-off.
    received = datetime.combine(TUE, time(8, 30), tzinfo=UTC)
    start = plain.clock_start(received)
    assert start == datetime.combine(WED, time(7, 30), tzinfo=TZ)
    assert start.utcoffset() == timedelta(hours=7)
    assert str(start.tzinfo) == "Asia/Ho_Chi_Minh"


def test_custom_cutoff_is_respected():
    calendar = WorkCalendar(holidays=set(), cutoff=time(16, 0))
    received = datetime.combine(TUE, time(15, 30), tzinfo=TZ)
    assert calendar.clock_start(received) == received


# -- overrides: make-up days, extra days off, half days -----------------------


def test_makeup_working_saturday_counts():
    calendar = WorkCalendar(holidays=set(), overrides=[Override(SAT, WORKING)])
    assert calendar.is_working_day(SAT)
    received = datetime.combine(FRI, time(16, 0), tzinfo=TZ)
    assert calendar.clock_start(received) == datetime.combine(SAT, time(7, 30), tzinfo=TZ)
    assert calendar.deadline(received, days=3) == datetime.combine(TUE, time(17, 0), tzinfo=TZ)


def test_extra_day_off_does_not_count():
    calendar = WorkCalendar(holidays=set(), overrides=[Override(MON, OFF)])
    assert not calendar.is_working_day(MON)
    received = datetime.combine(FRI, time(16, 0), tzinfo=TZ)
    assert calendar.deadline(received, days=3) == datetime.combine(THU, time(17, 0), tzinfo=TZ)


def test_makeup_days_of_the_swaps_in_the_holidays_package_are_working_by_default(cal):
    # The package lists only the day off of each swap; the worked Saturday is implied.
    assert {date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22)} <= vietnam_makeup_working_days(range(2024, 2027))
    assert cal.is_working_day(date(2026, 8, 22))  # Saturday, worked
    assert not cal.is_working_day(date(2026, 8, 31))  # Monday, given off in exchange
    # With an explicit holiday list the caller owns the swaps.
    assert not WorkCalendar(holidays=vietnam_holidays(2026)).is_working_day(date(2026, 8, 22))


def test_override_beats_a_makeup_day_from_the_holidays_package():
    calendar = WorkCalendar(overrides=[Override(date(2026, 8, 22), OFF)])
    assert not calendar.is_working_day(date(2026, 8, 22))


def test_afternoon_off_half_day_counts_only_the_morning():
    calendar = WorkCalendar(holidays=set(), overrides=[Override(WED, OFF, AFTERNOON)])
    assert calendar.sessions_on(WED) == [
        (datetime.combine(WED, time(7, 30), tzinfo=TZ), datetime.combine(WED, time(11, 30), tzinfo=TZ))
    ]
    # 3.5 h on Wednesday morning, the last 0.5 h on Thursday.
    start = datetime.combine(WED, time(8, 0), tzinfo=TZ)
    assert calendar.deadline(start, days=Decimal("0.5")) == datetime.combine(THU, time(8, 0), tzinfo=TZ)
    # Received in the afternoon that is off: next working session.
    assert calendar.clock_start(datetime.combine(WED, time(14, 0), tzinfo=TZ)) == datetime.combine(
        THU, time(7, 30), tzinfo=TZ
    )


def test_morning_off_half_day_starts_at_1300():
    calendar = WorkCalendar(holidays=set(), overrides=[Override(WED, OFF, MORNING)])
    assert calendar.is_working_day(WED)
    assert calendar.clock_start(datetime.combine(WED, time(8, 0), tzinfo=TZ)) == datetime.combine(
        WED, time(13, 0), tzinfo=TZ
    )
    # After the cut-off the day before: the next working day starts with its afternoon.
    assert calendar.clock_start(datetime.combine(TUE, time(16, 0), tzinfo=TZ)) == datetime.combine(
        WED, time(13, 0), tzinfo=TZ
    )


def test_half_day_makeup_saturday_counts_only_the_morning():
    calendar = WorkCalendar(holidays=set(), overrides=[Override(SAT, WORKING, MORNING)])
    assert [(s.time(), e.time()) for s, e in calendar.sessions_on(SAT)] == [(time(7, 30), time(11, 30))]
    received = datetime.combine(FRI, time(16, 0), tzinfo=TZ)
    assert calendar.deadline(received, days=1) == datetime.combine(MON, time(11, 30), tzinfo=TZ)


def test_half_day_override_refines_an_all_day_override_whatever_the_order():
    calendar = WorkCalendar(holidays=set(), overrides=[Override(WED, WORKING, MORNING), Override(WED, OFF)])
    assert [(s.time(), e.time()) for s, e in calendar.sessions_on(WED)] == [(time(7, 30), time(11, 30))]


def test_half_day_limit_is_four_working_hours_across_lunch(plain):
    received = datetime.combine(TUE, time(8, 0), tzinfo=TZ)
    expected = datetime.combine(TUE, time(13, 30), tzinfo=TZ)
    assert plain.deadline(received, days=0.5) == expected
    assert plain.deadline(received, hours=4) == expected
    assert plain.add_working_days(received, Decimal("0.5")) == expected


def test_override_rejects_unknown_kind_and_part():
    with pytest.raises(ValueError):
        Override(MON, "holiday")
    with pytest.raises(ValueError):
        Override(MON, OFF, "evening")
    with pytest.raises(TypeError):
        Override(datetime.combine(MON, time(0), tzinfo=TZ), OFF)


# -- adding working time ------------------------------------------------------


def test_limit_ending_at_session_end_is_due_at_1700_not_next_morning(plain):
    start = datetime.combine(TUE, time(7, 30), tzinfo=TZ)
    assert plain.add_working_hours(start, HOURS_PER_DAY) == datetime.combine(TUE, time(17, 0), tzinfo=TZ)
    assert plain.add_working_hours(start, 4) == datetime.combine(TUE, time(11, 30), tzinfo=TZ)


def test_adding_working_hours_applies_office_hours_but_not_the_cutoff(plain):
    start = datetime.combine(TUE, time(16, 0), tzinfo=TZ)
    assert plain.add_working_hours(start, 0.5) == datetime.combine(TUE, time(16, 30), tzinfo=TZ)
    assert plain.add_working_hours(datetime.combine(TUE, time(12, 0), tzinfo=TZ), 0) == datetime.combine(
        TUE, time(13, 0), tzinfo=TZ
    )


def test_working_days_are_eight_working_hours(plain):
    start = datetime.combine(TUE, time(9, 0), tzinfo=TZ)
    assert plain.add_working_days(start, 2) == plain.add_working_hours(start, 16)
    assert plain.deadline(start, days=1, hours=Decimal("1.5")) == datetime.combine(WED, time(10, 30), tzinfo=TZ)


def test_sixty_working_day_limit_is_exact_and_fast(cal):
    start = at(2026, 1, 5, 7, 30)  # Monday
    began = perf.perf_counter()
    due = cal.deadline(start, days=60)
    elapsed = perf.perf_counter() - began
    working_days = [d for d in days_between(start.date(), date(2026, 6, 30)) if cal.is_working_day(d)]
    # Starting at 07:30 on a working day, the 60th working day is the last one charged.
    assert due == datetime.combine(working_days[59], time(17, 0), tzinfo=TZ)
    assert elapsed < 0.5


def test_no_working_session_within_three_years_raises():
    first = date(2026, 1, 1)
    calendar = WorkCalendar(overrides=[Override(first + timedelta(days=n), OFF) for n in range(4 * 366)])
    with pytest.raises(ValueError, match="no working session"):
        calendar.add_working_hours(at(2026, 1, 1, 8), 1)
    with pytest.raises(ValueError, match="no working session"):
        calendar.clock_start(at(2026, 1, 1, 8))


def test_negative_or_non_numeric_limits_are_rejected(plain):
    start = datetime.combine(TUE, time(9, 0), tzinfo=TZ)
    with pytest.raises(ValueError):
        plain.add_working_hours(start, -1)
    with pytest.raises(ValueError):
        plain.deadline(start, days=-0.5)
    with pytest.raises(ValueError):
        plain.add_working_hours(start, float("nan"))
    with pytest.raises(TypeError):
        plain.add_working_days(start, "3")


# -- measuring elapsed working time -------------------------------------------


def test_working_hours_between_skips_the_weekend(plain):
    start = datetime.combine(FRI, time(15, 0), tzinfo=TZ)
    end = datetime.combine(MON, time(9, 0), tzinfo=TZ)
    assert plain.working_hours_between(start, end) == 3.5  # 2 h Friday + 1.5 h Monday
    assert plain.working_hours_between(end, start) == -3.5


def test_working_hours_between_skips_public_holidays(cal):
    # Thu 30 Apr and Fri 1 May 2026 are holidays: 1 h on Wed 29 Apr, 1 h on Mon 4 May.
    assert cal.working_hours_between(at(2026, 4, 29, 16), at(2026, 5, 4, 8, 30)) == 2.0


def test_working_hours_between_ignores_lunch_and_nights(plain):
    assert (
        plain.working_hours_between(
            datetime.combine(TUE, time(11, 0), tzinfo=TZ), datetime.combine(TUE, time(13, 30), tzinfo=TZ)
        )
        == 1.0
    )
    assert (
        plain.working_hours_between(
            datetime.combine(TUE, time(18, 0), tzinfo=TZ), datetime.combine(WED, time(7, 0), tzinfo=TZ)
        )
        == 0.0
    )


ROUND_TRIP_STARTS = [
    at(2026, 3, 9, 7, 30),  # Monday, start of office hours
    at(2026, 3, 11, 12, 15),  # Wednesday lunch break
    at(2026, 3, 13, 16, 45),  # Friday, after the cut-off
    at(2026, 3, 14, 10, 0),  # Saturday
    at(2026, 2, 13, 11, 0),  # the Friday before Tết 2026
    at(2026, 12, 31, 16, 0),  # across New Year
    at(2027, 2, 3, 9, 20, 30),  # before Tết 2027, odd seconds
]
ROUND_TRIP_HOURS = [0, 0.25, 3.5, 4, 8, 19.75, 40, 480]


@pytest.mark.parametrize("start", ROUND_TRIP_STARTS, ids=lambda s: s.strftime("%Y-%m-%d_%H%M"))
@pytest.mark.parametrize("hours", ROUND_TRIP_HOURS)
def test_working_hours_between_undoes_add_working_hours(cal, start, hours):
    end = cal.add_working_hours(start, hours)
    assert end >= start
    assert cal.working_hours_between(start, end) == hours
    # And back: from the clock start, adding the measured time lands on `end`.
    if hours:
        assert cal.add_working_hours(start, cal.working_hours_between(start, end)) == end


# -- input validation ----------------------------------------------------------


NAIVE = datetime(2026, 3, 10, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.clock_start(NAIVE),
        lambda c: c.add_working_hours(NAIVE, 1),
        lambda c: c.add_working_days(NAIVE, 1),
        lambda c: c.deadline(NAIVE, days=1),
        lambda c: c.working_hours_between(NAIVE, at(2026, 3, 11)),
        lambda c: c.working_hours_between(at(2026, 3, 9), NAIVE),
    ],
    ids=["clock_start", "add_working_hours", "add_working_days", "deadline", "between_start", "between_end"],
)
def test_naive_datetime_raises_value_error(plain, call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(plain)

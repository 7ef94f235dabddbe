"""Working-day calendar for the legal time limits of administrative procedures.

Why this exists: Vietnamese administrative procedures promise results within a
number of *working* days (sometimes working hours), and one-stop-shop practice
counts a case received late in the day (after 15:00) from the next working day.  A deadline shown to a citizen, or used to flag an overdue case,
must therefore skip weekends, public holidays and the days the government swaps
each year, and must handle half days.

Counting rules implemented here:

* Time is counted in working hours, ``HOURS_PER_DAY`` (8) per working day, so
  limits such as half a day are exact.
* Office hours are two sessions, 07:30-11:30 and 13:00-17:00, in
  Asia/Ho_Chi_Minh.
* A case received after the 15:00 cut-off on a working day, after hours, or on
  a non-working day starts counting at the start of the next working day; one
  received before 07:30 starts at 07:30 and one received during the lunch break
  starts at 13:00.  A case received at exactly 15:00 is not late.
* Working days are Monday-Friday minus Vietnam's public holidays (Labor Code
  2019, art. 112) as known by the ``holidays`` package, plus the make-up
  working days implied by the swaps that package knows, adjusted by an
  overrides table (extra days off, make-up working days, half days) because the
  government announces swaps year by year and the package lags behind.

The module is pure: no Django models, settings or database.  Callers load the
overrides table themselves and pass ``Override`` values in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from numbers import Real
from zoneinfo import ZoneInfo

import holidays as holidays_lib

__all__ = [
    "AFTERNOON",
    "ALL_DAY",
    "HOURS_PER_DAY",
    "MORNING",
    "OFF",
    "TZ",
    "WORKING",
    "Override",
    "WorkCalendar",
    "vietnam_holidays",
    "vietnam_makeup_working_days",
]

OFF = "off"
WORKING = "working"

ALL_DAY = "all"
MORNING = "morning"
AFTERNOON = "afternoon"

HOURS_PER_DAY = 8
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# A session that starts before noon is the morning session; half-day overrides
# name sessions by part of the day, not by index, so custom sessions still work.
_NOON = time(12, 0)
# Give up looking for a working session after this many consecutive calendar
# days without one: a misconfigured overrides table must not hang a request.
_MAX_IDLE_DAYS = 3 * 366
_MICROSECONDS_PER_HOUR = 3_600 * 1_000_000
# The English label the holidays package gives a day off granted in exchange
# for a worked day, e.g. "Day off (substituted from 08/22/2026)".
_SUBSTITUTED = re.compile(r"substituted from (\d{2}/\d{2}/\d{4})")


@dataclass(frozen=True)
class Override:
    """One row of the overrides table.

    Needed because the government decides day swaps and extra days off each
    year (and some are half days), after the ``holidays`` package is released.
    """

    day: date
    kind: str  # OFF or WORKING
    part: str = ALL_DAY  # ALL_DAY, MORNING or AFTERNOON

    def __post_init__(self):
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise TypeError(f"Override.day must be a date, got {self.day!r}")
        if self.kind not in (OFF, WORKING):
            raise ValueError(f"Override.kind must be {OFF!r} or {WORKING!r}, got {self.kind!r}")
        if self.part not in (ALL_DAY, MORNING, AFTERNOON):
            raise ValueError(f"Override.part must be {ALL_DAY!r}, {MORNING!r} or {AFTERNOON!r}, got {self.part!r}")


@functools.cache
def _vietnam_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays of one year, and the worked days their swaps imply.

    Cached per year because the package recomputes lunar dates on every call.
    """
    entries = holidays_lib.country_holidays("VN", years=year, language="en_US")
    days_off = frozenset(day for day in entries if day.year == year)
    makeup = set()
    for name in entries.values():
        for match in _SUBSTITUTED.finditer(name):
            makeup.add(datetime.strptime(match.group(1), "%m/%d/%Y").date())
    return days_off, frozenset(makeup)


def _years(years) -> Iterable[int]:
    return (years,) if isinstance(years, int) else years


def vietnam_holidays(years) -> set[date]:
    """Public holidays (including observed and swapped days off) for ``years``.

    ``years`` is an int or an iterable of ints.  Comes from the ``holidays``
    package, which follows the Labor Code and the swaps it has been told about.
    """
    result: set[date] = set()
    for year in _years(years):
        result |= _vietnam_year(year)[0]
    return result


def vietnam_makeup_working_days(years) -> set[date]:
    """Worked days (usually Saturdays) traded for the swapped days off in ``years``.

    The ``holidays`` package records a swap only as the day off; without the
    matching worked day a calendar would lose a working day each swap.  The
    worked day may fall in an adjacent year (e.g. 27 Dec 2014 for 2 Jan 2015).
    """
    result: set[date] = set()
    for year in _years(years):
        result |= _vietnam_year(year)[1]
    return result


def _require_aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(TZ)


def _to_microseconds(hours, name: str) -> int:
    """Exact conversion so that a legal limit of 0.5 days is exactly 4 hours."""
    # Decimal is not registered as numbers.Real, so it is accepted explicitly.
    if isinstance(hours, bool) or not isinstance(hours, Real | Decimal):
        raise TypeError(f"{name} must be a number, got {hours!r}")
    try:
        value = Fraction(hours)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{name} must be a finite number, got {hours!r}") from exc
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {hours!r}")
    return round(value * _MICROSECONDS_PER_HOUR)


class WorkCalendar:
    """Answers "when is this case due" under the working-time rules.

    Precedence for one day: explicit overrides (all-day first, then half-day,
    later rows winning) > make-up working days from the ``holidays`` swaps >
    public holidays > weekends.  Overrides win because they are the official
    announcement for that day.
    """

    def __init__(
        self,
        *,
        overrides: Iterable[Override] = (),
        holidays: Iterable[date] | None = None,
        cutoff: time = time(15, 0),
        sessions=((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0))),
    ):
        """``holidays=None`` uses Vietnam's public holidays, computed lazily per
        year and cached, together with the make-up working days implied by the
        swaps the ``holidays`` package knows.  An explicit ``holidays``
        collection replaces both (give make-up days as WORKING overrides)."""
        self.cutoff = cutoff
        self.sessions = tuple((start, end) for start, end in sessions)
        if not self.sessions:
            raise ValueError("at least one office session is required")
        previous_end = None
        for start, end in self.sessions:
            if not start < end:
                raise ValueError(f"session {start}-{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError("sessions must be in order and must not overlap")
            previous_end = end

        if holidays is None:
            self._holidays = None
        elif isinstance(holidays, AbstractSet | Mapping):
            # Sets and holidays.HolidayBase objects answer `in` directly.
            self._holidays = holidays
        else:
            self._holidays = frozenset(holidays)

        by_day: dict[date, list[Override]] = {}
        for override in overrides:
            if not isinstance(override, Override):
                raise TypeError(f"overrides must be Override values, got {override!r}")
            by_day.setdefault(override.day, []).append(override)
        # All-day rows first so that a half-day row can refine them; sort is stable.
        self._overrides = {day: sorted(rows, key=lambda row: row.part != ALL_DAY) for day, rows in by_day.items()}

    # -- days --------------------------------------------------------------

    def _is_holiday(self, day: date) -> bool:
        if self._holidays is None:
            return day in _vietnam_year(day.year)[0]
        return day in self._holidays

    def _is_makeup_day(self, day: date) -> bool:
        if self._holidays is not None:
            return False
        # A swap listed under one year may trade against a day in the next or
        # previous year.
        return any(day in _vietnam_year(year)[1] for year in (day.year - 1, day.year, day.year + 1))

    def _working_parts(self, day: date) -> dict[str, bool]:
        if self._is_makeup_day(day):
            base = True
        else:
            base = day.weekday() < 5 and not self._is_holiday(day)
        parts = {MORNING: base, AFTERNOON: base}
        for override in self._overrides.get(day, ()):
            working = override.kind == WORKING
            if override.part == ALL_DAY:
                parts[MORNING] = parts[AFTERNOON] = working
            else:
                parts[override.part] = working
        return parts

    def _check_day(self, day: date) -> date:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"day must be a date, got {day!r}")
        return day

    def sessions_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office sessions actually held on ``day``, after overrides.

        Only time inside these sessions counts towards a legal time limit.
        """
        parts = self._working_parts(self._check_day(day))
        return [
            (datetime.combine(day, start, tzinfo=TZ), datetime.combine(day, end, tzinfo=TZ))
            for start, end in self.sessions
            if parts[MORNING if start < _NOON else AFTERNOON]
        ]

    def is_working_day(self, day: date) -> bool:
        """A day with at least one session held counts as a working day."""
        return bool(self.sessions_on(day))

    # -- instants ----------------------------------------------------------

    def _advance(self, start: datetime, microseconds: int) -> datetime:
        """Earliest instant at which ``microseconds`` of session time have passed.

        Walks day by day; returning the end of a session rather than the start
        of the next one keeps a limit that ends at 17:00 due that same day.
        """
        remaining = timedelta(microseconds=microseconds)
        day = start.date()
        idle_days = 0
        while True:
            sessions = self.sessions_on(day)
            if sessions:
                idle_days = 0
            else:
                idle_days += 1
                if idle_days > _MAX_IDLE_DAYS:
                    raise ValueError(f"no working session within {_MAX_IDLE_DAYS} days after {start.isoformat()}")
            for session_start, session_end in sessions:
                if session_end <= start:
                    continue
                begin = max(session_start, start)
                available = session_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)

    def clock_start(self, received_at: datetime) -> datetime:
        """When the legal time limit starts for a case received at ``received_at``.

        After the cut-off the office cannot process the case that day, so the
        day is not charged to the office: counting starts the next working day.
        """
        local = _require_aware(received_at, "received_at")
        if local.time() > self.cutoff:
            next_day = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=TZ)
            return self._advance(next_day, 0)
        return self._advance(local, 0)

    def add_working_hours(self, start: datetime, hours) -> datetime:
        """The instant ``hours`` working hours after ``start`` (no cut-off applied).

        ``start`` outside office hours is first moved to the next session, since
        only session time counts.  ``hours`` may be int, float, Decimal or
        Fraction and must be >= 0.
        """
        local = _require_aware(start, "start")
        return self._advance(local, _to_microseconds(hours, "hours"))

    def add_working_days(self, start: datetime, days) -> datetime:
        """Working days are counted as ``HOURS_PER_DAY`` working hours each, so
        that half-day limits and cases started mid-day end at the same clock time."""
        local = _require_aware(start, "start")
        return self._advance(local, HOURS_PER_DAY * _to_microseconds(days, "days"))

    def deadline(self, received_at: datetime, *, days=0, hours=0) -> datetime:
        """Due instant for a case with a limit of ``days`` working days plus ``hours``
        working hours, counted from the legal clock start of its receipt."""
        total = HOURS_PER_DAY * _to_microseconds(days, "days") + _to_microseconds(hours, "hours")
        return self._advance(self.clock_start(received_at), total)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours elapsed in [start, end]; negative if ``end`` is before ``start``.

        Measures how much of a legal time limit has been used (or overrun).
        """
        start = _require_aware(start, "start")
        end = _require_aware(end, "end")
        if end < start:
            return -self.working_hours_between(end, start)
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            for session_start, session_end in self.sessions_on(day):
                begin = max(session_start, start)
                finish = min(session_end, end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return (total // timedelta(microseconds=1)) / _MICROSECONDS_PER_HOUR

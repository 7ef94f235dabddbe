"""Legal time limits of procedures, counted on the working calendar."""

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from govportal.cases.clocks import hours_exact
from govportal.tiers import calendar as cal
from govportal.tiers.calendar import WorkCalendar
from procedures.models import Procedure, TimeLimitUnit


def deadline_for(procedure: Procedure, received_at: datetime, calendar: WorkCalendar) -> datetime:
    """The due instant of a dossier received at `received_at`.

    Working days and hours use the calendar (8-hour days, 15:00 cut-off).
    Calendar days end at the close of the Nth day, moved to the next working day
    when that day is not one (the usual rule for limits in days).
    """
    value = Decimal(procedure.time_limit_value)
    if procedure.time_limit_unit == TimeLimitUnit.WORKING_HOURS:
        return calendar.deadline(received_at, hours=value)
    if procedure.time_limit_unit == TimeLimitUnit.WORKING_DAYS:
        return calendar.deadline(received_at, days=value)
    day = timezone.localtime(calendar.clock_start(received_at)).date() + timedelta(days=int(value))
    for _ in range(60):
        if calendar.is_working_day(day):
            return calendar.sessions_on(day)[-1][1]
        day += timedelta(days=1)
    raise ValueError("no working day within 60 days")


def limit_hours(procedure: Procedure, received_at: datetime, calendar: WorkCalendar) -> Fraction:
    """The procedure's legal time limit in working hours (what shares and extensions are counted on)."""
    value = Fraction(procedure.time_limit_value)
    if procedure.time_limit_unit == TimeLimitUnit.WORKING_HOURS:
        return value
    if procedure.time_limit_unit == TimeLimitUnit.WORKING_DAYS:
        return value * cal.HOURS_PER_DAY
    # Calendar days: the working time between the clock start and the original deadline.
    start = calendar.clock_start(received_at)
    return hours_exact(calendar.working_hours_between(start, deadline_for(procedure, received_at, calendar)))


# --- the apology (docs/0006) ------------------------------------------------------------


def apology_max_extension_factor() -> Fraction:
    """How many times the procedure's own limit an apology may add after the legal due date."""
    factor = Fraction(str(getattr(settings, "APOLOGY_MAX_EXTENSION_FACTOR", 1)))
    if factor <= 0:
        raise ImproperlyConfigured(f"APOLOGY_MAX_EXTENSION_FACTOR must be more than 0, got {factor}")
    return factor


def apology_latest_at(due_at: datetime, calendar: WorkCalendar) -> datetime:
    """The apology must be sent at the latest on the working day before the legal due date.

    Returns the first instant at which it is too late: midnight (Asia/Ho_Chi_Minh)
    after the last working day before the due date's day. A Saturday before a Monday
    due date is already too late: the rule names the working day before.
    """
    day = timezone.localtime(due_at, cal.TZ).date() - timedelta(days=1)
    for _ in range(400):
        if calendar.is_working_day(day):
            return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=cal.TZ)
        day -= timedelta(days=1)
    raise ValueError("no working day in the year before the due date")


def apology_max_date(procedure: Procedure, due_at: datetime, received_at: datetime, calendar: WorkCalendar):
    """The latest date an apology may promise: the legal due date plus the limit again (times the factor)."""
    extra = limit_hours(procedure, received_at, calendar) * apology_max_extension_factor()
    return calendar.add_working_hours(due_at, extra)

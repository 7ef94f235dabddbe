"""Legal time limits of procedures, counted on the working calendar."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

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

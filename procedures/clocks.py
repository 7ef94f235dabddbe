"""The legal clocks of dossiers: the shared engine (govportal.cases.clocks) run for the dossier kind.

The steps (due soon, overdue, escalated to the head, to the city), their
rules and their once-only claims live in `govportal.cases.clocks`, the same
for every kind of case. What is the dossiers' own is here: a dossier's time
limit comes from its procedure (`procedures.deadlines.limit_hours`), the
longest limit of the catalogue bounds the due-soon look-ahead, and the staff
notice of a clock event is `procedures.notify_dossier_clock`.
"""

from datetime import datetime
from fractions import Fraction

from django.db.models import Max

from govportal.cases import clocks as engine
from govportal.cases.clocks import (  # noqa: F401  (the names callers and tests know)
    DUE_SOON,
    ESCALATED_TO_CITY,
    ESCALATED_TO_HEAD,
    FLAGS,
    KINDS,
    OVERDUE,
    city_after_working_days,
    city_escalation_at,
    due_soon_share,
)
from govportal.tasks import dispatch_or_log
from govportal.tiers import calendar as cal
from govportal.tiers.selectors import coordinating_unit  # noqa: F401
from procedures.deadlines import limit_hours  # noqa: F401
from procedures.models import Dossier, DossierEvent, Procedure, TimeLimitUnit


def _kind():
    from procedures.case_kind import dossier_kind

    return dossier_kind()


# --- what the dossier kind gives the engine -----------------------------------------------


def _max_limit_hours(limit_unit: str, value) -> Fraction:
    """An upper bound of `limit_hours` for any procedure with this limit."""
    value = Fraction(value)
    if limit_unit == TimeLimitUnit.WORKING_HOURS:
        return value
    if limit_unit == TimeLimitUnit.WORKING_DAYS:
        return value * cal.HOURS_PER_DAY
    # N calendar days touch at most N + 1 working days (moving past days off adds none).
    return (value + 1) * cal.HOURS_PER_DAY


def longest_limit_hours() -> Fraction | None:
    """The longest time limit in the catalogue, in working hours (None for an empty catalogue)."""
    return max(
        (
            _max_limit_hours(row["time_limit_unit"], row["top"])
            for row in Procedure.objects.order_by().values("time_limit_unit").annotate(top=Max("time_limit_value"))
            if row["top"] is not None
        ),
        default=None,
    )


def dossier_limit_hours(dossier: Dossier, calendar: cal.WorkCalendar) -> Fraction:
    return limit_hours(dossier.procedure, dossier.received_at, calendar)


def queue_clock_notification(event_id: int) -> None:
    from procedures.clock_tasks import notify_dossier_clock

    # Not swept: the event stays in the dossier's timeline and the workbench's due/overdue filters.
    dispatch_or_log(notify_dossier_clock, event_id, recovered_by="the notification sweep")


# --- the steps and the sweep, for dossiers ---------------------------------------------------


def due_soon_reached(dossier: Dossier, *, now: datetime, calendar: cal.WorkCalendar, share: Fraction) -> bool:
    return engine.due_soon_reached(_kind(), dossier, now=now, calendar=calendar, share=share)


def dossier_warn_due_soon(
    *, dossier: Dossier, now: datetime | None = None, calendar: cal.WorkCalendar | None = None
) -> DossierEvent | None:
    return engine.warn_due_soon(_kind(), case=dossier, now=now, calendar=calendar)


def dossier_flag_overdue(*, dossier: Dossier, now: datetime | None = None) -> DossierEvent | None:
    return engine.flag_overdue(_kind(), case=dossier, now=now)


def dossier_escalate_to_head(*, dossier: Dossier, now: datetime | None = None) -> DossierEvent | None:
    return engine.escalate_to_head(_kind(), case=dossier, now=now)


def dossier_escalate_to_city(
    *, dossier: Dossier, now: datetime | None = None, calendar: cal.WorkCalendar | None = None
) -> DossierEvent | None:
    return engine.escalate_to_city(_kind(), case=dossier, now=now, calendar=calendar)


def clocks_run(*, now: datetime | None = None) -> dict[str, int]:
    """Fire every clock step of dossiers that is due, once; returns how many fired per step (and errors)."""
    return engine.clocks_run(_kind(), now=now)


# --- notifications (staff only) ---------------------------------------------------------
# Texts and recipients live with every other dossier notification, in
# procedures.notifications (STAFF_MESSAGES, `staff_recipients`: the assignee,
# else the unit's officers and heads; heads for overdue; the city after that).


def dossier_clock_notify(*, event_id: int) -> int:
    """Notify the staff of one clock event; the source key makes a second run send nothing.

    Returns how many users got something new in this run.
    """
    from procedures.notifications import dossier_event_notify

    return dossier_event_notify(event_id=event_id)

"""Counts of 1022 reports behind the dashboards' indicators, per unit or category and day of filing (docs/0009).

Each report counts for the unit answering for it on the local day it was
recorded. A report merged into another (rejected as a duplicate) is not
counted: the original stands for every reporter. Spam is not counted either.
The counts:

* total: reports recorded;
* evaluated / on_time / late_open: judged once answered or rejected, or late
  (the one definition of overdue, `overdue_q`: a committed date never counts,
  a reopened report runs again to the same legal date);
* answered / reopened: answers given, and reports the reporter reopened;
* rated / satisfied / rating_sum: ratings of the answer (satisfied: 4 or 5).
"""

from datetime import date, datetime

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from feedback.models import Report
from feedback.workflow import OPEN, RejectionReason
from govportal.cases import indicators as calendar
from govportal.cases.indicators import SATISFIED_FROM
from govportal.cases.models import overdue_q

COUNTERS = ("total", "evaluated", "on_time", "late_open", "answered", "reopened", "rated", "satisfied", "rating_sum")

NOT_COUNTED = (RejectionReason.DUPLICATE, RejectionReason.SPAM)


def _counted():
    return Report.objects.filter(submitted_at__isnull=False).exclude(rejection_reason__in=NOT_COUNTED)


def _counts(now: datetime) -> dict:
    judged = Q(due_at__isnull=False)
    finished = Q(decided_at__isnull=False) | Q(closed_at__isnull=False)
    late = overdue_q(now)
    unfinished = Q(decided_at__isnull=True, closed_at__isnull=True)
    return {
        "total": Count("id"),
        "evaluated": Count("id", filter=judged & (finished | late)),
        "on_time": Count("id", filter=judged & finished & ~late),
        "late_open": Count("id", filter=judged & unfinished & late),
        "answered": Count("id", filter=Q(answered_at__isnull=False)),
        "reopened": Count("id", filter=Q(answered_at__isnull=False, reopen_count__gt=0)),
        "rated": Count("id", filter=Q(satisfaction__isnull=False)),
        "satisfied": Count("id", filter=Q(satisfaction__gte=SATISFIED_FROM)),
        "rating_sum": Coalesce(Sum("satisfaction"), 0),
    }


def report_counts(*, now: datetime, by=("unit",), days=None, unit_id=None, day_from=None, day_to=None):
    """The counters grouped by `by` ("unit", "category" or both) and local day of filing: a list of dicts."""
    keys = {"unit": "acting_unit", "category": "category__code"}
    reports = _counted()
    if days is not None:
        reports = reports.filter(calendar.days_q(days))
    reports = calendar.with_acting_unit(calendar.in_period(reports, day_from=day_from, day_to=day_to))
    if unit_id is not None:
        reports = reports.filter(acting_unit=unit_id)
    rows = (
        reports.annotate(**{f"by_{name}": F(keys[name]) for name in by}, day=calendar.filing_day())
        .values(*(f"by_{name}" for name in by), "day")
        .annotate(**_counts(now))
        .order_by()
    )
    return list(rows)


def days_turning_late(*, since: datetime, until: datetime) -> set[date]:
    """Filing days of open reports whose legal due date passed in (since, until]."""
    return calendar.days_turning_late(Report.objects.all(), open_statuses=OPEN, since=since, until=until)


def late_reports(*, unit_id: int, day_from: date, day_to: date, now: datetime):
    """The reports behind a unit's late count in a period (drill-down), latest due first."""
    reports = calendar.in_period(_counted(), day_from=day_from, day_to=day_to)
    return (
        calendar.with_acting_unit(reports)
        .filter(overdue_q(now), acting_unit=unit_id)
        .select_related("category", "assigned_to", "handling_unit", "receiving_unit")
        .order_by("-due_at", "-id")
    )

"""What every kind's indicator counts share (docs/0009): filing days, periods, cases that turn late with time.

Each case app says what its indicators count (`procedures.indicators`,
`feedback.indicators`); this module holds the calendar of those counts, the
same for every kind: a case belongs to the local day it was filed.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate

# A rating of 4 or 5 out of 5 is "satisfied" in every kind's satisfaction rate.
SATISFIED_FROM = 4


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """The first instant of a local day."""
    return datetime.combine(day, datetime.min.time(), tzinfo=local_zone())


def filing_day():
    """The local day a case was filed, as a database expression."""
    return TruncDate("submitted_at", tzinfo=local_zone())


def days_q(days, field: str = "submitted_at") -> Q:
    """Cases filed on any of these local days (one range per day: the index on the filing time serves them)."""
    query = Q(pk__in=[])
    for day in sorted(set(days)):
        query |= Q(**{f"{field}__gte": day_start(day), f"{field}__lt": day_start(day + timedelta(days=1))})
    return query


def in_period(cases: QuerySet, *, day_from: date | None = None, day_to: date | None = None) -> QuerySet:
    """Cases filed from `day_from` to `day_to` (inclusive, local days); an open end is no limit."""
    if day_from is not None:
        cases = cases.filter(submitted_at__gte=day_start(day_from))
    if day_to is not None:
        cases = cases.filter(submitted_at__lt=day_start(day_to + timedelta(days=1)))
    return cases


def with_acting_unit(cases: QuerySet) -> QuerySet:
    """Alias `acting_unit`: the unit answering for a case (the handler, else the receiver until routed)."""
    return cases.alias(acting_unit=Coalesce("handling_unit_id", "receiving_unit_id"))


def days_turning_late(cases: QuerySet, *, open_statuses, since: datetime, until: datetime) -> set[date]:
    """Filing days of open cases whose legal due date passed in (since, until]: their lateness changed with time."""
    crossed = cases.filter(
        status__in=open_statuses,
        decided_at__isnull=True,
        closed_at__isnull=True,
        paused_at__isnull=True,
        due_at__gt=since,
        due_at__lte=until,
        submitted_at__isnull=False,
    )
    return set(crossed.annotate(day=filing_day()).values_list("day", flat=True).distinct())

"""Reads of the dashboards, the scorecard and the stats API: sums of the per-day aggregates, never a scan of cases.

Every figure of a period comes from `DossierUnitDay`, `ReportUnitDay` and
`DossierFieldDay` (a few rows per unit and day). Only the unit dashboard's live
parts (what falls due next, each officer's load, the late cases behind a
count) read the cases themselves, one unit at a time.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from govportal.dashboard import scoring
from govportal.dashboard.models import (
    DossierCounters,
    DossierFieldDay,
    DossierUnitDay,
    DossierUnitFieldDay,
    DossierUnitMonth,
    ReportCategoryDay,
    ReportCounters,
    ReportUnitDay,
    ReportUnitMonth,
)
from govportal.tiers.models import Unit

DOSSIER_COUNTERS = tuple(f.name for f in DossierCounters._meta.get_fields())
REPORT_COUNTERS = tuple(f.name for f in ReportCounters._meta.get_fields())
# The units a dashboard lists: the 168 commune-level units and the city's departments (and the city's own
# coordinating unit when it handled something in the period).
LISTED_KINDS = ("ward", "commune", "special_zone", "department")


@dataclass(frozen=True)
class Period:
    day_from: date
    day_to: date  # inclusive

    @property
    def days(self) -> int:
        return (self.day_to - self.day_from).days + 1


def default_period(today: date | None = None) -> Period:
    """The year so far: the national evaluation is yearly (and quarterly)."""
    today = today or timezone.localdate()
    return Period(date(today.year, 1, 1), today)


@dataclass
class UnitRow:
    unit: Unit
    counts: dict
    score: scoring.Score
    rank: int | None = None
    extra: dict = field(default_factory=dict)


def _sums(names) -> dict:
    return {name: Sum(name) for name in names}


def _in_period(period: Period) -> Q:
    return Q(day__gte=period.day_from, day__lte=period.day_to)


def _clean(row: dict, names) -> dict:
    return {name: int(row.get(name) or 0) for name in names}


def _full_months(period: Period) -> tuple[date, date] | None:
    """The first and last whole months inside the period (their first days), or None."""
    first = period.day_from if period.day_from.day == 1 else _next_month(period.day_from)
    ends_a_month = _next_month(period.day_to) - timedelta(days=1) == period.day_to
    last = period.day_to.replace(day=1) if ends_a_month else _previous_month(period.day_to.replace(day=1))
    if first > last:
        return None
    return first, last


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _previous_month(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def _period_rows(day_model, month_model, period: Period):
    """Querysets that together cover the period once: whole months from the month table, the edges by day."""
    months = _full_months(period)
    if months is None:
        return [day_model.objects.filter(_in_period(period))]
    first, last = months
    querysets = [month_model.objects.filter(month__gte=first, month__lte=last)]
    if period.day_from < first:
        querysets.append(day_model.objects.filter(day__gte=period.day_from, day__lt=first))
    after = _next_month(last)
    if period.day_to >= after:
        querysets.append(day_model.objects.filter(day__gte=after, day__lte=period.day_to))
    return querysets


def counts_by_unit(period: Period, *, unit_ids=None) -> dict[int, dict]:
    """{unit_id: {"dossier": {...}, "report": {...}}} over the period: grouped sums of month and edge-day rows."""
    result: dict[int, dict] = {}
    for kind, day_model, month_model, names in (
        ("dossier", DossierUnitDay, DossierUnitMonth, DOSSIER_COUNTERS),
        ("report", ReportUnitDay, ReportUnitMonth, REPORT_COUNTERS),
    ):
        for rows in _period_rows(day_model, month_model, period):
            if unit_ids is not None:
                rows = rows.filter(unit_id__in=unit_ids)
            for row in rows.values("unit_id").annotate(**_sums(names)).order_by():
                into = result.setdefault(row["unit_id"], {}).setdefault(kind, dict.fromkeys(names, 0))
                for name in names:
                    into[name] += int(row[name] or 0)
    return result


def city_counts(period: Period, *, unit_ids=None) -> dict:
    """The city's totals over the period (all units, or these)."""
    result = {"dossier": dict.fromkeys(DOSSIER_COUNTERS, 0), "report": dict.fromkeys(REPORT_COUNTERS, 0)}
    for counts in counts_by_unit(period, unit_ids=unit_ids).values():
        for kind, values in counts.items():
            for name, value in values.items():
                result[kind][name] += value
    return result


def listed_units():
    return Unit.objects.filter(is_active=True, kind__in=LISTED_KINDS).order_by("tier", "name")


def scoreboard(period: Period) -> list[UnitRow]:
    """Every listed unit with its counts and score, best total first; units with nothing to score last."""
    counts = counts_by_unit(period)
    units = list(listed_units())
    listed = {unit.pk for unit in units}
    # A unit outside the list (the city's coordinating unit) appears when it handled cases in the period.
    others = [unit_id for unit_id in counts if unit_id not in listed]
    if others:
        units += list(Unit.objects.filter(pk__in=others))
    rows = [UnitRow(unit, counts.get(unit.pk, {}), scoring.score(counts.get(unit.pk, {}))) for unit in units]
    rows.sort(key=lambda row: (row.score.total is None, -(row.score.total or 0), row.unit.name))
    rank = 0
    for row in rows:
        if row.score.total is not None:
            rank += 1
            row.rank = rank
    return rows


def trend(period: Period, *, every: str = "week", unit_id: int | None = None) -> list[dict]:
    """Per week or month of the period: its first day, the counts and the score (charts over time)."""
    trunc = {"week": TruncWeek, "month": TruncMonth}[every]
    buckets: dict[date, dict] = {}
    # A unit's trend reads its own day rows; the city's the small city-wide tables (per field, per category).
    for kind, model, names in (
        ("dossier", DossierUnitDay if unit_id is not None else DossierFieldDay, DOSSIER_COUNTERS),
        ("report", ReportUnitDay if unit_id is not None else ReportCategoryDay, REPORT_COUNTERS),
    ):
        rows = model.objects.filter(_in_period(period))
        if unit_id is not None:
            rows = rows.filter(unit_id=unit_id)
        for row in rows.annotate(start=trunc("day")).values("start").annotate(**_sums(names)).order_by("start"):
            start = row["start"]
            start = start.date() if hasattr(start, "date") and callable(start.date) else start
            buckets.setdefault(start, {})[kind] = _clean(row, names)
    return [
        {"start": start, "counts": counts, "score": scoring.score(counts)} for start, counts in sorted(buckets.items())
    ]


def by_field(period: Period, *, unit_id: int | None = None) -> list[dict]:
    """Dossier counts per procedure field, city-wide or for one unit, from the per-day tables."""
    from procedures.models import Field

    rows = DossierFieldDay.objects if unit_id is None else DossierUnitFieldDay.objects.filter(unit_id=unit_id)
    sums = rows.filter(_in_period(period)).values("field").annotate(**_sums(DOSSIER_COUNTERS)).order_by()
    labels = dict(Field.choices)
    result = [
        {
            "field": row["field"],
            "label": str(labels.get(row["field"], row["field"])),
            "counts": {"dossier": _clean(row, DOSSIER_COUNTERS)},
        }
        for row in sums
    ]
    result.sort(key=lambda item: -item["counts"]["dossier"]["total"])
    return result


def units_green(rows: list[UnitRow]) -> int:
    return sum(1 for row in rows if row.score.green)


# --- the unit dashboard's live parts (one unit's open cases) ---------------------------------


def due_next(unit_id: int, *, limit: int = 20, within_days: int = 5) -> dict:
    """The unit's open dossiers and reports whose legal due date comes next (within a few days)."""
    from feedback.models import Report
    from procedures.models import Dossier

    now = timezone.now()
    horizon = now + timedelta(days=within_days)
    result = {}
    for name, model, related in (
        ("dossiers", Dossier, ("procedure", "assigned_to")),
        ("reports", Report, ("category", "assigned_to")),
    ):
        cases = (
            model.objects.filter(
                decided_at__isnull=True,
                closed_at__isnull=True,
                paused_at__isnull=True,
                due_at__gt=now,
                due_at__lte=horizon,
            )
            .filter(Q(handling_unit_id=unit_id) | Q(handling_unit__isnull=True, receiving_unit_id=unit_id))
            .select_related(*related)
            .order_by("due_at", "id")
        )
        result[name] = list(cases[:limit])
    return result


def officer_load(unit_id: int) -> list[dict]:
    """Each officer and head of the unit with their open assigned dossiers and reports, and how many are late."""
    from feedback.models import Report
    from govportal.cases.models import overdue_q
    from identity.models import User
    from procedures.models import Dossier

    now = timezone.now()
    staff = list(
        User.objects.filter(postings__unit_id=unit_id, postings__role__in=["officer", "head"], postings__is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )
    loads = {user.pk: {"user": user, "dossiers": 0, "reports": 0, "late": 0} for user in staff}
    for name, model in (("dossiers", Dossier), ("reports", Report)):
        rows = (
            model.objects.filter(assigned_to__in=loads.keys(), decided_at__isnull=True, closed_at__isnull=True)
            .values("assigned_to")
            .annotate(open=Count("id"), late=Count("id", filter=overdue_q(now)))
            .order_by()
        )
        for row in rows:
            loads[row["assigned_to"]][name] += row["open"]
            loads[row["assigned_to"]]["late"] += row["late"]
    return sorted(loads.values(), key=lambda load: -(load["dossiers"] + load["reports"]))

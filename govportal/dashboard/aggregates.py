"""Keeping the per-day aggregates equal to a recount of the cases (docs/0009).

Two things change a day's counts: an event of a case filed that day (every
state change writes one: `mark_stale` listens to the event models), and time,
which makes an open case late when its legal due date passes
(`days_turning_late`). `stats_refresh` recounts exactly those days — one
grouped query per kind, by unit, field (or category) and day, folded here into
every table — so its cost follows the activity, not the size of the city.
`stats_rebuild` recounts everything (after a bulk import).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from feedback import indicators as report_indicators
from govportal.cases import indicators as calendar
from govportal.dashboard.models import (
    CountedUntil,
    DossierFieldDay,
    DossierUnitDay,
    DossierUnitFieldDay,
    DossierUnitMonth,
    ReportCategoryDay,
    ReportUnitDay,
    ReportUnitMonth,
    StaleDay,
)
from procedures import indicators as dossier_indicators

BATCH = 5000
# The grouping keys of the counts and the model fields that hold them.
KEY_FIELDS = {"unit": "unit_id", "field": "field", "category": "category"}
NOT_COUNTERS = frozenset({"id", "unit", "day", "month", "field", "category"})


@dataclass(frozen=True)
class Kind:
    name: str
    counts: object  # callable(now=, by=, days=) -> rows with "by_<key>" and "day"
    days_turning_late: object
    by: tuple  # the keys of the one grouped query
    tables: tuple  # (model, the keys it keeps): each a sum of the grouped rows
    months: tuple  # (per-day model, per-month model) of the units' counts


KINDS = {
    "dossier": Kind(
        "dossier",
        dossier_indicators.dossier_counts,
        dossier_indicators.days_turning_late,
        ("unit", "field"),
        ((DossierUnitFieldDay, ("unit", "field")), (DossierUnitDay, ("unit",)), (DossierFieldDay, ("field",))),
        (DossierUnitDay, DossierUnitMonth),
    ),
    "report": Kind(
        "report",
        report_indicators.report_counts,
        report_indicators.days_turning_late,
        ("unit", "category"),
        ((ReportUnitDay, ("unit",)), (ReportCategoryDay, ("category",))),
        (ReportUnitDay, ReportUnitMonth),
    ),
}


def local_day(instant: datetime) -> date:
    return timezone.localdate(instant, timezone=calendar.local_zone())


def mark_stale(kind: str, submitted_at: datetime | None) -> None:
    """The day this case was filed needs a recount (nothing for a draft)."""
    if submitted_at is not None:
        StaleDay.objects.create(kind=kind, day=local_day(submitted_at))


def counter_names(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.name not in NOT_COUNTERS]


def _tables_rows(kind: Kind, *, now: datetime, days=None) -> dict:
    """{model: [unsaved rows]}: one grouped query, summed into each table's keys."""
    grouped = kind.counts(now=now, by=kind.by, days=days)
    result = {}
    for model, keys in kind.tables:
        names = counter_names(model)
        sums: dict[tuple, dict] = defaultdict(lambda names=names: dict.fromkeys(names, 0))
        for row in grouped:
            key = tuple(row[f"by_{name}"] for name in keys)
            if None in key:
                continue
            into = sums[(*key, row["day"])]
            for name in names:
                into[name] += int(row[name] or 0)
        result[model] = [
            model(day=key[-1], **{KEY_FIELDS[name]: value for name, value in zip(keys, key, strict=False)}, **counts)
            for key, counts in sums.items()
        ]
    return result


def _recount(kind: Kind, *, now: datetime, days=None) -> None:
    """Replace the rows of these days (all days when None) with a fresh count, then their months."""
    for model, rows in _tables_rows(kind, now=now, days=days).items():
        stale = model.objects.all() if days is None else model.objects.filter(day__in=days)
        stale.delete()
        model.objects.bulk_create(rows, batch_size=BATCH)
    _roll_up(kind, months=None if days is None else {day.replace(day=1) for day in days})


def _month_q(months) -> Q:
    query = Q(pk__in=[])
    for month in months:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        query |= Q(day__gte=month, day__lt=following)
    return query


def _roll_up(kind: Kind, *, months=None) -> None:
    """Replace the month rows of these months (all when None) with the sums of their day rows."""
    day_model, month_model = kind.months
    names = counter_names(month_model)
    days = day_model.objects.all() if months is None else day_model.objects.filter(_month_q(months))
    sums = days.annotate(month=TruncMonth("day")).values("unit_id", "month").annotate(**{n: Sum(n) for n in names})
    rows = [month_model(**row) for row in sums.order_by()]
    stale = month_model.objects.all() if months is None else month_model.objects.filter(month__in=months)
    stale.delete()
    month_model.objects.bulk_create(rows, batch_size=BATCH)


def _lock_clock(name: str) -> CountedUntil | None:
    """One refresh of a kind at a time (the advisory lock also covers the very first, when no row exists yet).

    PostgreSQL's JIT compiles the recount query anew every time for more than
    the query costs (measured: 4.8 s of 5.3 s): it is off for this transaction.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"dashboard.refresh.{name}"])
            cursor.execute("SET LOCAL jit = off")
    return CountedUntil.objects.select_for_update().filter(kind=name).first()


def stats_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """Recount the days that changed since the last refresh; the first refresh of a kind counts everything.

    Returns how many days each kind recounted (-1: everything). Concurrent
    refreshes wait for each other.
    """
    now = now or timezone.now()
    recounted = {}
    for kind in KINDS.values():
        with transaction.atomic():
            clock = _lock_clock(kind.name)
            if clock is None:
                recounted[kind.name] = _rebuild_kind(kind, now=now)
                continue
            marks = list(StaleDay.objects.filter(kind=kind.name).values_list("id", "day"))
            days = {day for _, day in marks}
            if now > clock.at:
                days |= kind.days_turning_late(since=clock.at, until=now)
            if days:
                _recount(kind, now=now, days=days)
            StaleDay.objects.filter(id__in=[mark_id for mark_id, _ in marks]).delete()
            clock.at = max(clock.at, now)
            clock.save(update_fields=["at"])
            recounted[kind.name] = len(days)
    return recounted


def _rebuild_kind(kind: Kind, *, now: datetime) -> int:
    marks = list(StaleDay.objects.filter(kind=kind.name).values_list("id", flat=True))
    _recount(kind, now=now)
    StaleDay.objects.filter(id__in=marks).delete()
    CountedUntil.objects.update_or_create(kind=kind.name, defaults={"at": now})
    return -1


def roll_up_months() -> None:
    """Sum every day row into its month row again (after day rows were written by hand: tests, repairs)."""
    for kind in KINDS.values():
        _roll_up(kind)


def stats_rebuild(*, now: datetime | None = None) -> None:
    """Recount every day of every kind (after a bulk import, or to repair)."""
    now = now or timezone.now()
    for kind in KINDS.values():
        with transaction.atomic():
            _lock_clock(kind.name)
            _rebuild_kind(kind, now=now)


def counted_until() -> datetime | None:
    """When the figures were last brought up to date (the pages say "as of")."""
    times = list(CountedUntil.objects.values_list("at", flat=True))
    return min(times) if len(times) == len(KINDS) else None


# --- comparing the tables with a recount (tests, repairs) --------------------------------------


def recount_everything(*, now: datetime) -> dict[str, list]:
    """What the tables would hold after a full recount at `now`, without writing."""
    result = {}
    for kind in KINDS.values():
        for model, rows in _tables_rows(kind, now=now).items():
            result[model.__name__] = sorted(_as_tuple(row) for row in rows)
            if model is kind.months[0]:
                result[kind.months[1].__name__] = _months_of(kind.months[1], rows)
    return result


def stored_everything() -> dict[str, list]:
    """What the tables hold, in the shape of `recount_everything`."""
    result = {}
    for kind in KINDS.values():
        for model, _keys in kind.tables:
            result[model.__name__] = stored(model)
        result[kind.months[1].__name__] = stored(kind.months[1])
    return result


def stored(model, group_field: str = "") -> list:
    return sorted(_as_tuple(row) for row in model.objects.all())


def _months_of(month_model, day_rows) -> list:
    """The month rows a recount's day rows add up to (in Python: the recount does not write)."""
    names = counter_names(month_model)
    months: dict[tuple, dict] = {}
    for row in day_rows:
        into = months.setdefault((row.unit_id, row.day.replace(day=1)), dict.fromkeys(names, 0))
        for name in names:
            into[name] += getattr(row, name)
    rows = [month_model(unit_id=unit_id, month=month, **sums) for (unit_id, month), sums in months.items()]
    return sorted(_as_tuple(row) for row in rows)


def _as_tuple(row) -> tuple:
    fields = [f for f in row._meta.concrete_fields if f.name != "id"]
    return tuple((f.name, getattr(row, f.attname)) for f in fields)

"""The public scorecard: every listed unit's score and rank, and one unit's lines and trend (no login).

Only counts and ratios, never a person or a case: the figures come from the
per-day aggregates (`selectors.scoreboard`, `selectors.trend`). A period is a
year (the current one so far by default) or a quarter of it. The figures
change at most once a minute (the aggregates' refresh), so each period's data
is computed once and kept in the cache for 60 s under a key that holds the
period and `aggregates.counted_until()`: a refresh starts a new key at once.
Sorting and the name filter work on the cached rows, in memory.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from govportal.dashboard import aggregates, charts, scoring, selectors
from govportal.tiers.models import Unit
from govportal.tiers.unit_data import fold

CACHE_SECONDS = 60
# The 168 units exist since the reorganisation of 1 July 2025: no earlier year has figures to show.
FIRST_YEAR = 2025
QUARTER_MONTHS = {1: (1, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}
FILTER_MAX = 100


@dataclass(frozen=True)
class Choice:
    """The period a visitor asked for, understood: the dates, what the page calls it, the form's values."""

    period: selectors.Period
    year: int
    quarter: int | None
    error: str | None = None

    @property
    def query(self) -> str:
        return f"year={self.year}" + (f"&quarter={self.quarter}" if self.quarter else "")


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first, last = QUARTER_MONTHS[quarter]
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


def period_choice(params, *, today: date | None = None) -> Choice:
    """GET `year` (FIRST_YEAR..this year) and `quarter` (1-4): a period up to today; bad input gives the default."""
    today = today or timezone.localdate()
    default = Choice(selectors.default_period(today), today.year, None)
    raw_year, raw_quarter = (params.get("year") or "").strip(), (params.get("quarter") or "").strip()
    if not raw_year and not raw_quarter:
        return default

    def refused(message: str) -> Choice:
        return Choice(default.period, default.year, None, message)

    try:
        year = int(raw_year) if raw_year else today.year
    except ValueError:
        return refused(_("The year must be a number, such as %(year)d.") % {"year": today.year})
    if not FIRST_YEAR <= year <= today.year:
        return refused(
            _("Figures exist for the years %(first)d to %(last)d only.") % {"first": FIRST_YEAR, "last": today.year}
        )
    if not raw_quarter:
        return Choice(selectors.Period(date(year, 1, 1), min(date(year, 12, 31), today)), year, None)
    try:
        quarter = int(raw_quarter)
    except ValueError:
        quarter = 0
    if quarter not in QUARTER_MONTHS:
        return refused(_("The quarter must be 1, 2, 3 or 4."))
    first, last = _quarter_bounds(year, quarter)
    if first > today:
        return refused(_("That quarter has not begun yet."))
    return Choice(selectors.Period(first, min(last, today)), year, quarter)


# --- the data behind the pages (plain values: cached, then labelled in the visitor's language) -------


def _line_data(line: scoring.Line) -> dict:
    return {
        "key": line.indicator.key,
        "numerator": line.numerator,
        "denominator": line.denominator,
        "percent": None if line.ratio is None else round(line.ratio * 100, 1),
        "score": line.score,
        "meets_target": line.meets_target,
    }


def _key(*parts) -> str:
    counted = aggregates.counted_until()
    return ":".join(["dashboard", "scorecard", *map(str, parts), counted.isoformat() if counted else "none"])


def scorecard_data(period: selectors.Period) -> dict:
    """Every listed unit's rank, total, green and indicator lines over the period (cached for 60 s)."""
    key = _key(period.day_from.isoformat(), period.day_to.isoformat())
    data = cache.get(key)
    if data is None:
        rows = selectors.scoreboard(period)
        data = {
            "rows": [
                {
                    "code": row.unit.code,
                    "name": row.unit.name,
                    "name_en": row.unit.name_en,
                    "rank": row.rank,
                    "total": row.score.total,
                    "green": row.score.green,
                    "lines": [_line_data(line) for line in row.score.lines],
                }
                for row in rows
            ],
            "green": selectors.units_green(rows),
        }
        cache.set(key, data, CACHE_SECONDS)
    return data


def unit_trend_data(period: selectors.Period, unit_id: int, code: str) -> list[dict]:
    """One unit's months of the period: total, green and lines (cached for 60 s)."""
    key = _key("trend", code, period.day_from.isoformat(), period.day_to.isoformat())
    data = cache.get(key)
    if data is None:
        data = [
            {
                "start": bucket["start"],
                "total": bucket["score"].total,
                "green": bucket["score"].green,
                "lines": [_line_data(line) for line in bucket["score"].lines],
            }
            for bucket in selectors.trend(period, every="month", unit_id=unit_id)
        ]
        cache.set(key, data, CACHE_SECONDS)
    return data


# --- sorting and filtering the table ---------------------------------------------------------------


def _sort_keys() -> dict:
    """sort value -> (column label, value of a row); None values always sort last."""
    keys = {
        "rank": (_("Rank"), lambda row: row["rank"]),
        "unit": (_("Unit"), lambda row: fold(row["name"])),
        "total": (_("Total score"), lambda row: row["total"]),
    }
    for index, indicator in enumerate(scoring.indicators()):
        keys[indicator.key] = (indicator.label, lambda row, i=index: row["lines"][i]["percent"])
    return keys


def sort_rows(rows: list[dict], sort: str) -> tuple[list[dict], str, bool]:
    """Rows ordered by `sort` ("total", "-total"...): unknown values fall back to the rank."""
    keys = _sort_keys()
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    if column not in keys:
        column, descending = "rank", False
    value = keys[column][1]
    if column == "rank":  # the scoreboard's own order (ties by name), the unranked last either way
        ranked = [row for row in rows if row["rank"] is not None]
        return (
            (ranked[::-1] if descending else ranked) + [row for row in rows if row["rank"] is None],
            column,
            descending,
        )
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    present.sort(key=lambda row: fold(row["name"]))
    present.sort(key=value, reverse=descending)  # stable: ties stay in name order either way
    missing.sort(key=lambda row: fold(row["name"]))
    return present + missing, column, descending


def _columns(column: str, descending: bool, choice: Choice, query: str) -> list[dict]:
    """The table's sortable headers: label, aria-sort and the link that sorts by it (or the other way)."""
    result = []
    base = choice.query + (f"&{urlencode({'q': query})}" if query else "")
    for key, (label, _value) in _sort_keys().items():
        current = key == column
        # A first click sorts scores and percentages best first, ranks and names A-Z.
        next_descending = (not descending) if current else key not in ("rank", "unit")
        result.append(
            {
                "key": key,
                "label": label,
                "aria_sort": ("descending" if descending else "ascending") if current else None,
                "href": f"?{base}&sort={'-' if next_descending else ''}{key}",
                "is_indicator": key not in ("rank", "unit", "total"),
            }
        )
    return result


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _labelled(item: dict) -> dict:
    """A cached row or month with its indicators (labels in the visitor's language) and whether it has a score."""
    lines = [
        {**line, "indicator": indicator} for indicator, line in zip(scoring.indicators(), item["lines"], strict=True)
    ]
    return {**item, "lines": lines, "scored": item["total"] is not None}


def _trend_chart(trend: list[dict]):
    """The total and the on-time rate by month, as an SVG line chart (the table under it has every number)."""
    on_time = next(index for index, item in enumerate(scoring.indicators()) if item.key == "on_time")

    def text(value):
        return "–" if value is None else number_format(value, 1)

    totals = [month["total"] for month in trend]
    rates = [month["lines"][on_time]["percent"] for month in trend]
    return charts.line_chart(
        [month["start"].strftime("%m/%Y") for month in trend],
        [
            charts.Series(_("Total score"), totals, [text(value) for value in totals]),
            charts.Series(
                scoring.indicators()[on_time].label + " (%)",
                rates,
                [text(value) for value in rates],
                colour="second",
                dashed=True,
            ),
        ],
        chart_id="scorecard-trend-chart",
        title=_("Total score and dossiers handled on time, by month"),
        desc=_("A line chart of the unit's total score (out of 100) and its on-time rate (percent) for each month."),
        y_max=100,
    )


def _years(today: date) -> list[int]:
    return list(range(today.year, FIRST_YEAR - 1, -1))


# --- the pages -------------------------------------------------------------------------------------------------


@require_GET
def scorecard(request):
    """Every listed unit's score and rank over the period, the number of units green, the indicators' rules."""
    today = timezone.localdate()
    choice = period_choice(request.GET, today=today)
    data = scorecard_data(choice.period)
    rows, column, descending = sort_rows(data["rows"], request.GET.get("sort", "rank"))
    query = (request.GET.get("q") or "").strip()[:FILTER_MAX]
    if query:
        folded = fold(query)
        rows = [row for row in rows if folded in fold(row["name"]) or folded in fold(row["name_en"])]
    context = {
        "choice": choice,
        "years": _years(today),
        "quarters": list(QUARTER_MONTHS),
        "units_green": data["green"],
        "units_listed": len(data["rows"]),
        "rows": [_labelled(row) for row in rows],
        "columns": _columns(column, descending, choice, query),
        "sort": ("-" if descending else "") + column,
        "query": query,
        "indicators": scoring.indicators(),
        "source_note": scoring.source_note(),
        "counted_until": aggregates.counted_until(),
        "english": _english(),
    }
    return render(request, "dashboard/scorecard.html", context)


@require_GET
def scorecard_unit(request, code):
    """One unit's indicator lines, rank and months over the period."""
    today = timezone.localdate()
    choice = period_choice(request.GET, today=today)
    data = scorecard_data(choice.period)
    row = next((row for row in data["rows"] if row["code"] == code), None)
    if row is None:
        raise Http404
    unit = Unit.objects.only("pk", "code", "name", "name_en").get(code=code)
    trend = unit_trend_data(choice.period, unit.pk, code)
    context = {
        "choice": choice,
        "years": _years(today),
        "quarters": list(QUARTER_MONTHS),
        "row": _labelled(row),
        "ranked": sum(1 for other in data["rows"] if other["rank"] is not None),
        "trend": [_labelled(month) for month in trend],
        "trend_chart": _trend_chart(trend) if trend else "",
        "indicators": scoring.indicators(),
        "counted_until": aggregates.counted_until(),
        "english": _english(),
    }
    return render(request, "dashboard/scorecard_unit.html", context)

"""The city dashboard (city admins) and a unit's dashboard (its head, city admins), with CSV exports.

Thin views: every figure comes from `govportal.dashboard.selectors` (sums of
the per-day aggregates); this module only shapes them for the templates and
the charts. Who may see what is `identity.access` ("dashboard.view_city",
"dashboard.view_unit"); an anonymous visitor is sent to the login page.
"""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from govportal.dashboard import aggregates, charts, csv_export, scoring, selectors
from govportal.dashboard.forms import PeriodForm
from govportal.tiers.models import Unit
from govportal.tiers.unit_data import fold
from identity import access

# The score chart shows the best and the lowest N units (all of them with ?bars=all).
CHART_ENDS = 10
LATE_PAGE_SIZE = 50
# Sortable columns of the units table: key -> (default direction is descending?).
FIXED_SORTS = {"rank": False, "unit": False, "dossiers": True, "score": True, "green": True}


# --- formatting (numbers as the reader's language writes them) ----------------------------


def fmt_int(value) -> str:
    return formats.number_format(int(value or 0), force_grouping=True)


def fmt_pct(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    return formats.number_format(round(ratio * 100, 1), decimal_pos=1, force_grouping=True) + " %"


def fmt_score(value: float | None) -> str:
    if value is None:
        return "–"
    return formats.number_format(round(value, 1), decimal_pos=1)


def unit_label(unit) -> str:
    english = (get_language() or "").startswith("en")
    return unit.name_en if english and unit.name_en else unit.name


# --- access --------------------------------------------------------------------------------


def _require_city(user) -> None:
    if not access.can(user, "dashboard.view_city"):
        raise PermissionDenied


def _unit_for(user, code: str) -> Unit:
    unit = get_object_or_404(Unit, code=code)
    if not access.can(user, "dashboard.view_unit", unit):
        raise PermissionDenied
    return unit


# --- shared pieces -------------------------------------------------------------------------


def _period_form(request) -> PeriodForm:
    keys = ("from", "to", "every")
    bound = any(key in request.GET for key in keys)
    return PeriodForm(request.GET if bound else None)


def _period_query(period: selectors.Period, every: str | None = None) -> str:
    query = f"from={period.day_from.isoformat()}&to={period.day_to.isoformat()}"
    return f"{query}&every={every}" if every else query


def _bucket_starts(period: selectors.Period, every: str) -> list[date]:
    """Every week (from its Monday) or month (from its first day) the period touches, empty ones included."""
    starts = []
    if every == "week":
        start = period.day_from - timedelta(days=period.day_from.weekday())
        while start <= period.day_to:
            starts.append(start)
            start += timedelta(days=7)
    else:
        start = period.day_from.replace(day=1)
        while start <= period.day_to:
            starts.append(start)
            start = (start + timedelta(days=32)).replace(day=1)
    return starts


def trend_rows(period: selectors.Period, every: str, unit_id: int | None = None) -> list[dict]:
    """The trend with a row for every week or month of the period (no dossier: zero, rate not applicable)."""
    found = {item["start"]: item for item in selectors.trend(period, every=every, unit_id=unit_id)}
    rows = []
    for start in _bucket_starts(period, every):
        item = found.get(start)
        counts = item["counts"] if item else {}
        score = item["score"] if item else scoring.score({})
        on_time = score.line("on_time")
        dossiers = scoring.counter(counts, "dossier.total")
        reports = scoring.counter(counts, "report.total")
        rows.append(
            {
                "start": start,
                "label": start.strftime("%d/%m") if every == "week" else start.strftime("%m/%Y"),
                "dossiers": dossiers,
                "dossiers_text": fmt_int(dossiers),
                "reports": reports,
                "reports_text": fmt_int(reports),
                "on_time": on_time,
                "on_time_text": fmt_pct(on_time.ratio),
                "judged_text": fmt_int(on_time.denominator),
                "on_time_count_text": fmt_int(on_time.numerator),
                "counts": counts,
                "score": score,
            }
        )
    return rows


def trend_charts(rows: list[dict], every: str, prefix: str) -> dict:
    labels = [row["label"] for row in rows]
    weekly = every == "week"
    on_time = charts.line_chart(
        labels,
        [
            charts.Series(
                _("Dossiers handled on time (%)"),
                [None if row["on_time"].ratio is None else round(row["on_time"].ratio * 100, 1) for row in rows],
                [row["on_time_text"] for row in rows],
                colour="good",
            )
        ],
        chart_id=f"{prefix}-trend-on-time",
        title=_("On-time rate by week") if weekly else _("On-time rate by month"),
        desc=_("Share of the dossiers filed each week that were handled on time; the table below has the numbers.")
        if weekly
        else _("Share of the dossiers filed each month that were handled on time; the table below has the numbers."),
        y_max=100,
        y_suffix="%",
    )
    volume = charts.line_chart(
        labels,
        [
            charts.Series(
                _("Dossiers filed"), [row["dossiers"] for row in rows], [row["dossiers_text"] for row in rows]
            ),
            charts.Series(
                _("1022 reports"),
                [row["reports"] for row in rows],
                [row["reports_text"] for row in rows],
                colour="second",
                dashed=True,
            ),
        ],
        chart_id=f"{prefix}-trend-volume",
        tick_format=fmt_int,
        title=_("Dossiers and reports filed by week") if weekly else _("Dossiers and reports filed by month"),
        desc=_("How many dossiers and 1022 reports were filed each week; the table below has the numbers.")
        if weekly
        else _("How many dossiers and 1022 reports were filed each month; the table below has the numbers."),
    )
    return {"on_time": on_time, "volume": volume}


def field_rows(period: selectors.Period, unit_id: int | None = None) -> list[dict]:
    rows = []
    for item in selectors.by_field(period, unit_id=unit_id):
        counts = item["counts"]["dossier"]
        evaluated, on_time = counts["evaluated"], counts["on_time"]
        ratio = on_time / evaluated if evaluated else None
        rows.append(
            {
                "field": item["field"],
                "label": item["label"],
                "total": counts["total"],
                "total_text": fmt_int(counts["total"]),
                "evaluated": evaluated,
                "on_time": on_time,
                "evaluated_text": fmt_int(evaluated),
                "on_time_text": fmt_int(on_time),
                "ratio": ratio,
                "ratio_text": fmt_pct(ratio),
            }
        )
    return rows


def field_chart(rows: list[dict], prefix: str):
    bars = [
        charts.Bar(
            row["label"],
            row["total"],
            _("%(count)s · %(rate)s on time") % {"count": row["total_text"], "rate": row["ratio_text"]},
        )
        for row in rows
    ]
    return charts.bar_chart(
        bars,
        chart_id=f"{prefix}-by-field",
        title=_("Dossiers by procedure field"),
        desc=_(
            "Dossiers filed in each procedure field, with the share handled on time; the table below has the numbers."
        ),
    )


def _shown_numerator(line: scoring.Line) -> int:
    """What the rate counts: for an inverted indicator (answers not reopened) the complement of its counter."""
    return line.denominator - line.numerator if line.indicator.invert else line.numerator


def _line_rows(score: scoring.Score) -> list[dict]:
    return [
        {
            "key": line.indicator.key,
            "label": line.indicator.label,
            "group": line.indicator.group_label,
            "numerator": line.numerator,
            "denominator": line.denominator,
            "numerator_text": fmt_int(_shown_numerator(line)),
            "denominator_text": fmt_int(line.denominator),
            "ratio": line.ratio,
            "ratio_text": fmt_pct(line.ratio),
            "target_text": fmt_pct(line.indicator.target),
            "score_text": fmt_score(line.score),
            "max_text": fmt_score(line.indicator.max),
            "meets_target": line.meets_target,
            "assumption": line.indicator.assumption_text,
            "source": line.indicator.source_text,
        }
        for line in score.lines
    ]


# --- the city dashboard --------------------------------------------------------------------


def _sort_key(sort: str):
    if sort == "rank":
        return lambda row: row["rank"]
    if sort == "unit":
        return lambda row: fold(row["name"])
    if sort == "dossiers":
        return lambda row: row["dossiers"]
    if sort == "score":
        return lambda row: row["total"]
    if sort == "green":
        return lambda row: row["green"]
    return lambda row: row["lines"][sort]["ratio"]


def sort_rows(rows: list[dict], sort: str) -> tuple[list[dict], str, bool]:
    """Rows sorted by the `sort` parameter ("-key" descending); rows without the value stay last."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    valid = set(FIXED_SORTS) | {indicator.key for indicator in scoring.indicators()}
    if key not in valid:
        key, descending = "rank", False
    get = _sort_key(key)
    present = [row for row in rows if get(row) is not None]
    missing = [row for row in rows if get(row) is None]
    present.sort(key=get, reverse=descending)
    return present + missing, key, descending


def _sort_links(request, key: str, descending: bool) -> dict:
    """For every column: the link that sorts by it (toggling when it is the current one) and its aria-sort."""
    columns = list(FIXED_SORTS) + [indicator.key for indicator in scoring.indicators()]
    links = {}
    for column in columns:
        first_descending = FIXED_SORTS.get(column, True)
        if column == key:
            next_descending = not descending
            state = "descending" if descending else "ascending"
        else:
            next_descending = first_descending
            state = ""
        params = request.GET.copy()
        params["sort"] = f"-{column}" if next_descending else column
        links[column] = {"href": "?" + params.urlencode(), "aria_sort": state}
    return links


def _status_htmls() -> dict:
    """The three statuses as text + icon + colour (the same markup as dashboard/_green.html), built once a page."""
    template = '<span class="score-status {}"><span aria-hidden="true">{}</span> {}</span>'
    return {
        None: format_html(template, "score-none", "–", _("nothing to score")),
        True: format_html(template, "score-green", "✓", _("green")),
        False: format_html(template, "score-not-green", "✗", _("not green")),
    }


def _unit_rows(rows: list[selectors.UnitRow]) -> list[dict]:
    """The table's rows, their cells built here: 200 units × 9 indicators is too many template tags to be quick."""
    statuses = _status_htmls()
    below = format_html(
        ' <span aria-hidden="true">▼</span><span class="visually-hidden">{}</span>', _("(below target)")
    )
    result = []
    for row in rows:
        dossiers = scoring.counter(row.counts, "dossier.total")
        name = unit_label(row.unit)
        cells = format_html_join(
            "",
            '<td class="num{}" data-key="{}" data-ratio="{}">{}{}</td>',
            (
                (
                    " below-target" if line.meets_target is False else "",
                    line.indicator.key,
                    "" if line.ratio is None else repr(line.ratio),
                    fmt_pct(line.ratio),
                    below if line.meets_target is False else "",
                )
                for line in row.score.lines
            ),
        )
        result.append(
            {
                "unit": row.unit,
                "code": row.unit.code,
                "url": reverse("dashboard-unit", args=[row.unit.code]),
                "name": name,
                "is_vietnamese_name": name == row.unit.name,
                "rank": row.rank,
                "dossiers": dossiers,
                "dossiers_text": fmt_int(dossiers),
                "lines": {line.indicator.key: {"ratio": line.ratio} for line in row.score.lines},
                "cells_html": cells,
                "total": row.score.total,
                "total_text": fmt_score(row.score.total),
                "green": row.score.green,
                "status_html": statuses[None if row.score.total is None else row.score.green],
            }
        )
    return result


def _sum_counts(rows: list[selectors.UnitRow]) -> dict:
    """The city's totals from the scoreboard's rows (every unit with counts is one of them): no second scan."""
    totals = {
        "dossier": dict.fromkeys(selectors.DOSSIER_COUNTERS, 0),
        "report": dict.fromkeys(selectors.REPORT_COUNTERS, 0),
    }
    for row in rows:
        for kind, names in totals.items():
            for name, value in (row.counts.get(kind) or {}).items():
                names[name] = names.get(name, 0) + int(value or 0)
    return totals


def score_chart(rows: list[dict], show_all: bool, prefix: str = "city"):
    """Bars of the units' total scores, best first: all units, or the best and the lowest CHART_ENDS."""
    scored = sorted((row for row in rows if row["total"] is not None), key=lambda row: -row["total"])
    shown = scored if show_all or len(scored) <= 2 * CHART_ENDS else scored[:CHART_ENDS] + scored[-CHART_ENDS:]
    green, not_green = _("green"), _("not green")
    bars = [
        charts.Bar(
            row["name"],
            row["total"],
            f"{row['total_text']} {'✓ ' + green if row['green'] else '✗ ' + not_green}",
            state="good" if row["green"] else "bad",
        )
        for row in shown
    ]
    if show_all or len(scored) <= 2 * CHART_ENDS:
        desc = _("Total score out of 100 of every unit with dossiers or reports in the period, best first.")
    else:
        desc = _("Total score out of 100 of the %(count)s best and the %(count)s lowest units, best first.") % {
            "count": CHART_ENDS
        }
    chart = charts.bar_chart(
        bars,
        chart_id=f"{prefix}-scores",
        title=_("Score by unit"),
        desc=desc,
        maximum=100,
        legend=[("good", "✓ " + _("green: every indicator meets its target")), ("bad", "✗ " + _("not green"))],
    )
    return chart, shown, len(scored)


def _city_totals(rows: list[selectors.UnitRow]) -> dict:
    counts = _sum_counts(rows)
    score = scoring.score(counts)
    report = counts.get("report") or {}
    answered, reopened = report.get("answered", 0), report.get("reopened", 0)
    return {
        "counts": counts,
        "score": score,
        "dossiers": fmt_int(scoring.counter(counts, "dossier.total")),
        "dossiers_value": scoring.counter(counts, "dossier.total"),
        "reports": fmt_int(report.get("total", 0)),
        "reports_value": report.get("total", 0),
        "cards": [
            {"key": line.indicator.key, "label": line.indicator.label, "ratio": line.ratio, "text": fmt_pct(line.ratio)}
            for line in score.lines
            if line.indicator.numerator.startswith("dossier.")
        ],
        "report_cards": [
            {"key": line.indicator.key, "label": line.indicator.label, "ratio": line.ratio, "text": fmt_pct(line.ratio)}
            for line in score.lines
            if line.indicator.key in ("report_on_time", "report_satisfaction")
        ],
        "reopened": fmt_pct(reopened / answered if answered else None),
        "reopened_value": reopened / answered if answered else None,
        "green": selectors.units_green(rows),
        "listed": len(rows),
    }


@login_required
@require_GET
def city_dashboard(request):
    """Every listed unit in one sortable table, the city's totals, and three charts with their tables."""
    _require_city(request.user)
    form = _period_form(request)
    period, every = form.period, form.every
    board = selectors.scoreboard(period)
    rows = _unit_rows(board)
    sorted_rows, sort_key, descending = sort_rows(rows, request.GET.get("sort", "rank"))
    show_all = request.GET.get("bars") == "all"
    chart, chart_rows, scored = score_chart(rows, show_all)
    links = _sort_links(request, sort_key, descending)
    trend = trend_rows(period, every)
    fields = field_rows(period)
    context = {
        "form": form,
        "period": period,
        "every": every,
        "period_query": _period_query(period),
        "period_query_every": _period_query(period, every),
        "counted_until": aggregates.counted_until(),
        "totals": _city_totals(board),
        "indicators": scoring.indicators(),
        "rows": sorted_rows,
        "sort": sort_key,
        "descending": descending,
        "sort_links": links,
        "indicator_columns": [
            {"key": indicator.key, "label": indicator.label, **links[indicator.key]}
            for indicator in scoring.indicators()
        ],
        "chart_partial": len(chart_rows) < scored,
        "chart_can_shrink": scored > 2 * CHART_ENDS,
        "score_chart": chart,
        "score_chart_rows": chart_rows,
        "scored_count": scored,
        "show_all_bars": show_all,
        "chart_ends": CHART_ENDS,
        "trend": trend,
        "trend_charts": trend_charts(trend, every, "city"),
        "fields": fields,
        "field_chart": field_chart(fields, "city"),
        "source_note": scoring.source_note(),
    }
    return render(request, "dashboard/city.html", context)


@login_required
@require_GET
def city_csv(request):
    _require_city(request.user)
    form = _period_form(request)
    return csv_export.city_csv(selectors.scoreboard(form.period), form.period)


# --- a unit's dashboard --------------------------------------------------------------------


def _unit_board(unit: Unit, period: selectors.Period):
    """The unit's own row of the scoreboard (its rank among the units) and how many units are ranked."""
    board = selectors.scoreboard(period)
    ranked = sum(1 for row in board if row.rank is not None)
    own = next((row for row in board if row.unit.pk == unit.pk), None)
    if own is None:
        counts = selectors.counts_by_unit(period, unit_ids=[unit.pk]).get(unit.pk, {})
        own = selectors.UnitRow(unit, counts, scoring.score(counts))
    return own, ranked


@login_required
@require_GET
def unit_dashboard(request, code):
    """One unit: its indicator lines, rank, trends, fields, what falls due next and each officer's load."""
    unit = _unit_for(request.user, code)
    form = _period_form(request)
    period, every = form.period, form.every
    own, ranked = _unit_board(unit, period)
    dossier, report = own.counts.get("dossier") or {}, own.counts.get("report") or {}
    trend = trend_rows(period, every, unit.pk)
    fields = field_rows(period, unit.pk)
    now = timezone.now()
    due = selectors.due_next(unit.pk)
    for case in due["dossiers"] + due["reports"]:
        case.overdue = case.is_overdue_at(now)
    context = {
        "unit": unit,
        "unit_name": unit_label(unit),
        "is_vietnamese_name": unit_label(unit) == unit.name,
        "form": form,
        "period": period,
        "every": every,
        "period_query": _period_query(period),
        "counted_until": aggregates.counted_until(),
        "score": own.score,
        "total_text": fmt_score(own.score.total),
        "lines": _line_rows(own.score),
        "rank": own.rank,
        "ranked": ranked,
        "dossiers": fmt_int(dossier.get("total", 0)),
        "reports": fmt_int(report.get("total", 0)),
        "late_dossiers": int(dossier.get("evaluated", 0)) - int(dossier.get("on_time", 0)),
        "late_reports": int(report.get("evaluated", 0)) - int(report.get("on_time", 0)),
        "trend": trend,
        "trend_charts": trend_charts(trend, every, "unit"),
        "fields": fields,
        "field_chart": field_chart(fields, "unit"),
        "due": due,
        "loads": selectors.officer_load(unit.pk),
        "can_view_city": access.can(request.user, "dashboard.view_city"),
        "english": (get_language() or "").startswith("en"),
        "source_note": scoring.source_note(),
    }
    return render(request, "dashboard/unit.html", context)


@login_required
@require_GET
def unit_csv(request, code):
    unit = _unit_for(request.user, code)
    form = _period_form(request)
    period = form.period
    counts = selectors.counts_by_unit(period, unit_ids=[unit.pk]).get(unit.pk, {})
    weeks = selectors.trend(period, every="week", unit_id=unit.pk)
    return csv_export.unit_csv(unit, scoring.score(counts), weeks, period)


LATE_KINDS = {"dossiers", "reports"}


@login_required
@require_GET
def unit_late(request, code):
    """The late dossiers (or reports) behind the unit's on-time rate in the period, latest due first."""
    from feedback.indicators import late_reports
    from procedures.indicators import late_dossiers

    unit = _unit_for(request.user, code)
    form = _period_form(request)
    period = form.period
    kind = request.GET.get("kind", "dossiers")
    if kind not in LATE_KINDS:
        kind = "dossiers"
    now = timezone.now()
    finder = late_dossiers if kind == "dossiers" else late_reports
    cases = finder(unit_id=unit.pk, day_from=period.day_from, day_to=period.day_to, now=now)
    page = Paginator(cases, LATE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for case in rows:
        case.overdue = case.is_overdue_at(now)
    context = {
        "unit": unit,
        "unit_name": unit_label(unit),
        "is_vietnamese_name": unit_label(unit) == unit.name,
        "form": form,
        "period": period,
        "period_query": _period_query(period),
        "kind": kind,
        "page": page,
        "rows": rows,
        "english": (get_language() or "").startswith("en"),
    }
    return render(request, "dashboard/unit_late.html", context)

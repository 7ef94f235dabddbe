"""CSV files of the dashboards' figures: one row per unit (city), or one unit's lines and weekly trend.

UTF-8 with a byte order mark, so Excel opens Vietnamese names correctly.
Column names are stable keys (the city's own tools read them); ratios are
plain decimals between 0 and 1 with a dot, empty when not applicable.
"""

import csv
import io

from django.http import HttpResponse

from govportal.dashboard import scoring
from govportal.dashboard.selectors import DOSSIER_COUNTERS, REPORT_COUNTERS, Period, UnitRow

BOM = "\ufeff"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse((BOM + text).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def city_header() -> list[str]:
    return (
        ["code", "name", "name_en", "kind", "rank"]
        + [f"dossier_{name}" for name in DOSSIER_COUNTERS]
        + [f"report_{name}" for name in REPORT_COUNTERS]
        + [f"{indicator.key}_ratio" for indicator in scoring.indicators()]
        + ["score", "green"]
    )


def city_csv(rows: list[UnitRow], period: Period) -> HttpResponse:
    """One row per listed unit, in the scoreboard's order."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(city_header())
    for row in rows:
        dossier = row.counts.get("dossier") or {}
        report = row.counts.get("report") or {}
        writer.writerow(
            [row.unit.code, row.unit.name, row.unit.name_en, row.unit.kind, row.rank or ""]
            + [int(dossier.get(name) or 0) for name in DOSSIER_COUNTERS]
            + [int(report.get(name) or 0) for name in REPORT_COUNTERS]
            + [_ratio(line.ratio) for line in row.score.lines]
            + [_number(row.score.total), "yes" if row.score.green else "no"]
        )
    return _response(out.getvalue(), f"govportal-units-{period.day_from.isoformat()}-{period.day_to.isoformat()}.csv")


def unit_csv(unit, score: scoring.Score, weeks: list[dict], period: Period) -> HttpResponse:
    """The unit's indicator lines, a blank line, then its trend by week (counts and on-time ratio)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["indicator", "label", "numerator", "denominator", "ratio", "target", "score", "max", "meets_target"]
    )
    for line in score.lines:
        writer.writerow(
            [
                line.indicator.key,
                line.indicator.label,
                line.numerator,
                line.denominator,
                _ratio(line.ratio),
                _ratio(line.indicator.target),
                _number(line.score),
                _number(line.indicator.max),
                "" if line.meets_target is None else ("yes" if line.meets_target else "no"),
            ]
        )
    writer.writerow(["total", "", "", "", "", "", _number(score.total), "100", "yes" if score.green else "no"])
    writer.writerow([])
    writer.writerow(
        ["week_from"]
        + [f"dossier_{name}" for name in DOSSIER_COUNTERS]
        + [f"report_{name}" for name in REPORT_COUNTERS]
        + ["on_time_ratio", "score"]
    )
    for week in weeks:
        dossier = week["counts"].get("dossier") or {}
        report = week["counts"].get("report") or {}
        writer.writerow(
            [week["start"].isoformat()]
            + [int(dossier.get(name) or 0) for name in DOSSIER_COUNTERS]
            + [int(report.get(name) or 0) for name in REPORT_COUNTERS]
            + [_ratio(week["score"].line("on_time").ratio), _number(week["score"].total)]
        )
    filename = f"govportal-unit-{unit.code}-{period.day_from.isoformat()}-{period.day_to.isoformat()}.csv"
    return _response(out.getvalue(), filename)

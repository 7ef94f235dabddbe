"""Stats API under /api/v1/stats/: the dashboards' figures for the city's own reporting tools.

One APIView per operation (as procedures/api/dossiers.py and payments/api.py):
it parses the period, reads `govportal.dashboard.selectors` (sums of the
per-day aggregates, never a scan of cases) and renders an output serializer.
Every answer carries `counted_until`, the instant the figures are true at.

Who reads what (identity.access): city admins everything; a unit's head their
own units (the list is filtered, another unit is 403); officers and citizens
403, anonymous callers 401 (`not_authenticated`). Errors are `{code, detail}`
(govportal.api.exceptions); a bad period is 400 `invalid` with field errors.
"""

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from govportal.dashboard import aggregates, scoring, selectors
from govportal.dashboard.serializers import (
    StatsCityOutputSerializer,
    StatsErrorOutputSerializer,
    StatsIndicatorsOutputSerializer,
    StatsPeriodQuerySerializer,
    StatsTrendQuerySerializer,
    StatsUnitDetailOutputSerializer,
    StatsUnitListOutputSerializer,
)
from govportal.tiers.models import Unit
from identity import access

TAGS = ["stats"]


def _errors(*codes: int, **overrides: str) -> dict:
    """Error responses for the schema; `overrides` replaces a description by status ("e403": "...")."""
    descriptions = {
        400: "Invalid period (code `invalid` with `errors`: a date not YYYY-MM-DD, `to` before `from`, more than "
        "3 years, an unknown `every`).",
        401: "Not authenticated (code `not_authenticated` or `authentication_failed`).",
        403: "Not allowed (code `permission_denied`): only city admins and units' heads read the stats.",
        404: "No unit with this code (code `not_found`).",
    }
    descriptions.update({int(key[1:]): text for key, text in overrides.items()})
    return {code: OpenApiResponse(StatsErrorOutputSerializer, description=descriptions[code]) for code in codes}


# --- who is asking ---------------------------------------------------------------------------


def _city(user) -> bool:
    return access.can(user, "dashboard.view_city")


def _require_reader(user) -> None:
    """City admins and the heads of any unit (the staff's reporting tools); everyone else is refused."""
    if not (_city(user) or access.units_where(user, access.HEAD)):
        raise exceptions.PermissionDenied(_("Only city admins and the heads of units may read these figures."))


def _require_city(user) -> None:
    if not _city(user):
        raise exceptions.PermissionDenied(_("Only city admins may read the city's figures."))


# --- plain data from the selectors -----------------------------------------------------------


def _period(request, serializer_class) -> tuple[selectors.Period, dict]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    return selectors.Period(data["from"], data["to"]), data


def _period_data(period: selectors.Period) -> dict:
    return {"from": period.day_from, "to": period.day_to}


def _counts(counts: dict) -> dict:
    return {
        "dossier": {name: int((counts.get("dossier") or {}).get(name) or 0) for name in selectors.DOSSIER_COUNTERS},
        "report": {name: int((counts.get("report") or {}).get(name) or 0) for name in selectors.REPORT_COUNTERS},
    }


def _score_data(counts: dict, score: scoring.Score) -> dict:
    return {
        "total": score.total,
        "green": score.green,
        "counts": _counts(counts),
        "indicators": [
            {
                "key": line.indicator.key,
                "numerator": line.numerator,
                "denominator": line.denominator,
                "ratio": line.ratio,
                "score": line.score,
                "max": line.indicator.max,
                "target": line.indicator.target,
                "meets_target": line.meets_target,
            }
            for line in score.lines
        ],
    }


def _unit_data(row: selectors.UnitRow) -> dict:
    unit = row.unit
    return {
        "unit": {"code": unit.code, "name": unit.name, "name_en": unit.name_en, "kind": unit.kind},
        "rank": row.rank,
        **_score_data(row.counts, row.score),
    }


def _trend_data(period: selectors.Period, every: str, unit_id: int | None = None) -> list[dict]:
    return [
        {"start": bucket["start"], **_score_data(bucket["counts"], bucket["score"])}
        for bucket in selectors.trend(period, every=every, unit_id=unit_id)
    ]


def _row_of(unit: Unit, period: selectors.Period, rows: list[selectors.UnitRow]) -> selectors.UnitRow:
    """The unit's row of the scoreboard (with its rank), or one made for a unit the scoreboard does not list."""
    row = next((row for row in rows if row.unit.pk == unit.pk), None)
    if row is None:
        counts = selectors.counts_by_unit(period, unit_ids=[unit.pk]).get(unit.pk, {})
        row = selectors.UnitRow(unit, counts, scoring.score(counts))
    return row


# --- the operations ----------------------------------------------------------------------------


class StatsIndicatorsApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="stats_indicators_list",
        summary="The indicators: rules, points and targets",
        description="Each indicator is the ratio of two counters (numerator / denominator, named `kind.counter`); "
        "its score is min(max, ratio / target × max); the total is out of 100 over the indicators that apply. "
        "For city admins and units' heads.",
        responses={200: StatsIndicatorsOutputSerializer, **_errors(401, 403)},
    )
    def get(self, request):
        _require_reader(request.user)
        data = {
            "counted_until": aggregates.counted_until(),
            "source": scoring.source_note(),
            "indicators": [
                {
                    "key": item.key,
                    "group": item.group,
                    "group_vi": item.group_vi,
                    "group_en": item.group_en,
                    "label_vi": item.label_vi,
                    "label_en": item.label_en,
                    "max": item.max,
                    "target": item.target,
                    "numerator": item.numerator,
                    "denominator": item.denominator,
                    "invert": item.invert,
                    "source": item.source,
                    "source_vi": item.source_vi or item.source,
                    "assumption": item.assumption,
                    "assumption_vi": item.assumption_vi or item.assumption,
                }
                for item in scoring.indicators()
            ],
        }
        return Response(StatsIndicatorsOutputSerializer(data).data)


class StatsUnitListApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="stats_units_list",
        summary="Units with their counts, score and rank over a period",
        description="City admins get every listed unit (the 168 commune-level units and the city's departments), "
        "best total first; a unit's head gets only their own units (with their city-wide rank). Counted by the "
        "local day of filing.",
        parameters=[StatsPeriodQuerySerializer],
        responses={200: StatsUnitListOutputSerializer, **_errors(400, 401, 403)},
    )
    def get(self, request):
        _require_reader(request.user)
        period, _query = _period(request, StatsPeriodQuerySerializer)
        counted_until = aggregates.counted_until()
        rows = selectors.scoreboard(period)
        if not _city(request.user):
            own = access.units_where(request.user, access.HEAD)
            rows = [row for row in rows if row.unit.pk in own]
        data = {
            "counted_until": counted_until,
            "period": _period_data(period),
            "units": [_unit_data(row) for row in rows],
        }
        return Response(StatsUnitListOutputSerializer(data).data)


class StatsUnitDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="stats_units_retrieve",
        summary="One unit's counts, score, rank and trend",
        description="For city admins and the unit's own head; `trend` holds one item per week or month "
        "(`every`) with filings in the period.",
        parameters=[StatsTrendQuerySerializer],
        responses={
            200: StatsUnitDetailOutputSerializer,
            **_errors(
                400,
                401,
                403,
                404,
                e403="Not allowed (code `permission_denied`): not a city admin, nor the head of this unit.",
            ),
        },
    )
    def get(self, request, code):
        _require_reader(request.user)
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise exceptions.NotFound(_("There is no unit with this code."))
        if not access.can(request.user, "dashboard.view_unit", unit):
            raise exceptions.PermissionDenied(_("Only the city and this unit's heads may read its figures."))
        period, query = _period(request, StatsTrendQuerySerializer)
        counted_until = aggregates.counted_until()
        row = _row_of(unit, period, selectors.scoreboard(period))
        data = {
            "counted_until": counted_until,
            "period": _period_data(period),
            **_unit_data(row),
            "every": query["every"],
            "trend": _trend_data(period, query["every"], unit.pk),
        }
        return Response(StatsUnitDetailOutputSerializer(data).data)


class StatsCityApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="stats_city_retrieve",
        summary="The city's totals, units green, counts by procedure field and trend",
        description="For city admins. The city's score is the score of the city's summed counts.",
        parameters=[StatsTrendQuerySerializer],
        responses={
            200: StatsCityOutputSerializer,
            **_errors(400, 401, 403, e403="Not allowed (code `permission_denied`): city admins only."),
        },
    )
    def get(self, request):
        _require_city(request.user)
        period, query = _period(request, StatsTrendQuerySerializer)
        counted_until = aggregates.counted_until()
        counts = selectors.city_counts(period)
        rows = selectors.scoreboard(period)
        data = {
            "counted_until": counted_until,
            "period": _period_data(period),
            **_score_data(counts, scoring.score(counts)),
            "units_listed": len(rows),
            "units_green": selectors.units_green(rows),
            "every": query["every"],
            "by_field": [
                {"field": item["field"], "label": item["label"], "counts": item["counts"]}
                for item in selectors.by_field(period)
            ],
            "trend": _trend_data(period, query["every"]),
        }
        return Response(StatsCityOutputSerializer(data).data)


urlpatterns = [
    path("indicators/", StatsIndicatorsApi.as_view(), name="stats-indicators"),
    path("units/", StatsUnitListApi.as_view(), name="stats-unit-list"),
    path("units/<str:code>/", StatsUnitDetailApi.as_view(), name="stats-unit-detail"),
    path("city/", StatsCityApi.as_view(), name="stats-city"),
]

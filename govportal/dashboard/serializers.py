"""Shapes of the stats API (/api/v1/stats/), for its views and its OpenAPI schema.

The views build plain dicts from `govportal.dashboard.selectors` and these
serializers render them; inputs (the period, the trend's step) are here too,
shared by the views that take them.
"""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from govportal.api.filters import QuerySerializer
from govportal.dashboard.selectors import DOSSIER_COUNTERS, REPORT_COUNTERS

# A longer range is refused: the dashboards compare years and quarters, not decades.
MAX_RANGE_YEARS = 3


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class StatsErrorOutputSerializer(serializers.Serializer):
    """Every error of the stats API: a stable code for programs and a translated detail for people."""

    code = serializers.CharField(help_text="Stable, never translated: invalid, not_authenticated, ...")
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Field -> messages (nested for form_data)."
    )


# --- inputs -----------------------------------------------------------------------------------


class _PeriodQueryBase(QuerySerializer):
    def validate(self, attrs):
        """Fill the defaults (to: today; from: 1 January of `to`'s year), then check order and length."""
        end = attrs.get("to") or timezone.localdate()
        start = attrs.get("from") or date(end.year, 1, 1)
        if end < start:
            raise serializers.ValidationError({"to": [_("The end of the period comes before its start.")]})
        if end > _years_after(start, MAX_RANGE_YEARS):
            raise serializers.ValidationError({"to": [_("The period may span at most 3 years.")]})
        return {**attrs, "from": start, "to": end}


def _period_fields() -> dict:
    return {
        "from": serializers.DateField(
            required=False,
            input_formats=["%Y-%m-%d"],
            help_text="First day of filing (YYYY-MM-DD, local time). Default: 1 January of the year of `to`.",
        ),
        "to": serializers.DateField(
            required=False,
            input_formats=["%Y-%m-%d"],
            help_text="Last day of filing, included (YYYY-MM-DD). Default: today. At most 3 years after `from`.",
        ),
    }


# `from` is a Python keyword: the fields are given by name.
StatsPeriodQuerySerializer = extend_schema_serializer(component_name="StatsPeriodQuery")(
    type("StatsPeriodQuerySerializer", (_PeriodQueryBase,), {**_period_fields(), "__module__": __name__})
)


def _every_field():
    return serializers.ChoiceField(
        choices=[("week", "week"), ("month", "month")],
        required=False,
        default="month",
        help_text="The trend's step: `week` (weeks start on Monday) or `month`.",
    )


StatsTrendQuerySerializer = extend_schema_serializer(component_name="StatsTrendQuery")(
    type(
        "StatsTrendQuerySerializer",
        (_PeriodQueryBase,),
        {**_period_fields(), "every": _every_field(), "__module__": __name__},
    )
)


# --- outputs -----------------------------------------------------------------------------------


def _counters(name: str, names, doc: str):
    fields = {counter: serializers.IntegerField(min_value=0) for counter in names}
    return type(name, (serializers.Serializer,), {**fields, "__doc__": doc, "__module__": __name__})


StatsDossierCountsSerializer = _counters(
    "StatsDossierCountsSerializer",
    DOSSIER_COUNTERS,
    "Dossier counters over the period, by day of filing (their meaning: procedures.indicators, docs/0009).",
)
StatsReportCountsSerializer = _counters(
    "StatsReportCountsSerializer",
    REPORT_COUNTERS,
    "1022 report counters over the period, by day of filing (their meaning: feedback.indicators, docs/0009).",
)


class StatsCountsSerializer(serializers.Serializer):
    dossier = StatsDossierCountsSerializer()
    report = StatsReportCountsSerializer()


class StatsIndicatorDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    group = serializers.CharField()
    group_vi = serializers.CharField()
    group_en = serializers.CharField()
    label_vi = serializers.CharField()
    label_en = serializers.CharField()
    max = serializers.FloatField(help_text="Points of the indicator (all add up to 100).")
    target = serializers.FloatField(help_text="Target ratio in (0, 1].")
    numerator = serializers.CharField(help_text='Counter name, "kind.counter" (e.g. "dossier.on_time").')
    denominator = serializers.CharField(help_text='Counter name, "kind.counter" (e.g. "dossier.evaluated").')
    invert = serializers.BooleanField(help_text="True: the ratio is 1 - numerator / denominator.")
    source = serializers.CharField(help_text="Where it comes from (English).")
    source_vi = serializers.CharField(help_text="Where it comes from (Vietnamese).")
    assumption = serializers.CharField(help_text="What this portal assumed (English).")
    assumption_vi = serializers.CharField(help_text="What this portal assumed (Vietnamese).")


class StatsIndicatorsOutputSerializer(serializers.Serializer):
    counted_until = serializers.DateTimeField(allow_null=True, help_text="The figures are true at this instant.")
    source = serializers.CharField(help_text="Where the indicators, points and targets come from.")
    indicators = StatsIndicatorDefinitionSerializer(many=True)


class StatsIndicatorValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    ratio = serializers.FloatField(allow_null=True, help_text="Null: nothing to count (not applicable).")
    score = serializers.FloatField(allow_null=True)
    max = serializers.FloatField()
    target = serializers.FloatField()
    meets_target = serializers.BooleanField(allow_null=True)


class StatsScoreFieldsMixin(serializers.Serializer):
    total = serializers.FloatField(allow_null=True, help_text="Out of 100 over the applicable indicators.")
    green = serializers.BooleanField(help_text="Every applicable indicator meets its target.")
    counts = StatsCountsSerializer()
    indicators = StatsIndicatorValueSerializer(many=True)


class StatsPeriodSerializer(serializers.Serializer):
    # Named by the query parameters they echo.
    def get_fields(self):
        return {"from": serializers.DateField(), "to": serializers.DateField()}


class StatsUnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    kind = serializers.CharField()


class StatsUnitSerializer(StatsScoreFieldsMixin):
    unit = StatsUnitRefSerializer()
    rank = serializers.IntegerField(allow_null=True, help_text="Rank among all listed units; null: nothing to score.")


class StatsUnitListOutputSerializer(serializers.Serializer):
    counted_until = serializers.DateTimeField(allow_null=True)
    period = StatsPeriodSerializer()
    units = StatsUnitSerializer(many=True)


class StatsTrendItemSerializer(StatsScoreFieldsMixin):
    start = serializers.DateField(help_text="First day of the week (Monday) or month.")


class StatsUnitDetailOutputSerializer(StatsUnitSerializer):
    counted_until = serializers.DateTimeField(allow_null=True)
    period = StatsPeriodSerializer()
    every = serializers.CharField()
    trend = StatsTrendItemSerializer(many=True)


class StatsFieldCountsSerializer(serializers.Serializer):
    dossier = StatsDossierCountsSerializer()


class StatsFieldItemSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Procedure field key.")
    label = serializers.CharField()
    counts = StatsFieldCountsSerializer(help_text="Dossier counters only (reports have no procedure field).")


class StatsCityOutputSerializer(StatsScoreFieldsMixin):
    counted_until = serializers.DateTimeField(allow_null=True)
    period = StatsPeriodSerializer()
    units_listed = serializers.IntegerField()
    units_green = serializers.IntegerField()
    every = serializers.CharField()
    by_field = StatsFieldItemSerializer(many=True)
    trend = StatsTrendItemSerializer(many=True)

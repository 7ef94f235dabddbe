"""Aggregates behind the dashboards and the scorecard: counts per unit (or field) and local day of filing.

Rows are derived data, rebuilt from the dossiers and reports at any time
(`manage.py stats_refresh --full`); `govportal.dashboard.aggregates` keeps them
up to date from the cases' events and the passing of due dates. The counters'
meaning is in `procedures.indicators` and `feedback.indicators` (docs/0009).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


def _counter():
    return models.PositiveIntegerField(default=0)


class DossierCounters(models.Model):
    total = _counter()
    online = _counter()
    evaluated = _counter()
    on_time = _counter()
    late_open = _counter()
    second_supplement = _counter()
    fee_settled = _counter()
    paid_online = _counter()
    decided = _counter()
    digitised = _counter()
    reuse_eligible = _counter()
    reused = _counter()
    rated = _counter()
    satisfied = _counter()
    rating_sum = _counter()

    class Meta:
        abstract = True


class ReportCounters(models.Model):
    total = _counter()
    evaluated = _counter()
    on_time = _counter()
    late_open = _counter()
    answered = _counter()
    reopened = _counter()
    rated = _counter()
    satisfied = _counter()
    rating_sum = _counter()

    class Meta:
        abstract = True


class DossierUnitDay(DossierCounters):
    unit = models.ForeignKey("tiers.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        verbose_name = _("dossier counts of a unit and day")
        verbose_name_plural = _("dossier counts per unit and day")
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="dossier_unit_day_uniq")]
        indexes = [models.Index(fields=["day", "unit"], name="dossier_unit_day_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"


class DossierUnitFieldDay(DossierCounters):
    """A unit's counts per procedure field (its dashboard's chart by field): read one unit at a time."""

    unit = models.ForeignKey("tiers.Unit", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=30)
    day = models.DateField()

    class Meta:
        verbose_name = _("dossier counts of a unit, field and day")
        verbose_name_plural = _("dossier counts per unit, field and day")
        constraints = [
            models.UniqueConstraint(fields=["unit", "field", "day"], name="dossier_unit_field_day_uniq"),
        ]
        indexes = [models.Index(fields=["day"], name="dossier_unit_field_day_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.field} {self.day}"


class DossierFieldDay(DossierCounters):
    """City-wide counts per procedure field (the chart by field)."""

    field = models.CharField(max_length=30)
    day = models.DateField()

    class Meta:
        verbose_name = _("dossier counts of a field and day")
        verbose_name_plural = _("dossier counts per field and day")
        constraints = [models.UniqueConstraint(fields=["field", "day"], name="dossier_field_day_uniq")]
        indexes = [models.Index(fields=["day", "field"], name="dossier_field_day_idx")]

    def __str__(self) -> str:
        return f"{self.field} {self.day}"


class ReportUnitDay(ReportCounters):
    unit = models.ForeignKey("tiers.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        verbose_name = _("report counts of a unit and day")
        verbose_name_plural = _("report counts per unit and day")
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="report_unit_day_uniq")]
        indexes = [models.Index(fields=["day", "unit"], name="report_unit_day_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"


class ReportCategoryDay(ReportCounters):
    """City-wide counts per report category (the city's trends and the chart by category)."""

    category = models.CharField(max_length=40)
    day = models.DateField()

    class Meta:
        verbose_name = _("report counts of a category and day")
        verbose_name_plural = _("report counts per category and day")
        constraints = [models.UniqueConstraint(fields=["category", "day"], name="report_category_day_uniq")]
        indexes = [models.Index(fields=["day", "category"], name="report_category_day_idx")]

    def __str__(self) -> str:
        return f"{self.category} {self.day}"


class DossierUnitMonth(DossierCounters):
    """The sum of a unit's days in one month (`month` is its first day): a year is 12 rows per unit, not 365."""

    unit = models.ForeignKey("tiers.Unit", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()

    class Meta:
        verbose_name = _("dossier counts of a unit and month")
        verbose_name_plural = _("dossier counts per unit and month")
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="dossier_unit_month_uniq")]
        indexes = [models.Index(fields=["month", "unit"], name="dossier_unit_month_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%m/%Y}"


class ReportUnitMonth(ReportCounters):
    unit = models.ForeignKey("tiers.Unit", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()

    class Meta:
        verbose_name = _("report counts of a unit and month")
        verbose_name_plural = _("report counts per unit and month")
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="report_unit_month_uniq")]
        indexes = [models.Index(fields=["month", "unit"], name="report_unit_month_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%m/%Y}"


class StaleDay(models.Model):
    """A day whose counts changed (an event of a case filed that day): recounted at the next refresh.

    Append-only marks, never updated: the refresh deletes exactly the marks it
    read, so a mark written by a transaction that commits during a refresh
    survives for the next one.
    """

    kind = models.CharField(max_length=10)  # "dossier" | "report"
    day = models.DateField()

    class Meta:
        verbose_name = _("day to recount")
        verbose_name_plural = _("days to recount")

    def __str__(self) -> str:
        return f"{self.kind} {self.day}"


class CountedUntil(models.Model):
    """The instant the counts of one kind are true at (open cases past due by then count as late)."""

    kind = models.CharField(max_length=10, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("counts true at")
        verbose_name_plural = _("counts true at")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%d/%m/%Y %H:%M}"

"""1022 report categories, kept as data that city admins edit (loaded from feedback/data/categories.json).

A category says what a report is about and where it goes by default: the
commune-level unit of the place for commune-tier categories, a city
department for city-tier ones. Reports (later in issue 9) refer to a
category, so categories are switched off, never deleted.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from govportal.tiers.models import Tier, UnitKind


class Confidence(models.TextChoices):
    """How sure the researched reference data is (see ../shared/data/README.md)."""

    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    handling_department = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("handling department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback_categories",
        limit_choices_to={"kind": UnitKind.DEPARTMENT},
        help_text=_("City-tier categories: the department that answers the reports."),
    )
    handling_agency_vi = models.CharField(
        _("handling agency (Vietnamese)"),
        max_length=400,
        blank=True,
        help_text=_("Who handles these reports in practice, as the reference data names them."),
    )
    time_limit_working_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    photo_expected = models.BooleanField(
        _("photo expected"),
        default=False,
        help_text=_("The report form asks for a photo: the problem is something one can see."),
    )
    examples_vi = models.JSONField(_("examples (Vietnamese)"), default=list, blank=True)
    examples_en = models.JSONField(_("examples (English)"), default=list, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    confidence = models.CharField(
        _("confidence of the reference data"), max_length=10, choices=Confidence.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["tier", "name_vi"]
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")

    def __str__(self) -> str:
        return self.name_vi

    def clean(self):
        # Routing sends city-tier reports to this department and commune-tier ones to the unit of the place.
        if self.tier == Tier.CITY and self.handling_department_id is None:
            raise ValidationError(
                {"handling_department": _("A city-tier category needs the department that answers its reports.")}
            )
        if self.tier == Tier.COMMUNE and self.handling_department_id is not None:
            raise ValidationError(
                {"handling_department": _("Commune-level categories are answered by the unit of the place.")}
            )
        for field in ("examples_vi", "examples_en", "sources"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
                raise ValidationError({field: _("Enter a list of texts.")})

"""1022 report categories, kept as data that city admins edit (loaded from feedback/data/categories.json).

A category says what a report is about and where it goes by default: the
commune-level unit of the place for commune-tier categories, a city
department for city-tier ones. Reports (later in issue 9) refer to a
category, so categories are switched off, never deleted.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.workflow import Channel, RejectionReason, ReportStatus
from govportal.cases.models import Case, CaseEvent, CaseQuerySet
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


class ReportQuerySet(CaseQuerySet):
    """Reads of the legal clock (govportal.cases.models.CaseQuerySet: the one definition of overdue), for reports."""


class Report(Case):
    """One 1022 report: what, where, who, through which channel; a case of the shared machinery (docs/0007).

    The reporter with an account is `applicant` (the name `identity.access`
    reads a case's citizen by); without one, the contact name and phone or
    email. The place's unit is also the receiving unit. `promised_at` (Case)
    is the date the unit committed to in its latest progress post; the legal
    `due_at` never moves for it. Status changes only through
    `feedback.services.report_transition` (and the shared routing).
    """

    code = models.CharField(_("report code"), max_length=40, unique=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="reports")
    text = models.TextField(_("what is wrong"))
    unit = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("place (ward, commune or special zone)"),
        on_delete=models.PROTECT,
        related_name="reports_here",
    )
    address = models.CharField(_("address"), max_length=300)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.WEB)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by (operator)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports_recorded",
    )
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.NEW)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    reopen_count = models.PositiveSmallIntegerField(_("reopenings"), default=0)
    is_public = models.BooleanField(
        _("published on the board"),
        default=False,
        help_text=_("The unit checked the report and its answer for personal data before publication."),
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["handling_unit", "status", "due_at"], name="report_queue_idx"),
            models.Index(fields=["receiving_unit", "status", "due_at"], name="report_receiving_idx"),
            models.Index(fields=["assigned_to", "status"], name="report_assignee_idx"),
            models.Index(fields=["applicant", "-created_at"], name="report_applicant_idx"),
            models.Index(fields=["status", "due_at"], name="report_clock_idx"),
            models.Index(fields=["category", "unit", "-created_at"], name="report_duplicate_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="report_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def reporter(self):
        """The reporter's account (None when they gave only a name and a phone or email)."""
        return self.applicant


class ReportEvent(CaseEvent):
    """Append-only timeline and audit of a report (govportal.cases.models.CaseEvent): never updated, never deleted."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("report event")
        verbose_name_plural = _("report events")

    def __str__(self) -> str:
        return f"{self.report} {self.action} {self.at:%d/%m/%Y %H:%M}"


class ReportCodeSequence(models.Model):
    """Per-unit, per-day counters for readable report codes (PA-26743-260115-0042)."""

    key = models.CharField(max_length=60, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"

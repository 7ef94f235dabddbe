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
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from feedback.workflow import FINAL, Channel, RejectionReason, ReportStatus
from govportal.cases.models import Case, CaseCodeSequence, CaseEvent, CaseQuerySet
from govportal.tiers.models import Tier, UnitKind

# The statuses of the reports queue (not finished), in one fixed order: the partial indexes' condition.
QUEUE_STATUSES = sorted(status for status in ReportStatus.values if status not in FINAL)


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
    via_client = models.ForeignKey(
        "feedback.Open311Client",
        verbose_name=_("posted by the app"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
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
    public_text = models.TextField(
        _("text for the board"),
        blank=True,
        help_text=_("The report as the board shows it, with names, phone numbers and house numbers taken out."),
    )
    public_answer = models.TextField(
        _("answer for the board"), blank=True, help_text=_("The answer as the board shows it, without personal data.")
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
            # The dashboards' aggregates are recounted per day of filing (govportal.dashboard).
            models.Index(fields=["submitted_at"], name="report_submitted_idx"),
            # The dashboards' drill-down: a unit's cases of a period (the unit answering: handler, else receiver).
            models.Index(Coalesce("handling_unit", "receiving_unit"), F("submitted_at"), name="report_acting_unit_idx"),
            # The reports queue, one index per unit column, in the queue's order, over reports not finished
            # (feedback.selectors.report_queue_page); and the API's list per unit column, newest first.
            *(
                models.Index(
                    fields=[unit, "due_at", "created_at", "id"],
                    name=f"report_queue_{unit.split('_')[0]}_idx",
                    condition=models.Q(status__in=QUEUE_STATUSES),
                )
                for unit in ("handling_unit", "receiving_unit", "pending_transfer_unit")
            ),
            *(
                models.Index(fields=[unit, "created_at", "id"], name=f"report_list_{unit.split('_')[0]}_idx")
                for unit in ("handling_unit", "receiving_unit")
            ),
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

    case_field = "report"

    class Meta(CaseEvent.Meta):
        verbose_name = _("report event")
        verbose_name_plural = _("report events")


class ReportCodeSequence(CaseCodeSequence):
    """Per-unit, per-day counters for readable report codes (PA-26743-260115-0042)."""


class PhotoRole(models.TextChoices):
    REPORT = "report", _("Photo of the problem")
    ANSWER = "answer", _("Photo of the fix")


class ReportPhoto(models.Model):
    """A photo of the problem (from the reporter) or of the fix (from the officer), stripped of metadata.

    The file itself lives in the private storage (feedback.photos); pages
    serve it only to those who may see the report, and the public board only
    once the unit has published the report.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    role = models.CharField(_("role"), max_length=10, choices=PhotoRole.choices, default=PhotoRole.REPORT)
    stored_name = models.CharField(max_length=300, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    keeps_location = models.BooleanField(
        _("keeps the location"), default=False, help_text=_("The reporter chose to share the place (EXIF GPS kept).")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")

    def __str__(self) -> str:
        return f"{self.report} {self.role} {self.pk}"


class Open311Client(models.Model):
    """An app registered to post reports through Open311 GeoReport v2 (`manage.py open311_key`).

    Only a hash of the key is kept; the key is shown once, when it is issued.
    Reports it posts are recorded with channel "open311" and the app in `via_client`.
    """

    name = models.CharField(_("name"), max_length=200)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    key_prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class ReportNotice(models.Model):
    """One notice of one report event to one recipient: sent once, and the sweep's proof that someone was told.

    `recipient` is "user:<id>" (a portal notification), "sms:<phone>" or
    "email:<address>" (a reporter without an account), or "nobody" when the
    event had no one to tell (a unit with nobody posted).
    """

    event = models.ForeignKey(ReportEvent, on_delete=models.CASCADE, related_name="notices")
    recipient = models.CharField(max_length=260)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "recipient"], name="report_notice_once")]
        verbose_name = _("report notice")
        verbose_name_plural = _("report notices")

    def __str__(self) -> str:
        return f"{self.event_id} → {self.recipient}"

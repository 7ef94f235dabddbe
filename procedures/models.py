"""Administrative procedures: the catalogue, dossiers, their documents and timeline.

A Procedure is catalogue data (editable by city admins). A Dossier is one
citizen's case under a procedure; its status changes only through
`procedures.services.dossier_transition`, which appends a DossierEvent.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

# The one definition of overdue and due soon lives with every kind of case (docs/0006, docs/0007).
from govportal.cases.models import (  # noqa: F401
    CLOCK_FLAGS,
    DUE_SOON_WINDOW,
    FINISHED_AT,
    Case,
    CaseCodeSequence,
    CaseEvent,
    CaseQuerySet,
    due_soon_q,
    finished_late_q,
    overdue_q,
)
from govportal.tiers.unit_data import fold
from procedures.workflow import OPEN, DossierStatus

# The statuses of the officers' queue, in one fixed order (a partial index's condition must match the query's).
OPEN_STATUSES = sorted(OPEN)
NOT_DRAFT = ~models.Q(status=DossierStatus.DRAFT)


class Field(models.TextChoices):
    CIVIL_STATUS = "civil_status", _("Civil status")
    CERTIFICATION = "certification", _("Certification of copies and signatures")
    BUSINESS = "business", _("Business household and enterprise")
    CONSTRUCTION = "construction", _("Construction")
    LAND = "land", _("Land")
    RESIDENCE = "residence", _("Residence and identity papers")
    SOCIAL = "social", _("Social support")
    EDUCATION = "education", _("Education")
    JUSTICE = "justice", _("Judicial records")
    TRANSPORT = "transport", _("Transport")
    HEALTH = "health", _("Health and food safety")
    LABOUR = "labour", _("Labour")
    OTHER = "other", _("Other")


class TimeLimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")
    DAYS = "days", _("calendar days")


class Channel(models.TextChoices):
    """How the dossier reached the unit: the online filing rate (docs/0009) counts them."""

    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the one-stop counter")
    POST = "post", _("By post")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Fully online")
    PARTIAL = "partial", _("Partly online")


class Procedure(models.Model):
    code = models.CharField(
        _("code"), max_length=40, unique=True, help_text=_("National procedure code, or a local HCM- code.")
    )
    national_code = models.CharField(_("national code"), max_length=40, blank=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300)
    field = models.CharField(_("field"), max_length=30, choices=Field.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=[("commune", _("Commune level")), ("city", _("City"))])
    handling_department = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("handling department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="procedures",
        help_text=_("City-tier procedures: the department that decides."),
    )
    handling_agency_vi = models.CharField(_("handling agency (Vietnamese)"), max_length=400, blank=True)
    handling_agency_en = models.CharField(_("handling agency (English)"), max_length=400, blank=True)
    time_limit_value = models.DecimalField(_("time limit"), max_digits=6, decimal_places=2)
    time_limit_unit = models.CharField(_("time limit unit"), max_length=20, choices=TimeLimitUnit.choices)
    min_eid_level = models.PositiveSmallIntegerField(_("minimum e-ID level"), choices=[(1, "1"), (2, "2")], default=2)
    online_level = models.CharField(_("online level"), max_length=10, choices=OnlineLevel.choices)
    form_fields = models.JSONField(
        _("form fields"),
        default=list,
        blank=True,
        help_text=_('List of {"name", "label_vi", "label_en", "type", "required", "prefill"}.'),
    )
    legal_basis = models.TextField(_("legal basis"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    confidence = models.CharField(_("confidence of the reference data"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    fee_due_at_filing = models.BooleanField(
        _("fee due at filing"),
        default=False,
        help_text=_(
            "The fee is paid online right after submission, before the unit receives the dossier; otherwise the "
            "unit asks for it when it is due."
        ),
    )
    search_text = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["tier", "field", "name_vi"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return f"{self.code} {self.name_vi}"

    def save(self, *args, **kwargs):
        # Derived data: diacritic-free text so "khai sinh" and "khái sinh" both find it.
        self.search_text = " ".join(fold(t) for t in (self.code, self.name_vi, self.name_en))
        super().save(*args, **kwargs)

    @property
    def total_fee(self) -> int:
        return sum(line.amount_vnd for line in self.fee_lines.all())


class FeeLine(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="fee_lines")
    kind = models.CharField(_("kind"), max_length=10, choices=[("fee", _("Fee")), ("charge", _("Charge"))])
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"), default=0)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("fee line")
        verbose_name_plural = _("fee lines")

    def __str__(self) -> str:
        return f"{self.name_vi}: {self.amount_vnd} VND"


class RequiredDocument(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="documents")
    key = models.SlugField(_("key"), max_length=60)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=400)
    name_en = models.CharField(_("name (English)"), max_length=400, blank=True)
    replaceable_by_registry = models.BooleanField(
        _("replaced by registry data"),
        default=False,
        help_text=_("Not asked of the citizen: the data comes from the population registry."),
    )
    is_required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        constraints = [models.UniqueConstraint(fields=["procedure", "key"], name="uniq_required_document_key")]

    def __str__(self) -> str:
        return self.name_vi


class DossierQuerySet(CaseQuerySet):
    """Reads of the legal clock (govportal.cases.models.CaseQuerySet), for dossiers."""


class Dossier(Case):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("dossier code"), max_length=40, unique=True, null=True, blank=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="dossiers"
    )
    status = models.CharField(_("status"), max_length=30, choices=DossierStatus.choices, default=DossierStatus.DRAFT)
    status_before_pause = models.CharField(max_length=30, blank=True)
    form_data = models.JSONField(_("form data"), default=dict, blank=True)
    reused_data = models.JSONField(
        _("data reused from the registry"),
        default=dict,
        blank=True,
        help_text=_("Which fields and documents came from the population registry instead of the citizen."),
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, blank=True, choices=[("approved", _("Approved")), ("refused", _("Refused"))]
    )
    supplement_count = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("The applicant's rating once the result is returned."),
    )
    # Transfers wait for the receiving unit to accept or return them (with a reason code).
    pending_transfer_unit = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("transfer waiting at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_transfers",
    )  # declared again: the shared base would name the relation "incoming_dossier_transfers"

    objects = DossierQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [
            models.Index(fields=["handling_unit", "status", "due_at"], name="dossier_queue_idx"),
            models.Index(fields=["receiving_unit", "status", "due_at"], name="dossier_receiving_idx"),
            models.Index(fields=["assigned_to", "status"], name="dossier_assignee_idx"),
            models.Index(fields=["applicant", "-created_at"], name="dossier_applicant_idx"),
            models.Index(fields=["status", "due_at"], name="dossier_clock_idx"),
            # The dashboards' aggregates are recounted per day of filing (govportal.dashboard).
            models.Index(fields=["submitted_at"], name="dossier_submitted_idx"),
            # The dashboards' drill-down: a unit's cases of a period (the unit answering: handler, else receiver).
            models.Index(
                Coalesce("handling_unit", "receiving_unit"), F("submitted_at"), name="dossier_acting_unit_idx"
            ),
            # The officer's queue, one index per branch of "acting in the unit", in the queue's order and
            # only over open dossiers (procedures.selectors.dossier_queue_page reads each from its cursor).
            *(
                models.Index(
                    F(f"{unit}_id"),
                    F("due_at").asc(nulls_first=True),
                    F("submitted_at"),
                    F("id"),
                    name=f"dossier_queue_{name}_idx",
                    condition=models.Q(status__in=OPEN_STATUSES, **extra),
                )
                for unit, name, extra in (
                    ("handling_unit", "handling", {}),
                    ("receiving_unit", "receiving", {"handling_unit__isnull": True}),
                    ("pending_transfer_unit", "pending", {"pending_transfer_unit__isnull": False}),
                )
            ),
            # The API's list, newest first: per unit column, and all of them for the city.
            *(
                models.Index(fields=[*unit, "created_at", "id"], name=f"dossier_list{name}_idx", condition=NOT_DRAFT)
                for unit, name in ((["receiving_unit"], "_receiving"), (["handling_unit"], "_handling"), ([], ""))
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="dossier_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return self.code or f"draft {self.uuid}"

    @property
    def national_status_code(self) -> int | None:
        return DossierStatus.national_code(self.status)

    @property
    def fee_total(self) -> int:
        return self.procedure.total_fee


class DocumentRole(models.TextChoices):
    APPLICATION = "application", _("Filed by the applicant")
    SUPPLEMENT = "supplement", _("Supplement")
    RESULT = "result", _("Result")


class DossierDocument(models.Model):
    """An uploaded file. Stored under a generated name outside the web root."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    key = models.CharField(_("document"), max_length=60, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=DocumentRole.choices, default=DocumentRole.APPLICATION)
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("dossier document")
        verbose_name_plural = _("dossier documents")

    def __str__(self) -> str:
        return self.original_name


class DossierEvent(CaseEvent):
    """Append-only timeline and audit of a dossier (govportal.cases.models.CaseEvent): never updated, never deleted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")

    case_field = "dossier"

    class Meta(CaseEvent.Meta):
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")


class CodeSequence(CaseCodeSequence):
    """Per-unit, per-day counters for readable dossier codes (HCM-26743-260115-0042)."""

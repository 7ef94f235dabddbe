"""Administrative procedures: the catalogue, dossiers, their documents and timeline.

A Procedure is catalogue data (editable by city admins). A Dossier is one
citizen's case under a procedure; its status changes only through
`procedures.services.dossier_transition`, which appends a DossierEvent.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govportal.tiers import routing
from govportal.tiers.unit_data import fold
from procedures.workflow import DossierStatus


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


# When each step of the legal clock fired (procedures.clocks), in the order the steps fire.
CLOCK_FLAGS = ("due_soon_warned_at", "overdue_flagged_at", "escalated_to_head_at", "escalated_to_city_at")

# How far ahead the workbench's "due soon" filter and the city's overview look.
DUE_SOON_WINDOW = timedelta(days=2)

# When the unit's work on a dossier ended: its decision (approved or refused), else the closing
# (withdrawal, refused receipt). Returning a decided result later does not change it. Annotate
# it under another name (the model has a `finished_at` property): .annotate(finished=FINISHED_AT).
FINISHED_AT = Coalesce("decided_at", "closed_at")


def overdue_q(now: datetime) -> Q:
    """THE definition of "overdue" (docs/0006): the legal due date passed without the unit finishing by then.

    * clock running, unfinished: the legal due date (`due_at`) is now or earlier;
    * clock running, finished (decided, stopped, withdrawn): finished after the legal due date;
    * clock paused (supplement, payment; finished meanwhile or not): the due date
      had already passed when it paused. The citizen's time is not the unit's.
    Finished late stays overdue for good. An apology's promised date (`promised_at`)
    never enters it. `Dossier.is_overdue_at` says the same for one loaded dossier,
    without a query; a test keeps the two equal.
    """
    unfinished = Q(decided_at__isnull=True, closed_at__isnull=True)
    running_late = Q(paused_at__isnull=True) & unfinished & Q(due_at__lte=now)
    return Q(due_at__isnull=False) & (running_late | finished_late_q() | _late_when_paused())


def finished_late_q() -> Q:
    """Finished (decided, stopped, withdrawn) after the legal due date: late in every indicator."""
    # Spelled out rather than on FINISHED_AT so the database can use the plain columns.
    decided_late = Q(decided_at__isnull=False, decided_at__gt=F("due_at"))
    closed_late = Q(decided_at__isnull=True, closed_at__isnull=False, closed_at__gt=F("due_at"))
    finished = Q(decided_at__isnull=False) | Q(closed_at__isnull=False)
    return Q(due_at__isnull=False) & (
        (Q(paused_at__isnull=True) & (decided_late | closed_late)) | (finished & _late_when_paused())
    )


def _late_when_paused() -> Q:
    return Q(paused_at__isnull=False, due_at__lte=F("paused_at"))


def due_soon_q(now: datetime, within: timedelta = DUE_SOON_WINDOW) -> Q:
    """Unfinished, clock running, the legal due date still ahead but within `within` of now."""
    return Q(
        decided_at__isnull=True,
        closed_at__isnull=True,
        paused_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + within,
    )


class DossierQuerySet(models.QuerySet):
    """Reads of the legal clock that every page, API, clock and dashboard shares."""

    def overdue(self, now: datetime):
        return self.filter(overdue_q(now))

    def not_overdue(self, now: datetime):
        return self.exclude(overdue_q(now))

    def finished_late(self):
        return self.filter(finished_late_q())

    def unfinished(self):
        return self.filter(decided_at__isnull=True, closed_at__isnull=True)

    def due_soon(self, now: datetime, within: timedelta = DUE_SOON_WINDOW):
        return self.filter(due_soon_q(now, within))


class Dossier(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("dossier code"), max_length=40, unique=True, null=True, blank=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="dossiers"
    )
    receiving_unit = models.ForeignKey(
        "tiers.Unit", verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="received_dossiers"
    )
    handling_unit = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_dossiers",
    )
    routing_reason = models.CharField(_("routing reason"), max_length=300, blank=True)
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_dossiers",
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
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    # The legal due date: set at receipt from the procedure's time limit, moved only by the legal
    # pause and resume (a supplement, a payment awaited). An apology never moves it (docs/0006).
    due_at = models.DateTimeField(_("legal due date"), null=True, blank=True)
    # The date the unit promised in its latest apology; lateness is still counted on `due_at`.
    promised_at = models.DateTimeField(_("promised date (apology)"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    remaining_hours = models.DecimalField(
        _("working hours left when paused"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, blank=True, choices=[("approved", _("Approved")), ("refused", _("Refused"))]
    )
    supplement_count = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    transfer_count = models.PositiveSmallIntegerField(_("transfers"), default=0)
    # Transfers wait for the receiving unit to accept or return them (with a reason code).
    pending_transfer_unit = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("transfer waiting at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_transfers",
    )
    transfer_reason = models.CharField(_("transfer reason"), max_length=40, blank=True)
    # City-tier dossiers received at a ward must reach their department by this instant.
    forward_by = models.DateTimeField(_("forward by"), null=True, blank=True)
    # The legal clocks (beat): each fires once per due date (CLOCK_FLAGS; an apology re-arms them).
    due_soon_warned_at = models.DateTimeField(_("due-soon warning sent at"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    escalated_to_head_at = models.DateTimeField(_("escalated to the head at"), null=True, blank=True)
    escalated_to_city_at = models.DateTimeField(_("escalated to the city at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text=_("Raised on every change; stale forms are refused."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
        ]

    def __str__(self) -> str:
        return self.code or f"draft {self.uuid}"

    @property
    def acting_unit_id(self):
        """The unit whose staff act on the dossier: the handler once routed, else the receiver."""
        return self.handling_unit_id or self.receiving_unit_id

    @property
    def finished_at(self) -> datetime | None:
        """When the unit's work ended (see FINISHED_AT); None while it works."""
        return self.decided_at or self.closed_at

    @property
    def target_at(self) -> datetime | None:
        """The date the unit now works to: the promised date after an apology, else the legal one."""
        return self.promised_at or self.due_at

    def is_overdue_at(self, now: datetime) -> bool:
        """`overdue_q` for one loaded dossier (no query): the same rule, kept equal by a test."""
        if self.due_at is None:
            return False
        if self.paused_at is not None:
            return self.due_at <= self.paused_at
        finished = self.finished_at
        if finished is not None:
            return finished > self.due_at
        return self.due_at <= now

    @property
    def is_overdue(self) -> bool:
        """Overdue now (for templates); code that has an instant calls `is_overdue_at`."""
        return self.is_overdue_at(timezone.now())

    @property
    def finished_late(self) -> bool:
        """`finished_late_q` for one loaded dossier."""
        finished = self.finished_at
        return finished is not None and self.is_overdue_at(finished)

    @property
    def national_status_code(self) -> int | None:
        return DossierStatus.national_code(self.status)

    @property
    def routing_reason_display(self) -> str:
        """The routing reason in the reader's language (stored in English, translated when read)."""
        return routing.reason_display(self.routing_reason)

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


class DossierEvent(models.Model):
    """Append-only timeline and audit: never updated, never deleted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from"), max_length=30, blank=True)
    to_status = models.CharField(_("to"), max_length=30, blank=True)
    unit = models.ForeignKey("tiers.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")

    def __str__(self) -> str:
        return f"{self.dossier} {self.action} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Dossier events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Dossier events are append-only.")


class CodeSequence(models.Model):
    """Per-unit, per-day counters for readable dossier codes (HCM-26743-260115-0042)."""

    key = models.CharField(max_length=60, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"

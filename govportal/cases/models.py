"""Abstract bases of every case model and the one definition of overdue (docs/0006, docs/0007).

`Case` carries the fields the shared machinery reads and writes (routing,
legal clock, transfer, assignment); `CaseEvent` the append-only trail. A case
app's concrete model inherits them and keeps its own status, indexes and data.
No table is made here: both bases are abstract.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govportal.tiers import routing

# When each step of the legal clock fired (govportal.cases.clocks), in the order the steps fire.
CLOCK_FLAGS = ("due_soon_warned_at", "overdue_flagged_at", "escalated_to_head_at", "escalated_to_city_at")

# How far ahead the workbench's "due soon" filter and the city's overview look.
DUE_SOON_WINDOW = timedelta(days=2)

# When the unit's work on a case ended: its decision (approved or refused), else the closing
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
    never enters it. `Case.is_overdue_at` says the same for one loaded case,
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


class CaseQuerySet(models.QuerySet):
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


class CaseForeignKey(models.ForeignKey):
    """A ForeignKey of an abstract case base whose `related_name` may use "%(class)s".

    Django keeps such a template as written in the migration state; this one
    gives the concrete model's resolved name and the plain ForeignKey path, so
    a model that inherits the field has the same migrations as one that
    declared it (`makemigrations --check` says "No changes detected").
    """

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        model = getattr(self, "model", None)
        if "related_name" in kwargs and model is not None and not model._meta.abstract:
            kwargs["related_name"] = self.remote_field.related_name
        return name, "django.db.models.ForeignKey", args, kwargs


class Case(models.Model):
    """Routing, clock, transfer and assignment fields of a case; names and options are part of the schema."""

    receiving_unit = CaseForeignKey(
        "tiers.Unit", verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="received_%(class)ss"
    )
    handling_unit = CaseForeignKey(
        "tiers.Unit",
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_%(class)ss",
    )
    routing_reason = models.CharField(_("routing reason"), max_length=300, blank=True)
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    assigned_to = CaseForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_%(class)ss",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    # The legal due date: set at receipt from the time limit, moved only by the legal
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
    transfer_count = models.PositiveSmallIntegerField(_("transfers"), default=0)
    # Transfers wait for the receiving unit to accept or return them (with a reason code).
    pending_transfer_unit = CaseForeignKey(
        "tiers.Unit",
        verbose_name=_("transfer waiting at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_%(class)s_transfers",
    )
    transfer_reason = models.CharField(_("transfer reason"), max_length=40, blank=True)
    # City-tier cases received at a ward must reach their department by this instant.
    forward_by = models.DateTimeField(_("forward by"), null=True, blank=True)
    # The legal clocks (beat): each fires once per due date (CLOCK_FLAGS; an apology re-arms them).
    due_soon_warned_at = models.DateTimeField(_("due-soon warning sent at"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    escalated_to_head_at = models.DateTimeField(_("escalated to the head at"), null=True, blank=True)
    escalated_to_city_at = models.DateTimeField(_("escalated to the city at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text=_("Raised on every change; stale forms are refused."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def acting_unit_id(self):
        """The unit whose staff act on the case: the handler once routed, else the receiver."""
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
        """`overdue_q` for one loaded case (no query): the same rule, kept equal by a test."""
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
        """`finished_late_q` for one loaded case."""
        finished = self.finished_at
        return finished is not None and self.is_overdue_at(finished)

    @property
    def routing_reason_display(self) -> str:
        """The routing reason in the reader's language (stored in English, translated when read)."""
        return routing.reason_display(self.routing_reason)


class CaseEvent(models.Model):
    """Append-only timeline and audit: never updated, never deleted.

    The concrete model adds the foreign key to its case (related_name "events"),
    names it in `case_field`, and its Meta inherits `CaseEvent.Meta`; `govportal.cases.events.event_append` is the one writer.
    """

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
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        case = getattr(self, type(self).case_field)
        return f"{case} {self.action} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only.")


class CaseCodeSequence(models.Model):
    """Per-key counters (a filing place and a day) for readable case codes (govportal.cases.codes.next_number)."""

    key = models.CharField(max_length=60, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"

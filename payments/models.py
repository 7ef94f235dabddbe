"""Payments of fees: each attempt with its own copy of the fee lines, its audit trail and every gateway message.

A payment knows what it pays for only by an opaque `subject` ("dossier:<code>"):
the app that owns the subject supplies the lines and hears of the outcome
(`payments.payables`). Amounts are whole VND.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from payments.workflow import Answer, PaymentStatus, RefundStatus


class Payment(models.Model):
    reference = models.CharField(_("payment reference"), max_length=32, unique=True)
    subject = models.CharField(_("paid for"), max_length=80, db_index=True)
    description = models.CharField(_("description"), max_length=255)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    unit = models.ForeignKey(
        "tiers.Unit", verbose_name=_("unit collecting the fee"), on_delete=models.PROTECT, related_name="payments"
    )
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    currency = models.CharField(_("currency"), max_length=3, default="VND")
    status = models.CharField(_("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    gateway = models.CharField(_("gateway"), max_length=40)
    gateway_transaction_no = models.CharField(_("gateway transaction number"), max_length=64, blank=True)
    bank_code = models.CharField(_("bank"), max_length=20, blank=True)
    result_code = models.CharField(_("gateway result code"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("sent to the gateway at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    last_queried_at = models.DateTimeField(null=True, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=32, unique=True, null=True, blank=True)
    # The API's Idempotency-Key (per payer) and a hash of the request body it came with.
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [
            models.Index(fields=["status", "started_at"], name="payment_pending_idx"),
            models.Index(fields=["unit", "created_at"], name="payment_unit_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="payment_idempotency_once",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_final(self) -> bool:
        from payments.workflow import FINAL

        return self.status in FINAL


class PaymentLine(models.Model):
    """A fee line as it was when the payment was created: a later catalogue change does not alter it."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=10)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")

    def __str__(self) -> str:
        return f"{self.name_vi}: {self.amount_vnd}"


class PaymentEvent(models.Model):
    """Append-only audit of a payment: every state change, query, refund step, with who or what did it."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")

    def __str__(self) -> str:
        return f"{self.payment_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("PaymentEvent rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("PaymentEvent rows are append-only.")


class GatewayCallback(models.Model):
    """Every server-to-server notification as received, with the answer given: the audit of the gateway's word."""

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    gateway = models.CharField(max_length=40)
    remote_addr = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict)
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="callbacks")
    signature_valid = models.BooleanField(default=False)
    answer = models.CharField(max_length=2, choices=Answer.choices)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("gateway notification")
        verbose_name_plural = _("gateway notifications")

    def __str__(self) -> str:
        return f"{self.reference} → {self.answer}"


class Refund(models.Model):
    """A refund asked by one officer and approved (or refused) by the unit's head: never the same person."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    gateway_refund_no = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["payment"], condition=models.Q(status__in=["requested", "done"]), name="refund_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment} {self.amount_vnd} {self.status}"


class ReceiptSequence(models.Model):
    """Yearly counters for electronic receipt numbers (BL-2026-0000123)."""

    key = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class ReconciliationReport(models.Model):
    """One unit's payments of one day matched against the gateway's records (made by beat; CSV for head and city)."""

    unit = models.ForeignKey("tiers.Unit", on_delete=models.PROTECT, related_name="reconciliation_reports")
    day = models.DateField()
    generated_at = models.DateTimeField()
    # One row per payment: reference, portal status and amount, gateway result and amount, "match" or why not.
    rows = models.JSONField(default=list)
    matched = models.PositiveIntegerField(default=0)
    mismatched = models.PositiveIntegerField(default=0)
    unreachable = models.BooleanField(default=False)

    class Meta:
        ordering = ["-day", "unit"]
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="reconciliation_once_per_unit_day")]
        verbose_name = _("reconciliation report")
        verbose_name_plural = _("reconciliation reports")

    def __str__(self) -> str:
        return f"{self.unit} {self.day}"

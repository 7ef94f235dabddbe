"""Reads of payments that pages, the API and other apps share."""

from payments.models import Payment
from payments.workflow import PaymentStatus


def subject_paid(subject: str) -> bool:
    return Payment.objects.filter(subject=subject, status=PaymentStatus.SUCCEEDED).exists()


def payment_get(reference: str) -> Payment | None:
    return Payment.objects.select_related("unit", "payer").prefetch_related("lines").filter(reference=reference).first()


def payments_of_subject(subject: str):
    return Payment.objects.filter(subject=subject).order_by("-created_at")


def paid_online_subjects():
    """Payments that went through the gateway (a later refund does not undo that the fee was paid online)."""
    return Payment.objects.filter(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED])

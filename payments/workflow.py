"""The payment lifecycle as data: which state may follow which (applied by `payments.services`).

A payment is one attempt to pay a set of fee lines: created, then pending at
the gateway, then one final outcome. Nothing leaves a final state, except a
succeeded payment that is refunded. An out-of-order or repeated gateway message
therefore cannot undo an outcome.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Waiting for the bank")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")


S = PaymentStatus

FINAL = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED, S.EXPIRED, S.REFUNDED})
OPEN = frozenset({S.CREATED, S.PENDING})
# Where each state may go: the gateway's outcome from created or pending (a notification may arrive
# before the browser is even redirected), expiry of an abandoned attempt, a refund of a success.
TRANSITIONS: dict[str, frozenset] = {
    S.CREATED: frozenset({S.PENDING, S.SUCCEEDED, S.FAILED, S.CANCELLED, S.EXPIRED}),
    S.PENDING: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED, S.EXPIRED}),
    S.SUCCEEDED: frozenset({S.REFUNDED}),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REFUNDED: frozenset(),
}


def can_move(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    REFUSED = "refused", _("Refused")
    DONE = "done", _("Refunded")
    FAILED = "failed", _("Refund failed")


# The answer codes of the server-to-server notification (the convention Vietnamese gateways share).
class Answer(models.TextChoices):
    CONFIRMED = "00", _("Confirmed")
    NOT_FOUND = "01", _("Order not found")
    ALREADY = "02", _("Order already confirmed")
    INVALID_AMOUNT = "04", _("Invalid amount")
    INVALID_SIGNATURE = "97", _("Invalid signature")
    OTHER = "99", _("Other error")


# The result codes a gateway reports for a transaction.
RESULT_SUCCESS = "00"
RESULT_CANCELLED = "24"

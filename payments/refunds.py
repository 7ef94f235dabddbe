"""Refunds with a second person's approval: an officer (or head) of the collecting unit asks, a head decides.

- `refund_request`: an officer or head of `payment.unit`, on a succeeded
  payment, for 1 ₫ up to the amount paid; one open request at a time.
- `refund_decide`: a head of the unit or a city admin, never the person who
  asked (`same_person`). Approval asks the gateway to refund; when it does, the
  refund is done and the payment moves succeeded → refunded (the state table),
  and the owner of the subject hears of it on commit (`on_refunded`). When the
  gateway refuses or does not answer, the refund is "failed", the payment is
  unchanged, and a new request may be made.

Every step is a `PaymentEvent` with its actor (refund_request, refund_approve,
refund_refuse, refund, refund_failed). The gateway is called while the payment
row is locked, so two approvals at once cannot refund twice.

A partial refund still moves the payment to "refunded" (the table has no
"partly refunded" state); the amount is in the refund and its events.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity import access
from payments import payables
from payments.gateways import GatewayError, get_gateway
from payments.models import Payment, Refund
from payments.services import PaymentError, _event, _move
from payments.workflow import PaymentStatus, RefundStatus

logger = logging.getLogger(__name__)
S = PaymentStatus
R = RefundStatus

REASON_MAX = 2000


def may_request(user, payment: Payment) -> bool:
    return payment.unit_id in access.units_where(user, access.OFFICER, access.HEAD)


def may_decide(user, payment: Payment) -> bool:
    """Heads of the collecting unit and city admins (the requester is refused separately: `same_person`)."""
    return payment.unit_id in access.units_where(user, access.HEAD) or access.is_city_admin(user)


def _amount(value) -> int | None:
    try:
        amount = int(str(value).replace(".", "").replace(" ", "").strip())
    except (TypeError, ValueError):
        return None
    return amount


def refund_request(payment: Payment, amount_vnd, reason: str, actor, now=None) -> Refund:
    """Ask for a refund of `amount_vnd` (1 ₫ .. the amount paid) of a succeeded payment.

    Codes: `forbidden` (403), `not_refundable` (409: not succeeded),
    `invalid_amount` / `reason_required` (400, with `extra["errors"]`),
    `refund_open` (409: a request already waits).
    """
    now = now or timezone.now()
    if not may_request(actor, payment):
        raise PaymentError(
            "forbidden", _("Only an officer or the head of the collecting unit can ask for a refund."), status_code=403
        )
    amount = _amount(amount_vnd)
    reason = (reason or "").strip()
    errors = {}
    if amount is None or amount < 1 or amount > payment.amount_vnd:
        errors["amount_vnd"] = _("Enter a whole amount in VND between 1 and the amount paid.")
    if not reason:
        errors["reason"] = _("Say why the money is given back.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}
    if errors:
        code = "invalid_amount" if "amount_vnd" in errors else "reason_required"
        raise PaymentError(code, next(iter(errors.values())), status_code=400, extra={"errors": errors})
    try:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status != S.SUCCEEDED:
                raise PaymentError("not_refundable", _("Only a paid payment can be refunded."), status_code=409)
            if Refund.objects.filter(payment=locked, status=R.REQUESTED).exists():
                raise _open_error()
            refund = Refund.objects.create(
                payment=locked, amount_vnd=amount, reason=reason, requested_by=actor, status=R.REQUESTED
            )
            _event(
                locked,
                "refund_request",
                from_status=locked.status,
                actor=actor,
                data={"refund": refund.pk, "amount_vnd": amount, "reason": reason},
                now=now,
            )
    except IntegrityError as error:  # a colleague's request won the race (refund_one_open)
        raise _open_error() from error
    return refund


def _open_error() -> PaymentError:
    return PaymentError("refund_open", _("A refund of this payment is already waiting for approval."), status_code=409)


def refund_decide(refund: Refund, approve: bool, actor, note: str = "", now=None) -> Refund:
    """Approve (the gateway refunds) or refuse a requested refund; returns the refund as it ends.

    Codes: `forbidden` (403), `same_person` (403: the requester cannot approve
    their own request), `refund_decided` (409: already decided). A gateway that
    refuses or does not answer is not an error: the refund comes back "failed"
    and the payment stays paid.
    """
    now = now or timezone.now()
    note = (note or "").strip()[:REASON_MAX]
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.requested_by_id == getattr(actor, "pk", None):
            raise PaymentError(
                "same_person",
                _("A refund needs a second person: you asked for it, so someone else must decide."),
                status_code=403,
            )
        if not may_decide(actor, payment):
            raise PaymentError(
                "forbidden", _("Only the head of the collecting unit can decide on a refund."), status_code=403
            )
        if locked.status != R.REQUESTED:
            raise PaymentError("refund_decided", _("This refund has already been decided."), status_code=409)
        locked.decided_by = actor
        locked.decided_at = now
        data = {"refund": locked.pk, "amount_vnd": locked.amount_vnd, "note": note}
        if not approve:
            locked.status = R.REFUSED
            locked.save(update_fields=["status", "decided_by", "decided_at"])
            _event(payment, "refund_refuse", from_status=payment.status, actor=actor, data=data, now=now)
            return locked
        _event(payment, "refund_approve", from_status=payment.status, actor=actor, data=data, now=now)
        if payment.status != S.SUCCEEDED:
            return _failed(locked, payment, actor, _("The payment is no longer in a paid state."), now)
        try:
            result = get_gateway().refund(payment, amount_vnd=locked.amount_vnd, operator=actor.get_username())
        except GatewayError as error:
            logger.warning("refund %s of %s: gateway did not answer: %s", locked.pk, payment.reference, error)
            return _failed(locked, payment, actor, _("The payment gateway did not answer. Try again later."), now)
        if not result.ok:
            message = _("The payment gateway refused the refund: %(message)s") % {"message": result.message or "-"}
            return _failed(locked, payment, actor, message, now)
        locked.status = R.DONE
        locked.gateway_refund_no = (result.refund_no or "")[:64]
        locked.save(update_fields=["status", "decided_by", "decided_at", "gateway_refund_no"])
        _move(
            payment,
            S.REFUNDED,
            action="refund",
            actor=actor,
            data={**data, "refund_no": locked.gateway_refund_no},
            now=now,
        )
        payment_id = payment.pk
        transaction.on_commit(lambda: _announce_refund(payment_id))
    locked.message = ""
    return locked


def _failed(refund: Refund, payment: Payment, actor, message: str, now) -> Refund:
    refund.status = R.FAILED
    refund.save(update_fields=["status", "decided_by", "decided_at"])
    _event(
        payment,
        "refund_failed",
        from_status=payment.status,
        actor=actor,
        data={"refund": refund.pk, "amount_vnd": refund.amount_vnd, "message": str(message)},
        now=now,
    )
    refund.message = str(message)
    return refund


def _announce_refund(payment_id: int) -> None:
    payment = Payment.objects.get(pk=payment_id)
    kind = payables.kind_of(payment.subject)
    if kind is not None:
        kind.on_refunded(payment)


def refunds_waiting_for(user):
    """Requested refunds of the units where `user` is head (all units for a city admin), oldest first."""
    waiting = Refund.objects.filter(status=R.REQUESTED).select_related("payment", "payment__unit", "requested_by")
    if not access.is_city_admin(user):
        waiting = waiting.filter(payment__unit_id__in=access.units_where(user, access.HEAD))
    return waiting.order_by("requested_at", "id")


def refunds_recent_for(user, limit: int = 50):
    """Recent refunds (any status) of the units the user works for as officer or head; all for the city."""
    refunds = Refund.objects.select_related("payment", "payment__unit", "requested_by", "decided_by")
    if not access.is_city_admin(user):
        refunds = refunds.filter(payment__unit_id__in=access.units_where(user, access.OFFICER, access.HEAD))
    return refunds.order_by("-requested_at", "-id")[:limit]

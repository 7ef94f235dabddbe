"""Every write to payments: create an attempt, send it to the gateway, take the gateway's word, reconcile, refund.

One rule each, for the page, the API, the callback and the beat alike:
- amounts come from the payable's fee lines (copied into the payment), never from the browser;
- the state table (`payments.workflow`) is checked under a row lock, so a replayed
  or late notification cannot move a payment out of a final state;
- every change is a `PaymentEvent`; every notification is stored raw (`GatewayCallback`);
- the owner of the subject hears of a success on commit (`payments.payables`).
"""

import hashlib
import json
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError
from govportal.cases.codes import next_number
from payments import payables
from payments.gateways import GatewayError, get_gateway
from payments.models import GatewayCallback, Payment, PaymentEvent, PaymentLine, ReceiptSequence
from payments.workflow import (
    FINAL,
    OPEN,
    RESULT_CANCELLED,
    RESULT_SUCCESS,
    Answer,
    PaymentStatus,
    can_move,
)

logger = logging.getLogger(__name__)
S = PaymentStatus


class PaymentError(ApplicationError):
    pass


def request_hash(body: dict) -> str:
    """A stable fingerprint of a request body (for idempotency keys): sorted JSON, SHA-256."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _event(payment: Payment, action: str, *, from_status: str = "", actor=None, data=None, now=None) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        action=action,
        from_status=from_status,
        to_status=payment.status,
        actor=actor,
        data=data or {},
        at=now or timezone.now(),
    )


def _new_reference(now: datetime) -> str:
    """PG + yymmdd + 10 random characters: unique per attempt, unguessable, safe in any URL."""
    return f"PG{timezone.localtime(now):%y%m%d}{secrets.token_hex(5).upper()}"


# --- creating an attempt -------------------------------------------------------------------------------


def payment_create(*, subject: str, payer, idempotency_key: str = "", body_hash: str = "", now=None) -> Payment:
    """A new payment attempt for `subject`, with the payable's own fee lines; or the one an idempotency key made.

    Refused with a code: `subject_unknown`, whatever the payable refuses
    (`not_payable`...), `already_paid`, `payment_pending` (an attempt is at the
    gateway: wait for its outcome), `nothing_to_pay` (0 ₫: no payment), and
    `idempotency_key_reused` (422) for a key already used with another body.
    The payment an earlier request with the same key made carries `replayed = True`.
    """
    now = now or timezone.now()
    idempotency_key = (idempotency_key or "").strip()[:100]
    kind = payables.kind_of(subject)
    if kind is None:
        raise PaymentError("subject_unknown", _("There is nothing to pay with this reference."), status_code=404)
    with transaction.atomic():
        # One request at a time per key and per subject: the checks below then see every earlier attempt.
        _hold_locks(
            *([f"payments:key:{getattr(payer, 'pk', '')}:{idempotency_key}"] if idempotency_key else []),
            f"payments:subject:{subject}",
        )
        if idempotency_key:
            earlier = Payment.objects.filter(payer=payer, idempotency_key=idempotency_key).first()
            if earlier is not None:
                return _same_request(earlier, body_hash)
        payable = kind.resolve(payables.split(subject)[1], payer)
        total = sum(line.amount_vnd for line in payable.lines)
        if total <= 0:
            raise PaymentError("nothing_to_pay", _("There is no fee to pay (0 ₫)."), status_code=409)
        attempts = Payment.objects.select_for_update().filter(subject=subject)
        if attempts.filter(status=S.SUCCEEDED).exists():
            raise PaymentError("already_paid", _("This fee has already been paid."), status_code=409)
        if attempts.filter(status=S.PENDING).exists():
            raise PaymentError(
                "payment_pending",
                _("A payment of this fee is waiting for the bank's answer. Wait a few minutes, then check again."),
                status_code=409,
            )
        # A created attempt never sent to the gateway is replaced by the new one.
        for unsent in attempts.filter(status=S.CREATED):
            _move(unsent, S.CANCELLED, action="replaced", now=now)
        payment = Payment.objects.create(
            reference=_new_reference(now),
            subject=subject,
            description=payable.description[:255],
            payer=payer,
            unit=payable.unit,
            amount_vnd=total,
            gateway=get_gateway().name,
            expires_at=now + timedelta(minutes=settings.PAYMENT_EXPIRE_MINUTES),
            idempotency_key=idempotency_key,
            request_hash=body_hash if idempotency_key else "",
        )
        PaymentLine.objects.bulk_create(
            PaymentLine(
                payment=payment, kind=line.kind, name_vi=line.name_vi, name_en=line.name_en, amount_vnd=line.amount_vnd
            )
            for line in payable.lines
        )
        _event(payment, "create", actor=payer, data={"amount_vnd": total, "subject": subject}, now=now)
    return payment


def _hold_locks(*names: str) -> None:
    """Wait for, then hold until the end of the transaction, one PostgreSQL advisory lock per name.

    payment_create checks the key and the subject's earlier attempts before it
    inserts; without the locks two concurrent requests would both pass those
    checks (the first row of a subject is not there to lock yet). Other
    databases (SQLite for `make run`) serialize writes themselves.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in names:
            lock_id = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _same_request(payment: Payment, body_hash: str) -> Payment:
    if payment.request_hash and body_hash and payment.request_hash != body_hash:
        raise PaymentError(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used with a different request."),
            status_code=422,
        )
    payment.replayed = True  # transient: the API answers 200 and says so
    return payment


def payment_start(*, payment: Payment, return_url: str, client_ip: str, actor=None, now=None) -> str:
    """The gateway URL for the payer's browser; the attempt becomes pending (its clock of 15/90 minutes runs).

    Only the payer may start it, and only while it is created or pending and not expired.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if actor is not None and locked.payer_id != actor.pk:
            raise PaymentError("forbidden", _("Only the payer can pay this."), status_code=403)
        if locked.status not in OPEN or locked.expires_at <= now:
            raise PaymentError(
                "payment_closed", _("This payment can no longer be paid. Start a new payment."), status_code=409
            )
        if locked.status == S.CREATED:
            locked.started_at = now
            _move(locked, S.PENDING, action="start", actor=actor, now=now)
        url = get_gateway().start(locked, return_url=return_url, client_ip=client_ip)
    return url


# --- the gateway's word --------------------------------------------------------------------------------


def _move(payment: Payment, target: str, *, action: str, actor=None, data=None, now=None) -> PaymentEvent:
    """Change the (locked) payment's status per the table and audit it."""
    if not can_move(payment.status, target):
        raise PaymentError("invalid_transition", f"{payment.status} -> {target}", status_code=409)
    source = payment.status
    payment.status = target
    payment.version += 1
    now = now or timezone.now()
    if target in FINAL:
        payment.finished_at = now
    payment.save()
    return _event(payment, action, from_status=source, actor=actor, data=data, now=now)


def _outcome_status(result_code: str) -> str:
    if result_code == RESULT_SUCCESS:
        return S.SUCCEEDED
    if result_code == RESULT_CANCELLED:
        return S.CANCELLED
    return S.FAILED


def _receipt_number(now: datetime) -> str:
    year = timezone.localtime(now).year
    return f"BL-{year}-{next_number(ReceiptSequence, str(year)):07d}"


def _apply_outcome(locked: Payment, *, result_code, transaction_no, bank_code, source: str, now) -> bool:
    """Record the gateway's outcome on a locked, open payment; True if it moved. On success: receipt, announce."""
    target = _outcome_status(result_code)
    locked.result_code = result_code[:8]
    locked.gateway_transaction_no = transaction_no[:64]
    locked.bank_code = bank_code[:20]
    if target == S.SUCCEEDED:
        locked.paid_at = now
        locked.receipt_number = _receipt_number(now)
    _move(locked, target, action=source, data={"result_code": result_code, "transaction_no": transaction_no}, now=now)
    if target == S.SUCCEEDED:
        payment_id = locked.pk
        transaction.on_commit(lambda: _announce_success(payment_id))
    return True


def _announce_success(payment_id: int) -> None:
    payment = Payment.objects.get(pk=payment_id)
    kind = payables.kind_of(payment.subject)
    if kind is not None:
        kind.on_succeeded(payment)


def callback_process(params: dict, *, remote_addr: str = "", now=None) -> tuple[str, str]:
    """Take one server-to-server notification; returns (answer code, message). Never raises for bad input.

    Stored raw first. Signature (97), reference (01), amount and currency
    (04), then the outcome under the row lock: a payment already final answers
    02 and changes nothing, so a replay, a late duplicate or an out-of-order
    failure after a success cannot undo anything. Two identical notifications
    at once: the lock lets one apply; the other finds it final (02).
    """
    now = now or timezone.now()
    gateway = get_gateway()
    try:
        data = gateway.verify_callback(params)
    except Exception:  # unreadable: still stored and answered
        logger.exception("payment callback unreadable")
        return _answer(params, gateway.name, remote_addr, Answer.OTHER, "unreadable")
    if not data.signature_valid:
        return _answer(params, gateway.name, remote_addr, Answer.INVALID_SIGNATURE, "bad signature", data.reference)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(reference=data.reference).first()
        if payment is None:
            return _answer(params, gateway.name, remote_addr, Answer.NOT_FOUND, "unknown reference", data.reference)
        if data.amount_vnd != payment.amount_vnd or data.currency != payment.currency:
            return _answer(
                params,
                gateway.name,
                remote_addr,
                Answer.INVALID_AMOUNT,
                f"amount {data.amount_vnd} {data.currency}",
                data.reference,
                payment,
            )
        if payment.status in FINAL:
            return _answer(params, gateway.name, remote_addr, Answer.ALREADY, payment.status, data.reference, payment)
        _apply_outcome(
            payment,
            result_code=data.result_code,
            transaction_no=data.transaction_no,
            bank_code=data.bank_code,
            source="callback",
            now=now,
        )
        return _answer(params, gateway.name, remote_addr, Answer.CONFIRMED, payment.status, data.reference, payment)


def _answer(params, gateway_name, remote_addr, answer, note, reference="", payment=None) -> tuple[str, str]:
    GatewayCallback.objects.create(
        gateway=gateway_name,
        remote_addr=remote_addr[:64],
        params={str(k): str(v) for k, v in dict(params).items()},
        reference=str(reference)[:64],
        payment=payment,
        signature_valid=answer not in (Answer.INVALID_SIGNATURE, Answer.OTHER) or bool(payment),
        answer=answer,
        note=note[:255],
    )
    return str(answer.value), str(answer.label)


# --- reconciliation (beat) -----------------------------------------------------------------------------


def payments_reconcile(*, now=None, limit: int = 500) -> dict:
    """Ask the gateway about payments pending over PAYMENT_QUERY_AFTER_MINUTES; expire open ones past their time.

    A gateway that does not answer leaves the payment pending (asked again at
    the next run). Returns counts {"queried", "settled", "unreachable", "expired"}.
    """
    now = now or timezone.now()
    counts = {"queried": 0, "settled": 0, "unreachable": 0, "expired": 0}
    stale = now - timedelta(minutes=settings.PAYMENT_QUERY_AFTER_MINUTES)
    gateway = get_gateway()
    for payment in Payment.objects.filter(status=S.PENDING, started_at__lte=stale).order_by("started_at")[:limit]:
        counts["queried"] += 1
        try:
            result = gateway.query(payment)
        except GatewayError as error:
            counts["unreachable"] += 1
            logger.warning("payment %s: gateway query failed: %s", payment.reference, error)
            continue
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            locked.last_queried_at = now
            locked.save(update_fields=["last_queried_at"])
            if locked.status != S.PENDING or not result.found or not result.result_code:
                continue
            if result.amount_vnd is not None and result.amount_vnd != locked.amount_vnd:
                _event(locked, "query_mismatch", data={"gateway_amount": result.amount_vnd}, now=now)
                continue
            _apply_outcome(
                locked,
                result_code=result.result_code,
                transaction_no=result.transaction_no,
                bank_code=result.bank_code,
                source="query",
                now=now,
            )
            counts["settled"] += 1
    for payment in Payment.objects.filter(status__in=OPEN, expires_at__lte=now).order_by("expires_at")[:limit]:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status in OPEN and locked.expires_at <= now:
                _move(locked, S.EXPIRED, action="expire", now=now)
                counts["expired"] += 1
    return counts

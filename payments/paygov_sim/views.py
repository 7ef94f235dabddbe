"""The simulated bank's pages: what the citizen sees at the gateway (for demos and tests; off in production).

1. GET /paygov-sim/pay/?<signed fields> (the redirect the portal signed,
   `payments.gateways.simulator.redirect_params`): the signature is checked
   with the shared secret (a changed amount or reference is refused with
   "invalid signature"), an expired link is refused, and the bank opens (or
   finds) its own transaction record with a transaction number.
2. /paygov-sim/tx/<transaction_no>/: choose a bank.
3. /paygov-sim/tx/<transaction_no>/confirm/: "Pay" (result 00), "Payment fails"
   (51, insufficient funds) or "Cancel" (24); a checkbox delays the
   server-to-server notification until after the browser is back at the
   portal (to rehearse a return that arrives before the notification).

A decision is recorded once; the notification is a Celery task
(`paygov_sim.notify`) queued on commit; the browser goes back to the
portal's return URL with signed display fields (reference, result code),
which the portal treats as carrying no truth. Only the browser that opened the
signed link may act on the transaction (its session holds the number).
"""

import logging
import secrets
from datetime import datetime
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from payments.gateways.base import sign, signature_ok
from payments.paygov_sim.models import SimTransaction
from payments.paygov_sim.tasks import notify
from payments.workflow import RESULT_CANCELLED, RESULT_SUCCESS

logger = logging.getLogger(__name__)

BANKS = [
    ("VCB", "Vietcombank"),
    ("CTG", "VietinBank"),
    ("BIDV", "BIDV"),
    ("VBA", "Agribank"),
    ("TCB", "Techcombank"),
    ("MB", "MB"),
]
BANK_NAMES = dict(BANKS)
RESULT_INSUFFICIENT_FUNDS = "51"
OUTCOMES = {"pay": RESULT_SUCCESS, "fail": RESULT_INSUFFICIENT_FUNDS, "cancel": RESULT_CANCELLED}
RESULT_LABELS = {
    RESULT_SUCCESS: gettext_lazy("Paid"),
    RESULT_INSUFFICIENT_FUNDS: gettext_lazy("Refused: insufficient funds"),
    RESULT_CANCELLED: gettext_lazy("Cancelled by the customer"),
}
NOTIFY_LATER_SECONDS = 5
SESSION_KEY = "paygov_sim"  # {transaction_no: {"description", "expires"}}: what this browser may act on
SESSION_KEEP = 20
TIME_FORMAT = "%Y%m%d%H%M%S"
REQUIRED = ("merchant", "reference", "amount", "currency", "return_url", "expires")


def _refuse(request, title, detail, *, status=400, back_url=""):
    context = {"title": title, "detail": detail, "back_url": back_url}
    return render(request, "paygov_sim/error.html", context, status=status)


def _parse_time(value: str) -> datetime | None:
    try:
        return timezone.make_aware(datetime.strptime(value, TIME_FORMAT), timezone.get_default_timezone())
    except (TypeError, ValueError):
        return None


def _new_transaction_no() -> str:
    return f"SIM{secrets.randbelow(10**10):010d}"


def _open_record(*, reference: str, amount: int, currency: str, return_url: str) -> SimTransaction:
    """The bank's record of this reference: found, or made with a new unique transaction number."""
    for _attempt in range(5):
        record = SimTransaction.objects.filter(reference=reference).first()
        if record is not None:
            return record
        try:
            with transaction.atomic():
                return SimTransaction.objects.create(
                    reference=reference,
                    amount_vnd=amount,
                    currency=currency,
                    return_url=return_url,
                    transaction_no=_new_transaction_no(),
                )
        except IntegrityError:
            continue  # the same reference raced in, or a transaction number collided: look again
    raise IntegrityError("could not open a simulator transaction")


def back_to_merchant_url(record: SimTransaction) -> str:
    """The portal's return URL with the signed display fields (they inform; the portal decides nothing on them)."""
    fields = {"reference": record.reference, "result_code": record.result_code}
    fields["signature"] = sign(fields, settings.PAYGOV_SECRET)
    separator = "&" if "?" in record.return_url else "?"
    return record.return_url + separator + urlencode(fields)


@never_cache
@require_GET
def pay(request):
    """The signed redirect from the portal: check it, open the transaction, go to the bank choice."""
    params = request.GET.dict()
    if not signature_ok(params, settings.PAYGOV_SECRET):
        return _refuse(
            request,
            _("Invalid signature"),
            _("The payment request was changed on the way or was not signed by the merchant. Nothing was paid."),
        )
    if any(not params.get(name) for name in REQUIRED) or params["merchant"] != settings.PAYGOV_MERCHANT_CODE:
        return _refuse(request, _("Invalid payment request"), _("The payment request is incomplete."))
    try:
        amount = int(params["amount"])
    except ValueError:
        amount = 0
    expires = _parse_time(params["expires"])
    if amount <= 0 or expires is None:
        return _refuse(request, _("Invalid payment request"), _("The payment request is incomplete."))
    if expires <= timezone.now():
        return _refuse(
            request,
            _("Payment request expired"),
            _("The time to pay this order has run out. Go back to the portal and start a new payment."),
            back_url=params["return_url"],
        )
    record = _open_record(
        reference=params["reference"][:32],
        amount=amount,
        currency=params["currency"][:3],
        return_url=params["return_url"][:500],
    )
    if record.amount_vnd != amount:
        return _refuse(request, _("Invalid payment request"), _("This order was already opened with another amount."))
    held = dict(request.session.get(SESSION_KEY, {}))
    held[record.transaction_no] = {"description": params.get("description", "")[:255], "expires": params["expires"]}
    request.session[SESSION_KEY] = dict(list(held.items())[-SESSION_KEEP:])
    return redirect("paygov_sim:bank", transaction_no=record.transaction_no)


def _held_record(request, transaction_no: str) -> tuple[SimTransaction, dict]:
    """The transaction this browser opened (else 404) and what the signed request said about it."""
    info = request.session.get(SESSION_KEY, {}).get(transaction_no)
    record = SimTransaction.objects.filter(transaction_no=transaction_no).first()
    if record is None or info is None:
        raise Http404
    return record, info


def _order_context(record: SimTransaction, info: dict) -> dict:
    return {
        "record": record,
        "description": info.get("description", ""),
        "expires_at": _parse_time(info.get("expires", "")),
        "merchant": settings.PAYGOV_MERCHANT_CODE,
        "banks": BANKS,
    }


def _done_page(request, record: SimTransaction, info: dict):
    """The transaction was already decided: say so, and offer the way back to the merchant."""
    context = {
        **_order_context(record, info),
        "result_label": RESULT_LABELS.get(record.result_code, record.result_code),
        "back_url": back_to_merchant_url(record),
    }
    return render(request, "paygov_sim/done.html", context)


def _expired(info: dict) -> bool:
    expires = _parse_time(info.get("expires", ""))
    return expires is None or expires <= timezone.now()


@never_cache
@require_http_methods(["GET", "POST"])
def bank(request, transaction_no):
    """Step 1: choose a bank (or cancel)."""
    record, info = _held_record(request, transaction_no)
    if record.result_code:
        return _done_page(request, record, info)
    error = ""
    if request.method == "POST":
        if "cancel" in request.POST:
            return _decide(request, record, info, result_code=RESULT_CANCELLED, bank_code="", later=False)
        code = request.POST.get("bank", "")
        if code in BANK_NAMES:
            url = reverse("paygov_sim:confirm", kwargs={"transaction_no": record.transaction_no})
            return redirect(f"{url}?{urlencode({'bank': code})}")
        error = _("Choose a bank.")
    context = {**_order_context(record, info), "error": error, "selected": request.POST.get("bank", "")}
    return render(request, "paygov_sim/bank.html", context, status=400 if error else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, transaction_no):
    """Step 2: pay, fail, or cancel; optionally notify the portal only after the browser is back."""
    record, info = _held_record(request, transaction_no)
    if record.result_code:
        return _done_page(request, record, info)
    data = request.POST if request.method == "POST" else request.GET
    code = data.get("bank", "")
    if code not in BANK_NAMES:
        return redirect("paygov_sim:bank", transaction_no=record.transaction_no)
    if request.method == "POST":
        outcome = OUTCOMES.get(request.POST.get("outcome", ""))
        if outcome is not None:
            return _decide(
                request,
                record,
                info,
                result_code=outcome,
                bank_code=code,
                later=request.POST.get("notify_after_return") == "1",
            )
    context = {**_order_context(record, info), "bank_code": code, "bank_name": BANK_NAMES[code]}
    return render(request, "paygov_sim/confirm.html", context)


def _decide(request, record: SimTransaction, info: dict, *, result_code: str, bank_code: str, later: bool):
    """Record the outcome once, notify the portal (on commit), send the browser back with signed display fields."""
    if result_code != RESULT_CANCELLED and _expired(info):
        return _refuse(
            request,
            _("Payment request expired"),
            _("The time to pay this order has run out. Go back to the portal and start a new payment."),
            back_url=record.return_url,
        )
    with transaction.atomic():
        locked = SimTransaction.objects.select_for_update().get(pk=record.pk)
        if not locked.result_code:
            locked.result_code = result_code
            locked.bank_code = bank_code
            locked.decided_at = timezone.now()
            locked.save(update_fields=["result_code", "bank_code", "decided_at"])
            transaction.on_commit(partial(_send_notification, locked.pk, NOTIFY_LATER_SECONDS if later else None))
    return redirect(back_to_merchant_url(locked))


def _send_notification(transaction_id: int, countdown: int | None) -> None:
    """Queue the notification; a broker outage only delays it (the portal's reconciliation asks the bank anyway)."""
    try:
        notify.apply_async(args=[transaction_id], countdown=countdown)
    except Exception:
        logger.warning("paygov-sim: could not queue the notification of %s", transaction_id, exc_info=True)

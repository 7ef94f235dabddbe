"""The citizen's side of paying online: start an attempt and go to the bank; come back and read the outcome.

- POST /payments/start/ (`payment-start`): one field, `subject` ("dossier:<code>").
  The services create the attempt with the payable's own fee lines and sign
  the redirect; the browser goes to the gateway. A refusal (already paid, an
  attempt at the bank, not payable...) is a page with the reason, never a 500.
- GET /payments/<reference>/return/ (`payment-return`): where the gateway sends
  the browser back. It is display only: the query string the gateway adds
  carries no truth and is ignored; the page reads the payment from the
  database (the server-to-server notification decides). Only the payer sees
  it; anyone else gets a 404, as for an unknown reference.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from govportal.ratelimit import client_address
from payments import payables, selectors
from payments.services import PaymentError, payment_create, payment_start
from payments.workflow import OPEN, PaymentStatus

S = PaymentStatus
SUBJECT_MAX = 80  # Payment.subject's length
REFRESH_SECONDS = 3


def back_path(subject: str) -> str:
    """Where the citizen goes back to for a subject ("dossier:<code>" -> the dossier's page); "" if unknown."""
    kind, key = payables.split(subject)
    if kind == "dossier" and key:
        try:
            return reverse("my-dossier", kwargs={"code": key})
        except NoReverseMatch:
            return ""
    return ""


# What the bank's result code means for the citizen (the codes Vietnamese gateways share).
FAILURE_REASONS = {
    "24": gettext_lazy("You cancelled the payment at the bank."),
    "51": gettext_lazy("The account does not have enough money for this payment."),
    "11": gettext_lazy("The time to pay at the bank ran out."),
    "12": gettext_lazy("The card or account is locked."),
    "13": gettext_lazy("The one-time password (OTP) was wrong."),
    "65": gettext_lazy("The payment goes over the account's daily limit."),
    "75": gettext_lazy("The bank is under maintenance."),
    "79": gettext_lazy("The password was wrong too many times."),
}


def failure_reason(payment) -> str:
    if payment.status == S.EXPIRED:
        return _("The time to pay ran out before the bank confirmed the payment. No money was taken.")
    if payment.status == S.CANCELLED and not payment.result_code:
        return _("This payment attempt was replaced by a newer one.")
    reason = FAILURE_REASONS.get(payment.result_code)
    if reason:
        return str(reason)
    if payment.result_code:
        return _("The bank refused the payment (code %(code)s).") % {"code": payment.result_code}
    return _("The bank did not take the payment.")


@login_required
@require_POST
def payment_start_view(request):
    """Create an attempt for `subject` and send the browser to the gateway; a refusal is a page with the reason.

    With `reference` instead (the payer's own attempt still waiting at the bank,
    e.g. the bank's tab was closed): send the browser back to the gateway for it.
    """
    subject = (request.POST.get("subject") or "").strip()[:SUBJECT_MAX]
    reference = (request.POST.get("reference") or "").strip()[:32]
    try:
        if reference:
            payment = selectors.payment_get(reference)
            if payment is None or payment.payer_id != request.user.pk:
                raise Http404
            subject = payment.subject
        else:
            payment = payment_create(subject=subject, payer=request.user)
        return_url = request.build_absolute_uri(reverse("payment-return", kwargs={"reference": payment.reference}))
        gateway_url = payment_start(
            payment=payment,
            return_url=return_url,
            client_ip=client_address(request),
            actor=request.user,
        )
    except PaymentError as error:
        waiting = None
        if error.code == "payment_pending":
            # The payer's own attempt at the bank: offer to finish it or look at it (never someone else's).
            waiting = selectors.payments_of_subject(subject).filter(payer=request.user, status__in=tuple(OPEN)).first()
        context = {"error": error, "waiting": waiting, "back": back_path(subject)}
        return render(request, "payments/citizen/start_refused.html", context, status=error.status_code)
    return redirect(gateway_url)


@never_cache
@login_required
@require_GET
def payment_return(request, reference):
    """The payment as the portal knows it (the query string is ignored); the payer only, else 404."""
    payment = selectors.payment_get(reference)
    if payment is None or payment.payer_id != request.user.pk:
        raise Http404
    is_open = payment.status in OPEN
    subject_paid = payment.status != S.SUCCEEDED and selectors.subject_paid(payment.subject)
    context = {
        "payment": payment,
        "lines": list(payment.lines.all()),
        "is_open": is_open,
        "is_paid": payment.status == S.SUCCEEDED,
        "is_refunded": payment.status == S.REFUNDED,
        "is_unsuccessful": payment.status in (S.FAILED, S.CANCELLED, S.EXPIRED),
        "subject_paid": subject_paid,
        "reason": failure_reason(payment) if payment.status in (S.FAILED, S.CANCELLED, S.EXPIRED) else "",
        # Refreshing stops when the citizen asks (WCAG 2.2.1: a timed refresh can be turned off).
        "auto_refresh": is_open and request.GET.get("refresh") != "off",
        "refresh_seconds": REFRESH_SECONDS,
        "here": reverse("payment-return", kwargs={"reference": payment.reference}),
        "back": back_path(payment.subject),
    }
    response = render(request, "payments/citizen/return.html", context)
    if context["auto_refresh"]:
        # The HTTP Refresh header reloads the page without JavaScript (every browser honours it); unlike a
        # <meta http-equiv="refresh"> it is not flagged by accessibility checkers, and "stop" turns it off.
        response["Refresh"] = str(REFRESH_SECONDS)
    return response

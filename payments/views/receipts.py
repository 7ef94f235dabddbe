"""Receipt pages: the printable receipt and its PDF (payer, unit staff, city), and the public check by number."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from govportal.ratelimit import rate_limited
from payments import receipts
from payments.workflow import PaymentStatus
from procedures.qr import qr_svg

logger = logging.getLogger(__name__)


def _readable(request, number):
    payment = receipts.receipt_for(user=request.user, number=number)
    if payment is None:
        raise Http404
    return payment


@login_required
@never_cache
@require_GET
def receipt(request, number):
    """The printable receipt (biên lai điện tử) with the fee lines and a QR code that verifies it."""
    payment = _readable(request, number)
    url = receipts.verify_url(payment.receipt_number)
    context = {
        "payment": payment,
        "payer_name": receipts.payer_name(payment),
        "unit_name": receipts.unit_name(payment.unit),
        "lines": [(receipts.line_name(line), line.amount_vnd) for line in payment.lines.all()],
        "refund": receipts.refund_facts(payment),
        "verify_url": url,
        "english": receipts.in_english(),
        "qr": qr_svg(url, label=_("QR code: verify this receipt at %(url)s") % {"url": url}),
    }
    return render(request, "payments/receipts/receipt.html", context)


@login_required
@never_cache
@require_GET
def receipt_pdf(request, number):
    """The same receipt as a PDF, shown in the browser (inline), saved as <number>.pdf."""
    payment = _readable(request, number)
    try:
        content = receipts.receipt_pdf(payment)
    except receipts.ReceiptFontMissing:
        logger.exception("receipt %s: PDF font missing", payment.receipt_number)
        return render(request, "payments/receipts/pdf_unavailable.html", {"payment": payment}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{payment.receipt_number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_GET
def receipt_verify(request, number):
    """Public: is this a genuine receipt, paid or refunded, for how much, when, what and which unit. No payer."""
    if limited := rate_limited(request, scope="receipt-verify", template="payments/receipts/rate_limited.html"):
        return limited
    payment = receipts.receipt_get(number)
    if payment is None:
        return render(request, "payments/receipts/verify_unknown.html", {"number": number[:40]}, status=404)
    context = {
        "number": payment.receipt_number,
        "refunded": payment.status == PaymentStatus.REFUNDED,
        "refund": receipts.refund_facts(payment),
        "amount_vnd": payment.amount_vnd,
        "paid_at": payment.paid_at,
        "description": payment.description,
        "unit_name": receipts.unit_name(payment.unit),
        "english": receipts.in_english(),
    }
    return render(request, "payments/receipts/verify.html", context)

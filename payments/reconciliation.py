"""The daily reconciliation: one unit's payments of one day matched against the gateway's own records.

For each payment the unit collected that day (local date of creation) the
gateway is asked (`query`) and the two accounts are compared:

- the portal says paid (succeeded, or refunded afterwards) and the gateway says
  "00" with the same amount: a match;
- the portal says not paid and the gateway says anything but "00" (or does not
  know the reference): a match;
- anything else is a mismatch with a reason ("paid at the bank, not in the
  portal", "amount differs", "not found at the gateway", ...).

A gateway that does not answer marks the report `unreachable` (its rows say
so); beat builds it again the next day only if asked, a head or the city can
rebuild it at any time ("build now"). The report is kept per unit and day
(`ReconciliationReport`, built again in place) and downloaded as CSV.
"""

import csv
import io
import logging
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.gateways import GatewayError, get_gateway
from payments.models import Payment, ReconciliationReport
from payments.workflow import RESULT_SUCCESS, PaymentStatus

logger = logging.getLogger(__name__)
S = PaymentStatus

MATCH = "match"
MISMATCH = "mismatch"
UNREACHABLE = "unreachable"

OUTCOMES = {
    MATCH: _("match"),
    MISMATCH: _("mismatch"),
    UNREACHABLE: _("not checked"),
}

# Why a row does not match: a stable code kept in the report, its words shown in the reader's language.
REASONS = {
    "paid_at_bank_not_in_portal": _("paid at the bank, not in the portal"),
    "amount_differs": _("amount differs"),
    "not_found_at_gateway": _("not found at the gateway"),
    "not_paid_at_bank": _("paid in the portal, not at the bank"),
    "gateway_unreachable": _("gateway unreachable"),
}

# What the portal counts as money received (a refund comes after a payment the bank has as "00").
PAID_IN_PORTAL = frozenset({S.SUCCEEDED, S.REFUNDED})


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of a local day (Asia/Ho_Chi_Minh) as aware datetimes."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def payments_of_day(unit, day: date):
    start, end = day_bounds(day)
    return Payment.objects.filter(unit=unit, created_at__gte=start, created_at__lt=end).order_by("created_at", "id")


def _row(payment: Payment) -> dict:
    return {
        "reference": payment.reference,
        "created": timezone.localtime(payment.created_at).isoformat(timespec="seconds"),
        "portal_status": payment.status,
        "portal_amount": payment.amount_vnd,
        "gateway_result": "",
        "gateway_amount": None,
        "transaction_no": payment.gateway_transaction_no,
        "outcome": MATCH,
        "reason": "",
    }


def compare(payment: Payment, result) -> tuple[str, str]:
    """(outcome, reason code) of one payment against the gateway's record (`QueryResult`)."""
    paid_in_portal = payment.status in PAID_IN_PORTAL
    paid_at_bank = bool(result.found) and result.result_code == RESULT_SUCCESS
    if paid_in_portal and paid_at_bank:
        if result.amount_vnd != payment.amount_vnd:
            return MISMATCH, "amount_differs"
        return MATCH, ""
    if not paid_in_portal and not paid_at_bank:
        return MATCH, ""
    if paid_at_bank:
        return MISMATCH, "paid_at_bank_not_in_portal"
    if not result.found:
        return MISMATCH, "not_found_at_gateway"
    return MISMATCH, "not_paid_at_bank"


def reconciliation_build(unit, day: date, now=None) -> ReconciliationReport:
    """Build (or build again) the report of `unit` for `day`; the gateway is asked about each payment.

    After the first GatewayError the remaining payments are not asked (the
    gateway is down: no point waiting for each time-out); their rows say
    "gateway unreachable" and the report is flagged `unreachable`.
    """
    now = now or timezone.now()
    gateway = get_gateway()
    rows, matched, mismatched, unreachable = [], 0, 0, False
    for payment in payments_of_day(unit, day):
        row = _row(payment)
        result = None
        if not unreachable:
            try:
                result = gateway.query(payment)
            except GatewayError as error:
                logger.warning("reconciliation %s %s: gateway query failed: %s", unit.code, day, error)
                unreachable = True
        if result is None:
            row["outcome"], row["reason"] = UNREACHABLE, "gateway_unreachable"
        else:
            row["gateway_result"] = result.result_code if result.found else ""
            row["gateway_amount"] = result.amount_vnd if result.found else None
            if result.found and result.transaction_no:
                row["transaction_no"] = result.transaction_no
            row["found"] = bool(result.found)
            row["outcome"], row["reason"] = compare(payment, result)
            if row["outcome"] == MATCH:
                matched += 1
            else:
                mismatched += 1
        rows.append(row)
    report, _created = ReconciliationReport.objects.update_or_create(
        unit=unit,
        day=day,
        defaults={
            "generated_at": now,
            "rows": rows,
            "matched": matched,
            "mismatched": mismatched,
            "unreachable": unreachable,
        },
    )
    return report


def daily_reports_build(day: date | None = None, now=None) -> list[ReconciliationReport]:
    """The reports of `day` (yesterday, local, by default) for every unit that had payments that day."""
    from govportal.tiers.models import Unit

    now = now or timezone.now()
    day = day or (timezone.localtime(now).date() - timedelta(days=1))
    start, end = day_bounds(day)
    unit_ids = (
        Payment.objects.filter(created_at__gte=start, created_at__lt=end).values_list("unit_id", flat=True).distinct()
    )
    return [reconciliation_build(unit, day, now=now) for unit in Unit.objects.filter(pk__in=set(unit_ids))]


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


def outcome_label(row: dict) -> str:
    """What the CSV and the pages say of a row: "match", or "mismatch: <reason>"."""
    outcome = str(OUTCOMES.get(row.get("outcome", ""), row.get("outcome", "")))
    reason = row.get("reason", "")
    return f"{outcome}: {reason_label(reason)}" if reason else outcome


def _created_display(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M:%S")
    except (TypeError, ValueError):
        return value or ""


def _cell(value) -> str:
    """Text from the gateway as a spreadsheet cell that is never read as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def reconciliation_csv(report: ReconciliationReport) -> str:
    """The report as CSV, UTF-8 with a BOM so that Excel reads Vietnamese; words in the active language.

    Amounts are plain integers (VND) so that a spreadsheet can add them up.
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            str(_("reference")),
            str(_("created")),
            str(_("portal status")),
            str(_("portal amount (VND)")),
            str(_("gateway result")),
            str(_("gateway amount (VND)")),
            str(_("transaction no")),
            str(_("outcome / reason")),
        ]
    )
    for row in report.rows:
        status = row.get("portal_status", "")
        gateway_amount = row.get("gateway_amount")
        writer.writerow(
            [
                _cell(row.get("reference", "")),
                _created_display(row.get("created", "")),
                str(S(status).label) if status in S.values else _cell(status),
                row.get("portal_amount", ""),
                _cell(row.get("gateway_result", "")),
                "" if gateway_amount is None else gateway_amount,
                _cell(row.get("transaction_no", "")),
                outcome_label(row),
            ]
        )
    return out.getvalue()

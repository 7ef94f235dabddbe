"""Electronic receipts (biên lai điện tử): who may read one, what it says, its PDF, and the public check.

A receipt exists once a payment has succeeded: `payments.services` gives it a
number (BL-2026-0000123) and `paid_at`. It stays readable after a refund, marked
"refunded". The payer, the staff of the unit that collected the fee and the city
read the whole receipt (HTML and PDF); anyone holding the number (the QR code on
the receipt) can check at /receipts/verify/<number> that it is genuine: the
amount, the date, what was paid for and the unit, never who paid.

The PDF is drawn with reportlab in DejaVu Sans (Debian's fonts-dejavu-core),
a TrueType font with every Vietnamese glyph and the đồng sign; the built-in PDF
fonts have neither.
"""

import io
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from govportal.templatetags.portal import dmyhm, vnd
from identity import access
from payments.models import Payment
from payments.workflow import PaymentStatus, RefundStatus

RECEIPT_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
FONT_NAME = "DejaVuSans"
FONT_BOLD_NAME = "DejaVuSans-Bold"
# Overridable in settings (another distribution's font directory); CI installs fonts-dejavu-core.
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEFAULT_FONT_BOLD_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


class ReceiptFontMissing(ImproperlyConfigured):
    """The TrueType font for PDF receipts is not installed (apt-get install fonts-dejavu-core)."""


# --- reads ---------------------------------------------------------------------------------------------


def in_english() -> bool:
    return (get_language() or "vi").startswith("en")


def receipt_get(number: str) -> Payment | None:
    """The payment that receipt `number` was issued for (paid or since refunded), or None."""
    number = (number or "").strip().upper()
    if not number or len(number) > 32:
        return None
    return (
        Payment.objects.select_related("unit", "payer")
        .prefetch_related("lines")
        .filter(receipt_number=number, status__in=RECEIPT_STATUSES)
        .first()
    )


def receipt_visible_to(user, payment: Payment) -> bool:
    """The payer, an officer or head of the unit that collected the fee, or a city admin (identity.access)."""
    return access.can(user, "payment.view", payment)


def receipt_for(*, user, number: str) -> Payment | None:
    """Receipt `number` if `user` may read it; None otherwise (pages answer 404 alike: no hint it exists)."""
    payment = receipt_get(number)
    if payment is None or not receipt_visible_to(user, payment):
        return None
    return payment


def verify_url(number: str) -> str:
    """The absolute public URL that the QR code encodes."""
    return settings.PORTAL_URL.rstrip("/") + reverse("receipt-verify", kwargs={"number": number})


def unit_name(unit) -> str:
    return unit.name_en if in_english() and unit.name_en else unit.name


def line_name(line) -> str:
    return line.name_en if in_english() and line.name_en else line.name_vi


@dataclass(frozen=True)
class RefundFacts:
    amount_vnd: int
    at: object  # datetime or None
    partial: bool = False  # less than the amount paid was given back


def refund_facts(payment: Payment) -> RefundFacts | None:
    """What was given back, for a refunded payment (the approved refunds)."""
    if payment.status != PaymentStatus.REFUNDED:
        return None
    done = list(payment.refunds.filter(status=RefundStatus.DONE).order_by("decided_at"))
    amount = sum(refund.amount_vnd for refund in done) or payment.amount_vnd
    at = done[-1].decided_at if done else payment.finished_at
    return RefundFacts(amount_vnd=amount, at=at, partial=amount < payment.amount_vnd)


def payer_name(payment: Payment) -> str:
    if payment.payer is None:
        return ""
    return payment.payer.full_name or payment.payer.username


# --- PDF -----------------------------------------------------------------------------------------------


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return
    regular = Path(getattr(settings, "RECEIPT_FONT_PATH", DEFAULT_FONT_PATH))
    bold = Path(getattr(settings, "RECEIPT_FONT_BOLD_PATH", DEFAULT_FONT_BOLD_PATH))
    if not regular.is_file():
        raise ReceiptFontMissing(f"PDF receipts need DejaVu Sans at {regular} (Debian: fonts-dejavu-core).")
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(regular)))
    # Bold is a nicety: fall back to the regular face rather than fail.
    pdfmetrics.registerFont(TTFont(FONT_BOLD_NAME, str(bold if bold.is_file() else regular)))
    pdfmetrics.registerFontFamily(FONT_NAME, normal=FONT_NAME, bold=FONT_BOLD_NAME)


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt as an A5 PDF in the current language: the same facts as the page, the QR code to verify it."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    url = verify_url(payment.receipt_number)
    refund = refund_facts(payment)
    base = ParagraphStyle("receipt", fontName=FONT_NAME, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#333333"))
    title = ParagraphStyle("title", parent=base, fontName=FONT_BOLD_NAME, fontSize=14, leading=18, alignment=TA_CENTER)
    centred = ParagraphStyle("centred", parent=base, alignment=TA_CENTER)
    banner = ParagraphStyle(
        "banner",
        parent=base,
        fontName=FONT_BOLD_NAME,
        fontSize=13,
        leading=17,
        alignment=TA_CENTER,
        textColor=colors.HexColor("#8b0000"),
        borderColor=colors.HexColor("#8b0000"),
        borderWidth=1.5,
        borderPadding=5,
    )

    def para(text, style=base):
        return Paragraph(escape(str(text)), style)

    story = [
        para(unit_name(payment.unit), centred),
        Spacer(1, 2 * mm),
        para(_("Electronic receipt of fees and charges"), title),
        para(_("Receipt number: %(number)s") % {"number": payment.receipt_number}, centred),
        Spacer(1, 4 * mm),
    ]
    if refund is not None:
        facts = {"amount": vnd(refund.amount_vnd), "total": vnd(payment.amount_vnd), "date": dmyhm(refund.at) or "—"}
        if refund.partial:
            text = _("PARTLY REFUNDED: %(amount)s of %(total)s given back on %(date)s") % facts
        else:
            text = _("REFUNDED: %(amount)s given back on %(date)s") % facts
        story += [para(text, banner), Spacer(1, 5 * mm)]
    facts = [
        (_("Receipt number"), payment.receipt_number),
        (_("Date paid"), dmyhm(payment.paid_at)),
        (_("Payer"), payer_name(payment) or "—"),
        (_("Unit collecting the fee"), unit_name(payment.unit)),
        (_("Paid for"), payment.description),
        (_("Gateway transaction number"), payment.gateway_transaction_no or "—"),
        (_("Payment reference"), payment.reference),
    ]
    width = A5[0] - 24 * mm
    facts_table = Table(
        [[para(label, small), para(value)] for label, value in facts], colWidths=[0.36 * width, 0.64 * width]
    )
    facts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story += [facts_table, Spacer(1, 4 * mm)]
    bold = ParagraphStyle("bold", parent=base, fontName=FONT_BOLD_NAME)
    right = ParagraphStyle("right", parent=base, alignment=2)
    right_bold = ParagraphStyle("right_bold", parent=bold, alignment=2)
    rows = [[para(_("Fee"), bold), para(_("Amount"), right_bold)]]
    rows += [[para(line_name(line)), para(vnd(line.amount_vnd), right)] for line in payment.lines.all()]
    rows.append([para(_("Total"), bold), para(vnd(payment.amount_vnd), right_bold)])
    lines_table = Table(rows, colWidths=[0.68 * width, 0.32 * width], repeatRows=1)
    lines_table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("GRID", (0, 1), (-1, -2), 0.25, colors.HexColor("#999999")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [lines_table, Spacer(1, 6 * mm)]

    qr = QrCodeWidget(url, barLevel="M")
    left, bottom, right_edge, top = qr.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (right_edge - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(qr)
    verify_text = Paragraph(
        escape(_("Scan the QR code to check this receipt, or visit:"))
        + f'<br/><link href="{escape(url)}" color="blue">{escape(url)}</link>',
        small,
    )
    qr_table = Table([[drawing, verify_text]], colWidths=[size + 4 * mm, width - size - 4 * mm])
    qr_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [
        qr_table,
        Spacer(1, 4 * mm),
        para(_("Electronic receipt issued by the Ho Chi Minh City public services portal."), small),
    ]

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_("Receipt %(number)s") % {"number": payment.receipt_number},
        author=unit_name(payment.unit),
        subject=payment.receipt_number,
        creator="govportal",
        lang="en" if in_english() else "vi",
        initialFontName=FONT_NAME,
    )
    document.build(story)
    return buffer.getvalue()

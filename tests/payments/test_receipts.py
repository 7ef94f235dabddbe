"""Electronic receipts: the payer's printable page and PDF, who else may read them, the public check by QR code.

A receipt is made the way the portal makes it: the citizen pays a dossier that waits for payment
(`payment_create`, `payment_start`) and the gateway's signed notification reports success
(`callback_process`). Real PostgreSQL; pages through the Django test client.
"""

import base64
import re
import secrets
import zlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments.models import Payment, Refund
from payments.services import _move, callback_process, payment_create, payment_start
from payments.workflow import PaymentStatus, RefundStatus
from procedures.qr import qr_svg
from tests.payments.conftest import gateway_notice
from tests.procedures.conftest import client_for as logged_in

pytestmark = pytest.mark.django_db

PAYER_NAME = "Nguyễn Văn An"
PAYER_ID = "079085001234"


def in_english(client: Client) -> Client:
    """The tests read the English source strings (the Vietnamese catalogue is the translator's)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def client_for(user, **kwargs) -> Client:
    return in_english(logged_in(user, **kwargs))


def paid(dossier, citizen, capture) -> Payment:
    """Pay `dossier`'s fee as the citizen does and let the gateway confirm it."""
    payment = payment_create(subject=f"dossier:{dossier.code}", payer=citizen)
    payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
    payment.refresh_from_db()
    with capture(execute=True):
        code, _message = callback_process(gateway_notice(payment), remote_addr="203.0.113.200")
    assert code == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.receipt_number
    return payment


@pytest.fixture
def receipt(waiting_dossier, citizen, django_capture_on_commit_callbacks) -> Payment:
    return paid(waiting_dossier, citizen, django_capture_on_commit_callbacks)


@pytest.fixture
def public():
    """An anonymous visitor at an address of its own (the verify page's limit counts per address)."""
    return in_english(Client(REMOTE_ADDR=f"198.51.100.{secrets.randbelow(250) + 1}"))


def refunded(payment: Payment, head, amount_vnd: int | None = None) -> Payment:
    """The refund as the head's approval leaves it: a done Refund and the payment moved to refunded."""
    from django.db import transaction

    decided = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    Refund.objects.create(
        payment=payment,
        amount_vnd=amount_vnd or payment.amount_vnd,
        reason="Nộp trùng",
        status=RefundStatus.DONE,
        requested_by=head,
        decided_by=head,
        decided_at=decided,
    )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        _move(locked, PaymentStatus.REFUNDED, action="refund", actor=head)
    payment.refresh_from_db()
    return payment


def pdf_text(content: bytes) -> bytes:
    """The PDF's page content and plain objects, decoded (reportlab writes ASCII85 + Flate streams)."""
    parts = [content]
    for match in re.finditer(rb"/Filter \[ /ASCII85Decode /FlateDecode \] /Length (\d+)\s*>>\s*stream\r?\n", content):
        raw = content[match.end() : match.end() + int(match.group(1))].strip()
        if not raw.startswith(b"<~"):
            raw = b"<~" + raw
        parts.append(zlib.decompress(base64.a85decode(raw, adobe=True)))
    return b"\n".join(parts)


# --- the receipt page -------------------------------------------------------------------------------------


def test_the_payer_sees_the_receipt_with_its_lines_total_and_a_qr_code_to_verify_it(receipt, citizen):
    response = client_for(citizen, eid_level=2).get(reverse("receipt", kwargs={"number": receipt.receipt_number}))
    assert response.status_code == 200
    body = response.content.decode()
    assert receipt.receipt_number.startswith("BL-") and f'id="receipt-number">{receipt.receipt_number}<' in body
    assert PAYER_NAME in body
    assert (receipt.unit.name_en or receipt.unit.name) in body and receipt.description in body
    assert receipt.gateway_transaction_no and receipt.gateway_transaction_no in body
    # The fee lines and their total, in đồng as Vietnamese readers write them.
    assert re.search(r"Lệ phí cấp phép</th><td class=\"amount\">1\.000\.000 ₫", body)
    assert re.search(r"Phí thẩm định</th><td class=\"amount\">250\.000 ₫", body)
    assert 'id="receipt-total">1.250.000 ₫<' in body
    assert timezone.localtime(receipt.paid_at).strftime("%d/%m/%Y %H:%M") in body
    assert "Refunded" not in body and 'id="receipt-refunded"' not in body
    # The QR code encodes the absolute verify URL: the very same symbol qr_svg draws for it, and its link.
    url = settings.PORTAL_URL.rstrip("/") + f"/receipts/verify/{receipt.receipt_number}"
    symbol = re.search(r'<path d="[^"]+"', str(qr_svg(url))).group(0)
    assert symbol in body
    assert f'href="{url}"' in body and f"at {url}" in body  # the visible link and the SVG's aria-label
    assert response["Cache-Control"].count("no-store") == 1
    # The print view hides the navigation: the layout's rule plus the page's own, in a file (no inline style).
    assert 'href="/static/payments/receipt.css"' in body
    receipt_css = (settings.BASE_DIR / "payments" / "static" / "payments" / "receipt.css").read_text()
    assert "@media print" in receipt_css and ".main-nav" in receipt_css
    assert reverse("receipt-pdf", kwargs={"number": receipt.receipt_number}) in body


def test_only_the_payer_the_units_staff_and_the_city_may_read_a_receipt(receipt, people):
    page = reverse("receipt", kwargs={"number": receipt.receipt_number})
    pdf = reverse("receipt-pdf", kwargs={"number": receipt.receipt_number})
    for username in ("079190004567", "officer.saigon", "head.saigon"):  # another citizen, another ward's staff
        viewer = client_for(people[username])
        assert viewer.get(page).status_code == 404, username
        assert viewer.get(pdf).status_code == 404, username
    for username in ("officer.benthanh", "head.benthanh", "admin.city"):  # the collecting ward's staff, the city
        assert receipt.unit.code == "26743"
        response = client_for(people[username]).get(page)
        assert response.status_code == 200 and receipt.receipt_number in response.content.decode(), username
    anonymous = Client().get(page)
    assert anonymous.status_code == 302 and receipt.receipt_number not in anonymous.content.decode()
    assert Client().get(pdf).status_code == 302
    # An unknown number is a 404 for the city as well.
    unknown = reverse("receipt", kwargs={"number": "BL-2026-9999999"})
    assert client_for(people["admin.city"]).get(unknown).status_code == 404


def test_the_pdf_holds_the_same_receipt_in_a_font_with_vietnamese_glyphs(receipt, citizen):
    response = client_for(citizen, eid_level=2).get(reverse("receipt-pdf", kwargs={"number": receipt.receipt_number}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{receipt.receipt_number}.pdf"'
    content = response.content
    assert content.startswith(b"%PDF") and content.rstrip().endswith(b"%%EOF") and len(content) > 5_000
    text = pdf_text(content)
    number = receipt.receipt_number.encode()
    assert re.search(rb"\(Receipt number: " + re.escape(number) + rb"\) Tj", text)
    assert b"1.250.000" in text and b"1.000.000" in text and b"250.000" in text
    assert receipt.gateway_transaction_no.encode() in text
    # The TrueType font is embedded (the built-in PDF fonts have no Vietnamese letters).
    assert b"DejaVuSans" in content and b"/FontFile2" in content
    # The QR code's URL is also a link on the page.
    url = settings.PORTAL_URL.rstrip("/") + f"/receipts/verify/{receipt.receipt_number}"
    assert f"/URI ({url})".encode() in text
    assert b"REFUNDED" not in text


def test_a_refunded_receipt_says_so_on_the_page_the_pdf_and_the_check(receipt, citizen, people, public):
    receipt = refunded(receipt, people["head.benthanh"])
    payer = client_for(citizen, eid_level=2)
    body = payer.get(reverse("receipt", kwargs={"number": receipt.receipt_number})).content.decode()
    assert 'id="receipt-refunded"' in body and "1.250.000 ₫ given back on 30/11/2026 16:15" in body
    pdf = payer.get(reverse("receipt-pdf", kwargs={"number": receipt.receipt_number}))
    assert pdf.status_code == 200 and b"REFUNDED" in pdf_text(pdf.content)
    check = public.get(reverse("receipt-verify", kwargs={"number": receipt.receipt_number}))
    assert check.status_code == 200
    text = check.content.decode()
    assert "Refunded" in text and "no longer proof of payment" in text and "Valid" not in text


def test_a_partly_refunded_receipt_says_how_much_was_given_back(receipt, citizen, people, public):
    receipt = refunded(receipt, people["head.benthanh"], amount_vnd=250_000)
    payer = client_for(citizen, eid_level=2)
    body = payer.get(reverse("receipt", kwargs={"number": receipt.receipt_number})).content.decode()
    assert "Partly refunded" in body and "250.000 ₫ of 1.250.000 ₫ given back on 30/11/2026 16:15" in body
    pdf = payer.get(reverse("receipt-pdf", kwargs={"number": receipt.receipt_number}))
    assert b"PARTLY REFUNDED: 250.000" in pdf_text(pdf.content)
    check = public.get(reverse("receipt-verify", kwargs={"number": receipt.receipt_number})).content.decode()
    assert "Partly refunded" in check and "part of the fee was refunded" in check and "Valid" not in check


# --- the public check ----------------------------------------------------------------------------------


def test_the_verify_page_confirms_amount_date_procedure_and_unit_and_nothing_personal(receipt, public):
    url = reverse("receipt-verify", kwargs={"number": receipt.receipt_number})
    assert url == f"/receipts/verify/{receipt.receipt_number}"
    response = public.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Valid" in body and receipt.receipt_number in body
    assert "1.250.000 ₫" in body
    assert timezone.localtime(receipt.paid_at).strftime("%d/%m/%Y %H:%M") in body
    assert (receipt.unit.name_en or receipt.unit.name) in body
    dossier_code = receipt.subject.partition(":")[2]
    assert f"{dossier_code} Đăng ký kết hôn" in body  # "<dossier code> <procedure name>"
    for personal in (PAYER_NAME, PAYER_ID, receipt.gateway_transaction_no, receipt.reference, "Lệ phí cấp phép"):
        assert personal not in body, personal
    # A number typed in lower case is the same receipt.
    assert public.get(url.lower()).status_code == 200


def test_an_unknown_receipt_number_is_a_404_page_saying_so(db, public):
    response = public.get(reverse("receipt-verify", kwargs={"number": "BL-2026-0000000"}))
    assert response.status_code == 404
    body = response.content.decode()
    assert "No such receipt" in body and "BL-2026-0000000" in body
    assert public.get("/receipts/verify/" + "X" * 200).status_code == 404


def test_a_pending_payment_has_no_receipt_to_verify(waiting_dossier, citizen, public):
    payment = payment_create(subject=f"dossier:{waiting_dossier.code}", payer=citizen)
    payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not payment.receipt_number
    assert public.get(reverse("receipt-verify", kwargs={"number": payment.reference})).status_code == 404


def test_the_verify_page_is_rate_limited_per_address(db, public):
    url = reverse("receipt-verify", kwargs={"number": "BL-2026-0000000"})
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, 5, tzinfo=UTC), tick=False):  # one window
        statuses = [public.get(url).status_code for _ in range(31)]
        other = Client(REMOTE_ADDR=f"192.0.2.{secrets.randbelow(250) + 1}").get(url).status_code
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
    assert other == 404


def test_the_vietnamese_interface_gets_the_receipt_and_its_pdf_in_vietnamese(receipt, citizen):
    payer = logged_in(citizen, eid_level=2)  # no language cookie: the portal's default, Vietnamese
    page = payer.get(reverse("receipt", kwargs={"number": receipt.receipt_number}))
    assert page.status_code == 200 and '<html lang="vi">' in page.content.decode()
    assert receipt.unit.name in page.content.decode()
    pdf = payer.get(reverse("receipt-pdf", kwargs={"number": receipt.receipt_number}))
    assert pdf.status_code == 200 and b"/Lang (vi)" in pdf.content

"""Refunds with a second person's approval, driven through the staff pages as officers and heads use them.

An officer (or head) of the collecting unit asks; a head of the unit (or the city) decides, never the one who
asked; the gateway gives the money back; every step is audited with its actor.
"""

import dataclasses

import pytest
from django.conf import settings as django_settings
from django.test import Client

from payments import payables
from payments.models import Payment, PaymentEvent, Refund
from payments.paygov_sim.models import SimTransaction
from payments.refunds import refund_decide, refund_request
from payments.services import PaymentError, callback_process, payment_create, payment_start
from tests.payments.conftest import gateway_notice
from tests.procedures.conftest import client_for

pytestmark = pytest.mark.django_db


def refund_url(payment) -> str:
    return f"/payments/unit/{payment.reference}/refund/"


def decide_url(refund) -> str:
    return f"/payments/refunds/{refund.pk}/decide/"


@pytest.fixture
def paid(waiting_dossier, citizen, django_capture_on_commit_callbacks) -> Payment:
    """The dossier's 1.250.000 ₫ paid through the simulator: the bank's record and its notification."""
    payment = payment_create(subject=f"dossier:{waiting_dossier.code}", payer=citizen)
    payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
    SimTransaction.objects.create(
        reference=payment.reference,
        amount_vnd=payment.amount_vnd,
        result_code="00",
        bank_code="VCB",
        transaction_no=f"SIM{payment.pk:010d}",
        return_url="http://testserver/r/",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert callback_process(gateway_notice(payment))[0] == "00"
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    return payment


def web(user) -> Client:
    """A logged-in browser that chose English (the messages checked below are the English source strings)."""
    client = client_for(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def officer_web(people) -> Client:
    return web(people["officer.benthanh"])


@pytest.fixture
def head_web(people) -> Client:
    return web(people["head.benthanh"])


@pytest.fixture
def refunded_heard(monkeypatch):
    """Listen to `on_refunded` of dossiers, as the owner of the subject hears it."""
    heard = []
    kind = payables.kind_of("dossier:x")
    monkeypatch.setitem(
        payables._KINDS, "dossier", dataclasses.replace(kind, on_refunded=lambda payment: heard.append(payment))
    )
    return heard


def test_an_officer_asks_the_head_approves_the_gateway_refunds_and_every_step_is_audited(
    paid, officer_web, head_web, people, refunded_heard, django_capture_on_commit_callbacks
):
    officer, head = people["officer.benthanh"], people["head.benthanh"]
    listing = officer_web.get("/payments/unit/")
    assert listing.status_code == 200
    assert f'href="{refund_url(paid)}"' in listing.content.decode()

    form = officer_web.get(refund_url(paid))
    assert form.status_code == 200 and 'value="1250000"' in form.content.decode()
    asked = officer_web.post(refund_url(paid), {"amount_vnd": "250000", "reason": "Nộp trùng phí thẩm định"})
    assert asked.status_code == 302 and asked["Location"] == "/payments/unit/"
    refund = Refund.objects.get(payment=paid)
    assert (refund.status, refund.amount_vnd, refund.requested_by) == ("requested", 250_000, officer)
    # The listing now says it waits, and offers no second request.
    listing = officer_web.get("/payments/unit/").content.decode()
    assert f'href="{refund_url(paid)}"' not in listing

    # The requester cannot approve; the request stays as it was.
    own = officer_web.post(decide_url(refund), {"decision": "approve"}, follow=True)
    assert own.status_code == 200 and "someone else must decide" in own.content.decode()
    refund.refresh_from_db()
    assert refund.status == "requested"

    waiting = head_web.get("/payments/refunds/")
    assert waiting.status_code == 200
    assert f'action="{decide_url(refund)}"' in waiting.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        approved = head_web.post(decide_url(refund), {"decision": "approve", "note": "Đúng, nộp trùng"})
    assert approved.status_code == 302
    refund.refresh_from_db()
    paid.refresh_from_db()
    assert (refund.status, refund.decided_by, refund.gateway_refund_no) == ("done", head, f"RFSIM{paid.pk:010d}")
    assert paid.status == "refunded"
    assert SimTransaction.objects.get(reference=paid.reference).refunded_vnd == 250_000
    assert refunded_heard == [paid]
    steps = list(
        PaymentEvent.objects.filter(payment=paid, action__startswith="refund")
        .order_by("at", "id")
        .values_list("action", "actor__username", "from_status", "to_status")
    )
    assert steps == [
        ("refund_request", "officer.benthanh", "succeeded", "succeeded"),
        ("refund_approve", "head.benthanh", "succeeded", "succeeded"),
        ("refund", "head.benthanh", "succeeded", "refunded"),
    ]
    # Decided once: a second approval changes nothing.
    with pytest.raises(PaymentError) as again:
        refund_decide(refund, True, people["admin.city"])
    assert again.value.code == "refund_decided"


def test_a_head_who_asked_cannot_approve_their_own_request(paid, people):
    head = people["head.benthanh"]
    refund = refund_request(paid, 1_250_000, "Hồ sơ bị từ chối", head)
    with pytest.raises(PaymentError) as same:
        refund_decide(refund, True, head)
    assert (same.value.code, same.value.status_code) == ("same_person", 403)
    refund.refresh_from_db()
    assert refund.status == "requested"
    # The city admin, a second person, may decide.
    done = refund_decide(refund, True, people["admin.city"])
    assert done.status == "done"
    paid.refresh_from_db()
    assert paid.status == "refunded"


def test_only_a_head_of_the_unit_or_the_city_decides(paid, people):
    refund = refund_request(paid, 100_000, "Thu thừa", people["officer.benthanh"])
    for username in ("officer.benthanh", "head.saigon", "079085001234"):
        with pytest.raises(PaymentError) as refused:
            refund_decide(refund, True, people[username])
        assert refused.value.status_code == 403
    other_head = client_for(people["head.saigon"])
    assert other_head.post(decide_url(refund), {"decision": "approve"}).status_code == 403
    assert f'action="{decide_url(refund)}"' not in other_head.get("/payments/refunds/").content.decode()
    refund.refresh_from_db()
    assert refund.status == "requested"


def test_a_refused_refund_leaves_the_payment_paid_and_a_new_request_can_follow(paid, officer_web, head_web, people):
    officer_web.post(refund_url(paid), {"amount_vnd": "1250000", "reason": "Công dân rút hồ sơ"})
    refund = Refund.objects.get(payment=paid)
    refused = head_web.post(decide_url(refund), {"decision": "refuse", "note": "Đã xử lý xong"}, follow=True)
    assert refused.status_code == 200
    refund.refresh_from_db()
    paid.refresh_from_db()
    assert (refund.status, paid.status) == ("refused", "succeeded")
    event = PaymentEvent.objects.get(payment=paid, action="refund_refuse")
    assert event.actor == people["head.benthanh"] and event.data["note"] == "Đã xử lý xong"
    assert officer_web.post(refund_url(paid), {"amount_vnd": "1000", "reason": "Lần hai"}).status_code == 302
    assert Refund.objects.filter(payment=paid, status="requested").count() == 1


def test_the_gateway_failing_leaves_the_payment_paid_and_says_so(paid, officer_web, head_web, settings):
    officer_web.post(refund_url(paid), {"amount_vnd": "1250000", "reason": "Thu nhầm"})
    refund = Refund.objects.get(payment=paid)
    settings.PAYGOV_SIM_REACHABLE = False
    answer = head_web.post(decide_url(refund), {"decision": "approve"}, follow=True)
    assert "did not answer" in answer.content.decode()
    refund.refresh_from_db()
    paid.refresh_from_db()
    assert (refund.status, paid.status) == ("failed", "succeeded")
    assert PaymentEvent.objects.filter(payment=paid, action="refund_failed").count() == 1
    assert SimTransaction.objects.get(reference=paid.reference).refunded_vnd == 0


@pytest.mark.parametrize(
    "data, field",
    [
        ({"amount_vnd": "0", "reason": "x"}, "amount_vnd"),
        ({"amount_vnd": "1250001", "reason": "x"}, "amount_vnd"),
        ({"amount_vnd": "nhiều", "reason": "x"}, "amount_vnd"),
        ({"amount_vnd": "1000", "reason": "  "}, "reason"),
    ],
)
def test_a_wrong_request_is_shown_as_a_form_error(paid, officer_web, data, field):
    response = officer_web.post(refund_url(paid), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and f'href="#id_{field}"' in html
    assert not Refund.objects.filter(payment=paid).exists()


def test_one_open_request_at_a_time_and_only_for_a_paid_payment(paid, people, waiting_dossier, citizen):
    officer = people["officer.benthanh"]
    refund_request(paid, 1000, "Một", officer)
    with pytest.raises(PaymentError) as open_:
        refund_request(paid, 1000, "Hai", people["head.benthanh"])
    assert (open_.value.code, open_.value.status_code) == ("refund_open", 409)
    with pytest.raises(PaymentError) as over:
        refund_request(paid, paid.amount_vnd + 1, "Ba", officer)
    assert over.value.code == "invalid_amount" and "amount_vnd" in over.value.extra["errors"]
    failed = Payment.objects.create(
        reference="PGFAILED0001",
        subject=paid.subject,
        description="x",
        unit=paid.unit,
        amount_vnd=1000,
        status="failed",
        gateway="paygov-sim",
        expires_at=paid.expires_at,
    )
    with pytest.raises(PaymentError) as not_paid:
        refund_request(failed, 1000, "Bốn", officer)
    assert not_paid.value.code == "not_refundable"


def test_the_unit_payments_pages_are_for_the_units_staff_only(paid, people, citizen):
    assert client_for(citizen).get("/payments/unit/").status_code == 403
    assert client_for(citizen).get(refund_url(paid)).status_code == 403
    other = client_for(people["officer.saigon"])
    assert paid.reference not in other.get("/payments/unit/").content.decode()
    assert other.get(refund_url(paid)).status_code == 404
    assert other.post(refund_url(paid), {"amount_vnd": "1000", "reason": "x"}).status_code == 404
    with pytest.raises(PaymentError) as forbidden:
        refund_request(paid, 1000, "x", people["officer.saigon"])
    assert forbidden.value.code == "forbidden"
    assert client_for(citizen).get("/payments/refunds/").status_code == 403
    assert not Refund.objects.exists()


def test_the_admin_shows_payments_and_their_audit_read_only_to_the_city(paid, people):
    officer, head = people["officer.benthanh"], people["head.benthanh"]
    refund = refund_request(paid, 1000, "Thu thừa", officer)
    refund_decide(refund, False, head, note="Không")
    city = client_for(people["admin.city"])
    page = city.get(f"/admin/payments/payment/{paid.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert paid.reference in html and "refund_refuse" in html and "Phí thẩm định" in html
    assert 'name="_save"' not in html  # nothing to save: read only
    assert city.post(f"/admin/payments/payment/{paid.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Payment.objects.filter(pk=paid.pk).exists()
    assert client_for(officer).get("/admin/payments/payment/").status_code in (302, 403)

"""The payment core: fee lines copied, the state table, the gateway's notification taken once and only if true.

Real PostgreSQL; the notification is posted to the callback URL as the gateway posts it.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from payments.models import GatewayCallback, Payment, PaymentEvent
from payments.services import PaymentError, callback_process, payment_create, payment_start
from payments.workflow import FINAL, TRANSITIONS, PaymentStatus, can_move
from procedures import services
from procedures.models import FeeLine
from tests.payments.conftest import gateway_notice

pytestmark = pytest.mark.django_db
CALLBACK = "/payments/paygov/callback/"


def started(dossier, citizen) -> Payment:
    payment = payment_create(subject=f"dossier:{dossier.code}", payer=citizen)
    payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
    return Payment.objects.get(pk=payment.pk)


@pytest.fixture
def notify(django_capture_on_commit_callbacks):
    """Post a notification to the callback URL as the gateway does; what its commit triggers runs too."""

    def post(params) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(CALLBACK, params)
        assert response.status_code == 200
        return response.json()

    return post


def test_the_state_table_lets_nothing_leave_a_final_state_but_a_refund():
    for source in FINAL:
        allowed = TRANSITIONS[source]
        assert allowed == (frozenset({PaymentStatus.REFUNDED}) if source == PaymentStatus.SUCCEEDED else frozenset())
    assert can_move(PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)
    assert not can_move(PaymentStatus.FAILED, PaymentStatus.SUCCEEDED)


def test_a_payment_copies_the_fee_lines_and_a_later_catalogue_change_does_not_alter_it(
    waiting_dossier, citizen, fee_procedure
):
    payment = payment_create(subject=f"dossier:{waiting_dossier.code}", payer=citizen)
    assert payment.amount_vnd == 1_250_000 and payment.currency == "VND" and payment.status == "created"
    assert [(line.name_vi, line.amount_vnd) for line in payment.lines.all()] == [
        ("Lệ phí cấp phép", 1_000_000),
        ("Phí thẩm định", 250_000),
    ]
    FeeLine.objects.filter(procedure=fee_procedure).update(amount_vnd=9_999_999)
    payment.refresh_from_db()
    assert payment.amount_vnd == 1_250_000 and sum(line.amount_vnd for line in payment.lines.all()) == 1_250_000


def test_only_the_applicant_of_a_dossier_waiting_for_payment_may_pay(waiting_dossier, people, citizen, procedure):
    with pytest.raises(PaymentError) as stranger:
        payment_create(subject=f"dossier:{waiting_dossier.code}", payer=people["079190004567"])
    assert stranger.value.code == "subject_unknown"
    with pytest.raises(PaymentError) as unknown:
        payment_create(subject="parking:ABC", payer=citizen)
    assert unknown.value.code == "subject_unknown"


def test_a_success_notification_pays_once_and_the_dossier_moves_on(waiting_dossier, citizen, notify):
    payment = started(waiting_dossier, citizen)
    assert payment.status == "pending"
    with_callbacks = notify(gateway_notice(payment))
    assert with_callbacks["code"] == "00"
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.receipt_number.startswith("BL-")
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "processing" and waiting_dossier.paused_at is None

    # A replay answers "already confirmed" and changes nothing.
    before = (payment.version, PaymentEvent.objects.filter(payment=payment).count())
    assert notify(gateway_notice(payment))["code"] == "02"
    # A late failure for the same reference cannot undo the success.
    assert notify(gateway_notice(payment, result_code="51"))["code"] == "02"
    payment.refresh_from_db()
    assert payment.status == "succeeded" and (payment.version, payment.events.count()) == before
    assert list(GatewayCallback.objects.filter(payment=payment).values_list("answer", flat=True).order_by("id")) == [
        "00",
        "02",
        "02",
    ]


@pytest.mark.parametrize(
    "tamper, answer",
    [
        ({"secret": "not-the-shared-secret"}, "97"),
        ({"amount": 1_250_001}, "04"),
        ({"amount": 1_249_999}, "04"),
        ({"currency": "USD"}, "04"),
        ({"reference": "PG000000UNKNOWN"}, "01"),
    ],
)
def test_a_forged_or_wrong_notification_is_refused_with_its_code_and_stored(
    waiting_dossier, citizen, tamper, answer, notify
):
    payment = started(waiting_dossier, citizen)
    assert notify(gateway_notice(payment, **tamper))["code"] == answer
    payment.refresh_from_db()
    assert payment.status == "pending"
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "payment_required"
    stored = GatewayCallback.objects.get()
    assert stored.answer == answer and stored.params["result_code"] == "00"


def test_bad_input_gets_a_code_never_a_500(db, notify):
    for params in ({}, {"reference": "x", "amount": "many", "signature": "zz"}, {"amount": "1" * 500}):
        assert notify(params)["code"] in {"97", "99"}
    # A NUL character never reaches a view or PostgreSQL: every path answers it with 400 (govportal/api/middleware.py).
    assert Client().get(CALLBACK, {"reference": "\x00"}).status_code == 400


def test_failure_and_cancel_leave_the_dossier_waiting_and_a_new_attempt_can_be_made(waiting_dossier, citizen, notify):
    failed = started(waiting_dossier, citizen)
    assert notify(gateway_notice(failed, result_code="51"))["code"] == "00"
    failed.refresh_from_db()
    assert failed.status == "failed" and failed.receipt_number is None
    cancelled = started(waiting_dossier, citizen)
    assert cancelled.reference != failed.reference
    assert notify(gateway_notice(cancelled, result_code="24"))["code"] == "00"
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled"
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "payment_required"
    paid = started(waiting_dossier, citizen)
    notify(gateway_notice(paid))
    with pytest.raises(PaymentError) as again:
        payment_create(subject=f"dossier:{waiting_dossier.code}", payer=citizen)
    assert again.value.code in {"already_paid", "not_payable"}


def test_a_second_attempt_while_one_is_at_the_bank_is_refused(waiting_dossier, citizen):
    started(waiting_dossier, citizen)
    with pytest.raises(PaymentError) as pending:
        payment_create(subject=f"dossier:{waiting_dossier.code}", payer=citizen)
    assert pending.value.code == "payment_pending" and pending.value.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_two_identical_notifications_at_once_one_applies_one_answers_already(waiting_dossier, citizen):
    payment = started(waiting_dossier, citizen)
    params = gateway_notice(payment)
    barrier = threading.Barrier(2)
    answers = []

    def deliver():
        barrier.wait()
        try:
            answers.append(callback_process(dict(params))[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["00", "02"]
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert PaymentEvent.objects.filter(payment=payment, action="callback").count() == 1
    assert services.DossierEvent.objects.filter(dossier=waiting_dossier, action="payment_received").count() == 1


def test_a_fee_due_at_filing_is_paid_before_the_unit_receives_the_dossier(fee_procedure, citizen, officer, notify):
    from tests.procedures.conftest import submitted_dossier

    fee_procedure.fee_due_at_filing = True
    fee_procedure.save()
    dossier = submitted_dossier(fee_procedure, citizen)
    with pytest.raises(services.DossierError) as early:
        services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    assert early.value.code == "fee_unpaid"
    assert "receive" not in [rule.action for rule in services.actions_available(dossier=dossier, user=officer)]
    payment = started(dossier, citizen)
    notify(gateway_notice(payment))
    dossier.refresh_from_db()
    assert dossier.status == "submitted" and dossier.events.filter(action="fee_paid").count() == 1
    received = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    assert received.status == "received"

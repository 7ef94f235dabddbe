"""The payments API: pay a fee with an Idempotency-Key, read a payment (payer, the unit's staff, the city).

Driven with DRF's APIClient as a mobile app or a script would; real PostgreSQL
(the concurrency tests commit, so that two requests really race).
"""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from payments.models import Payment, PaymentEvent
from payments.services import callback_process
from procedures import services
from procedures.models import FeeLine
from tests.conftest import require
from tests.payments.conftest import gateway_notice
from tests.procedures.conftest import submitted_dossier

pytestmark = pytest.mark.django_db
API = "/api/v1/payments/"


# --- fixtures and helpers (this file's own) -----------------------------------------------------------


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def citizen_api(citizen):
    return api_for(citizen)


def subject(dossier) -> str:
    return f"dossier:{dossier.code}"


def pay(api, dossier_or_subject, *, key=None, **extra):
    body = {"subject": dossier_or_subject if isinstance(dossier_or_subject, str) else subject(dossier_or_subject)}
    body.update(extra)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(API, body, format="json", **headers)


def settle(reference: str, result_code: str = "00") -> Payment:
    """The gateway's signed notification for the payment, as the callback URL takes it."""
    payment = Payment.objects.get(reference=reference)
    assert callback_process(gateway_notice(payment, result_code=result_code))[0] == "00"
    payment.refresh_from_db()
    return payment


# --- paying ----------------------------------------------------------------------------------------------


def test_citizen_pays_the_fee_lines_and_gets_the_gateway_url(citizen_api, waiting_dossier, citizen):
    response = pay(citizen_api, waiting_dossier, key="f2c0a4c2-5d1e-4f7a-9d51-0c6b9a0e1a11")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "pending" and data["is_final"] is False
    assert data["amount_vnd"] == 1_250_000 and data["amount_display"] == "1.250.000 ₫" and data["currency"] == "VND"
    assert [(line["kind"], line["name_vi"], line["amount_vnd"]) for line in data["lines"]] == [
        ("fee", "Lệ phí cấp phép", 1_000_000),
        ("charge", "Phí thẩm định", 250_000),
    ]
    assert data["receipt_number"] is None and data["paid_at"] is None
    assert data["created_at"] and data["expires_at"] > data["created_at"]
    assert data["unit"]["code"] == waiting_dossier.handling_unit.code
    assert data["events"] is None  # the payer does not read the audit trail
    assert "Idempotent-Replayed" not in response

    # The browser goes to the gateway with the amount and the portal's own return page.
    url = urlsplit(data["pay_url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", "/paygov-sim/pay/")
    params = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert params["reference"] == data["reference"] and params["amount"] == "1250000"
    assert params["return_url"] == f"http://testserver/payments/{data['reference']}/return/"
    assert params["signature"]

    payment = Payment.objects.get(reference=data["reference"])
    assert payment.payer == citizen and payment.subject == subject(waiting_dossier) and payment.status == "pending"
    assert payment.idempotency_key == "f2c0a4c2-5d1e-4f7a-9d51-0c6b9a0e1a11"


def test_an_amount_in_the_body_is_refused_and_never_used(citizen_api, waiting_dossier):
    response = pay(citizen_api, waiting_dossier, amount=1)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "amount" in response.json()["errors"]
    assert not Payment.objects.exists()
    # Without it, the amount is the fee lines' sum.
    response = pay(citizen_api, waiting_dossier)
    assert response.status_code == 201 and response.json()["amount_vnd"] == 1_250_000


def test_the_same_key_and_body_answers_the_original_payment_once(citizen_api, waiting_dossier):
    first = pay(citizen_api, waiting_dossier, key="retry-me-1")
    assert first.status_code == 201
    again = pay(citizen_api, waiting_dossier, key="retry-me-1")
    assert again.status_code == 200, again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["status"] == "pending" and again.json()["pay_url"]
    assert Payment.objects.filter(subject=subject(waiting_dossier)).count() == 1
    assert PaymentEvent.objects.filter(action="create").count() == 1
    assert PaymentEvent.objects.filter(action="start").count() == 1


def test_the_same_key_with_another_body_is_422(citizen_api, waiting_dossier, fee_procedure, citizen, officer):
    assert pay(citizen_api, waiting_dossier, key="one-key").status_code == 201
    other = submitted_dossier(fee_procedure, citizen)
    for action in ("receive", "start_processing", "require_payment"):
        other = services.dossier_transition(dossier=other, action=action, actor=officer)
    response = pay(citizen_api, other, key="one-key")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused" and response.json()["detail"]
    assert not Payment.objects.filter(subject=subject(other)).exists()


def test_keys_belong_to_their_payer(citizen_api, waiting_dossier, people):
    """Another citizen's request with the same key is theirs, not a repeat of someone else's payment."""
    assert pay(citizen_api, waiting_dossier, key="shared-key").status_code == 201
    response = pay(api_for(people["079190004567"]), waiting_dossier, key="shared-key")
    assert response.status_code == 404 and response.json()["code"] == "subject_unknown"


def test_a_repeat_of_a_final_payment_answers_it_without_a_pay_url(citizen_api, waiting_dossier):
    reference = pay(citizen_api, waiting_dossier, key="paid-key").json()["reference"]
    paid = settle(reference)
    assert paid.status == "succeeded"
    again = pay(citizen_api, waiting_dossier, key="paid-key")
    assert again.status_code == 200
    data = again.json()
    assert data["reference"] == reference and data["status"] == "succeeded" and data["is_final"] is True
    assert data["pay_url"] is None and data["receipt_number"] == paid.receipt_number
    assert PaymentEvent.objects.filter(payment=paid, action="start").count() == 1


def test_a_repeat_of_an_expired_attempt_answers_it_without_a_pay_url(citizen_api, waiting_dossier):
    reference = pay(citizen_api, waiting_dossier, key="slow-key").json()["reference"]
    Payment.objects.filter(reference=reference).update(expires_at=timezone.now() - timedelta(minutes=1))
    again = pay(citizen_api, waiting_dossier, key="slow-key")
    assert again.status_code == 200 and again.json()["reference"] == reference
    assert again.json()["pay_url"] is None


# --- refusals with their codes ---------------------------------------------------------------------------


def test_a_second_attempt_while_one_is_at_the_bank_is_409(citizen_api, waiting_dossier):
    assert pay(citizen_api, waiting_dossier, key="a").status_code == 201
    for key in (None, "b"):
        response = pay(citizen_api, waiting_dossier, key=key)
        assert response.status_code == 409 and response.json()["code"] == "payment_pending"
    assert Payment.objects.count() == 1


def test_a_paid_fee_is_409_already_paid(citizen_api, waiting_dossier):
    # The success is recorded; the dossier hears of it on commit (not run here), so it still waits.
    settle(pay(citizen_api, waiting_dossier).json()["reference"])
    response = pay(citizen_api, waiting_dossier)
    assert response.status_code == 409 and response.json()["code"] == "already_paid"


def test_unknown_or_foreign_subjects_are_404(citizen_api, waiting_dossier, people):
    for target in ("parking:ABC-123", "dossier:HCM-00000-000000-0000", "nonsense"):
        response = pay(citizen_api, target)
        assert response.status_code == 404 and response.json()["code"] == "subject_unknown", target
    stranger = pay(api_for(people["079190004567"]), waiting_dossier)
    assert stranger.status_code == 404 and stranger.json()["code"] == "subject_unknown"
    assert not Payment.objects.exists()


def test_a_dossier_that_does_not_wait_for_payment_is_409_not_payable(citizen_api, fee_procedure, citizen):
    dossier = submitted_dossier(fee_procedure, citizen)  # the unit has not asked for the fee
    response = pay(citizen_api, dossier)
    assert response.status_code == 409 and response.json()["code"] == "not_payable"


def test_a_fee_made_free_after_the_unit_asked_is_409_nothing_to_pay(citizen_api, waiting_dossier, fee_procedure):
    # The unit asked for 1.250.000 ₫, then the catalogue made the procedure free (0 ₫): nothing is charged.
    FeeLine.objects.filter(procedure=fee_procedure).update(amount_vnd=0)
    response = pay(citizen_api, waiting_dossier)
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_pay"
    assert not Payment.objects.exists()


def test_an_attempt_that_cannot_be_started_is_409_payment_closed_and_leaves_nothing(
    citizen_api, waiting_dossier, settings
):
    settings.PAYMENT_EXPIRE_MINUTES = 0  # expired as soon as created
    response = pay(citizen_api, waiting_dossier, key="too-late")
    assert response.status_code == 409 and response.json()["code"] == "payment_closed"
    assert not Payment.objects.exists()


def test_only_logged_in_citizens_pay(waiting_dossier, people):
    anonymous = APIClient().post(API, {"subject": subject(waiting_dossier)}, format="json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    staff = pay(api_for(people["officer.benthanh"]), waiting_dossier)
    assert staff.status_code == 403 and staff.json()["code"] == "permission_denied"
    assert not Payment.objects.exists()


def test_a_bad_idempotency_key_is_400(citizen_api, waiting_dossier):
    response = pay(citizen_api, waiting_dossier, key="k" * 101)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    missing = citizen_api.post(API, {}, format="json")
    assert missing.status_code == 400 and "subject" in missing.json()["errors"]
    assert not Payment.objects.exists()


# --- reading a payment -----------------------------------------------------------------------------------


def test_who_reads_a_payment_and_who_sees_its_events(citizen_api, waiting_dossier, people):
    reference = pay(citizen_api, waiting_dossier).json()["reference"]
    url = f"{API}{reference}/"

    mine = citizen_api.get(url)
    assert mine.status_code == 200 and mine.json()["reference"] == reference and mine.json()["events"] is None
    assert "pay_url" not in mine.json()

    unit_code = waiting_dossier.handling_unit.code
    assert unit_code == "26743"
    for username in ("officer.benthanh", "head.benthanh", "admin.city", "operator"):
        response = api_for(people[username]).get(url)
        assert response.status_code == 200, username
        events = response.json()["events"]
        assert [event["action"] for event in events] == ["create", "start"], username
        assert events[1]["from_status"] == "created" and events[1]["to_status"] == "pending"
        assert {event["actor"] for event in events} == {"payer"}  # not the payer's personal ID number

    for username in ("officer.saigon", "head.saigon", "officer.tuphap", "079190004567"):
        response = api_for(people[username]).get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found", username

    assert citizen_api.get(f"{API}PG000000NOSUCHREF/").status_code == 404
    assert APIClient().get(url).status_code == 401


def test_staff_read_the_gateways_outcome_in_the_events(citizen_api, waiting_dossier, people):
    reference = pay(citizen_api, waiting_dossier).json()["reference"]
    paid = settle(reference)
    data = api_for(people["officer.benthanh"]).get(f"{API}{reference}/").json()
    assert data["status"] == "succeeded" and data["receipt_number"] == paid.receipt_number
    callback = data["events"][-1]
    assert callback["action"] == "callback" and callback["data"]["result_code"] == "00" and callback["actor"] is None
    assert citizen_api.get(f"{API}{reference}/").json()["status_label"]


# --- two requests at once --------------------------------------------------------------------------------


def race(users_and_keys, dossier) -> list:
    """POST the payment from one thread per (user, key) at the same instant; the responses."""
    barrier = threading.Barrier(len(users_and_keys))
    responses = []

    def post(user, key):
        try:
            api = api_for(user)
            barrier.wait()
            responses.append(pay(api, dossier, key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=pair) for pair in users_and_keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(responses) == len(users_and_keys)
    return responses


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_the_same_key_make_one_payment(waiting_dossier, citizen):
    require("postgres")
    responses = race([(citizen, "same-key"), (citizen, "same-key")], waiting_dossier)
    assert sorted(response.status_code for response in responses) == [200, 201], [r.json() for r in responses]
    assert len({response.json()["reference"] for response in responses}) == 1
    assert Payment.objects.filter(subject=subject(waiting_dossier)).count() == 1
    assert PaymentEvent.objects.filter(action="create").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_different_keys_make_one_payment(waiting_dossier, citizen):
    require("postgres")
    responses = race([(citizen, "key-one"), (citizen, "key-two")], waiting_dossier)
    assert sorted(response.status_code for response in responses) == [201, 409], [r.json() for r in responses]
    refused = next(response for response in responses if response.status_code == 409)
    assert refused.json()["code"] == "payment_pending"
    assert Payment.objects.filter(subject=subject(waiting_dossier)).count() == 1

"""Paying a dossier's fee online, as the citizen does it: the dossier page, the simulated bank, the return page.

The citizen's browser is Django's test client. The simulator's notification
task runs eagerly (test settings); its HTTP sender is replaced by a post to
the callback URL through the test client (the gateway's part), except in one
test where it really POSTs over HTTP to live_server.
"""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from celery.exceptions import Retry
from django.test import Client
from django.urls import reverse

from payments.gateways.base import sign
from payments.models import GatewayCallback, Payment
from payments.paygov_sim import tasks as sim_tasks
from payments.paygov_sim.models import SimTransaction
from tests.procedures.conftest import client_for, submitted_dossier

pytestmark = pytest.mark.django_db

START = "/payments/start/"


# --- fixtures and helpers (shared by this file only) -----------------------------------------------------


@pytest.fixture
def citizen_client(citizen):
    return client_for(citizen, eid_level=2)


@pytest.fixture
def delivered(monkeypatch):
    """The simulator's notifications, delivered to the callback view through the test client; answers kept."""
    answers = []

    def post_form(url, fields):
        response = Client().post(reverse("paygov-callback"), fields)
        assert response.status_code == 200
        answers.append(response.json()["code"])
        return answers[-1]

    monkeypatch.setattr(sim_tasks, "post_form", post_form)
    return answers


@pytest.fixture
def deferred(monkeypatch):
    """Notifications queued by the simulator, held back (as a worker would with a countdown) until `run()`."""

    class Held(list):
        def run(self):
            while self:
                args, countdown = self.pop(0)
                sim_tasks.notify.apply(args=args)

    held = Held()

    def apply_async(args=None, countdown=None, **options):
        held.append((args, countdown))

    monkeypatch.setattr(sim_tasks.notify, "apply_async", apply_async)
    return held


def subject(dossier) -> str:
    return f"dossier:{dossier.code}"


def start(client, dossier):
    """Press "Pay online": the portal answers with the redirect to the gateway."""
    return client.post(START, {"subject": subject(dossier)})


def open_bank(client, gateway_url: str) -> str:
    """Follow the signed redirect into the simulator; the URL of the bank choice (step 1)."""
    assert gateway_url.startswith("/paygov-sim/pay/?")
    response = client.get(gateway_url)
    assert response.status_code == 302, response.content.decode()[:500]
    step1 = response["Location"]
    page = client.get(step1)
    assert page.status_code == 200 and 'name="bank"' in page.content.decode()
    return step1


def at_the_bank(client, dossier, outcome: str, *, after_return=False, capture=None, bank="VCB"):
    """The whole trip: Pay online, the bank choice, the outcome button. Returns the redirect back to the portal."""
    response = start(client, dossier)
    assert response.status_code == 302
    step1 = open_bank(client, response["Location"])
    response = client.post(step1, {"bank": bank})
    assert response.status_code == 302
    step2 = response["Location"]
    page = client.get(step2)
    assert page.status_code == 200 and "1.250.000 ₫" in page.content.decode()
    data = {"bank": bank, "outcome": outcome}
    if after_return:
        data["notify_after_return"] = "1"
    if capture is not None:
        with capture(execute=True):
            response = client.post(step2.split("?")[0], data)
    else:
        response = client.post(step2.split("?")[0], data)
    assert response.status_code == 302
    return response["Location"]


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the dossier page ---------------------------------------------------------------------------------


def test_the_dossier_page_offers_to_pay_online_and_still_names_the_unit(citizen_client, waiting_dossier, people):
    page = citizen_client.get(f"/my/dossiers/{waiting_dossier.code}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="pay-online"' in body and f'value="dossier:{waiting_dossier.code}"' in body
    assert 'action="/payments/start/"' in body
    assert 'id="payment-how"' in body  # paying at the unit stays the alternative
    assert waiting_dossier.handling_unit.name in body


def test_no_pay_button_once_the_dossier_no_longer_waits(citizen_client, waiting_dossier, officer):
    from procedures import services

    services.dossier_transition(dossier=waiting_dossier, action="payment_received", actor=officer)
    body = citizen_client.get(f"/my/dossiers/{waiting_dossier.code}/").content.decode()
    assert 'id="pay-online"' not in body


def test_a_fee_due_at_filing_is_offered_right_after_submission(citizen_client, fee_procedure, citizen):
    fee_procedure.fee_due_at_filing = True
    fee_procedure.save()
    filed = submitted_dossier(fee_procedure, citizen)
    body = text(citizen_client.get(f"/my/dossiers/{filed.code}/"))
    assert 'id="pay-online"' in body and f'value="dossier:{filed.code}"' in body
    assert '<strong id="payment-amount">1.250.000 ₫</strong>' in body
    response = start(citizen_client, filed)
    assert response.status_code == 302 and response["Location"].startswith("/paygov-sim/pay/?")


# --- paying ------------------------------------------------------------------------------------------


def test_paying_moves_the_dossier_from_payment_required_to_processing(
    citizen_client, waiting_dossier, delivered, django_capture_on_commit_callbacks
):
    back = at_the_bank(citizen_client, waiting_dossier, "pay", capture=django_capture_on_commit_callbacks)
    payment = Payment.objects.get(subject=subject(waiting_dossier))
    assert urlsplit(back).path == f"/payments/{payment.reference}/return/"
    assert parse_qs(urlsplit(back).query)["result_code"] == ["00"]
    assert delivered == ["00"]
    record = SimTransaction.objects.get(reference=payment.reference)
    assert record.result_code == "00" and record.bank_code == "VCB" and record.notify_answer == "00"
    assert record.transaction_no.startswith("SIM") and len(record.transaction_no) == 13
    assert record.notified_at is not None and record.decided_at is not None

    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.gateway_transaction_no == record.transaction_no
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "processing" and waiting_dossier.paused_at is None

    # Callback before return: the return page shows "paid" at once, with the receipt and the way back.
    page = citizen_client.get(local(back))
    body = text(page)
    assert page.status_code == 200
    assert 'data-status="succeeded"' in body and "Refresh" not in page  # nothing left to wait for
    assert "1.250.000 ₫" in body and "Lệ phí cấp phép" in body
    assert f'href="/receipts/{payment.receipt_number}/"' in body
    assert f'href="/my/dossiers/{waiting_dossier.code}/"' in body
    assert 'id="pay-again"' not in body

    # The dossier no longer offers to pay, and a second attempt is refused with a page, not a 500.
    assert 'id="pay-online"' not in citizen_client.get(f"/my/dossiers/{waiting_dossier.code}/").content.decode()
    again = start(citizen_client, waiting_dossier)
    assert again.status_code == 409 and 'data-code="not_payable"' in again.content.decode()


@pytest.mark.parametrize("outcome, status, code", [("fail", "failed", "51"), ("cancel", "cancelled", "24")])
def test_failure_or_cancel_leaves_the_dossier_waiting_and_pay_again_makes_a_new_attempt(
    citizen_client, waiting_dossier, delivered, django_capture_on_commit_callbacks, outcome, status, code
):
    back = at_the_bank(citizen_client, waiting_dossier, outcome, capture=django_capture_on_commit_callbacks)
    first = Payment.objects.get(subject=subject(waiting_dossier))
    assert first.status == status and first.result_code == code and first.receipt_number is None
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "payment_required" and waiting_dossier.paused_at is not None

    citizen_client.cookies["govportal_language"] = "en"  # to read the reason's English text
    page = citizen_client.get(local(back))
    body = text(page)
    assert f'data-status="{status}"' in body
    reason = re.search(r'id="payment-reason">([^<]+)<', body).group(1)
    expected = "not have enough money" if outcome == "fail" else "You cancelled the payment"
    assert expected in reason
    assert "receipt-link" not in body
    form = re.search(r'<form method="post" action="/payments/start/" id="pay-again"[^>]*>(.*?)</form>', body).group(1)
    assert f'value="dossier:{waiting_dossier.code}"' in form

    # "Pay again" posts the same subject: a new attempt with its own reference goes to the bank.
    response = citizen_client.post(START, {"subject": f"dossier:{waiting_dossier.code}"})
    assert response.status_code == 302 and response["Location"].startswith("/paygov-sim/pay/?")
    second = Payment.objects.exclude(pk=first.pk).get(subject=subject(waiting_dossier))
    assert second.reference != first.reference and second.status == "pending"
    assert parse_qs(urlsplit(response["Location"]).query)["reference"] == [second.reference]
    first.refresh_from_db()
    assert first.status == status  # the old attempt keeps its outcome


def test_the_same_bank_flow_pays_after_a_failure_then_a_cancel(
    citizen_client, waiting_dossier, delivered, django_capture_on_commit_callbacks
):
    for outcome in ("fail", "cancel", "pay"):
        at_the_bank(citizen_client, waiting_dossier, outcome, capture=django_capture_on_commit_callbacks)
    statuses = list(
        Payment.objects.filter(subject=subject(waiting_dossier)).order_by("created_at").values_list("status", flat=True)
    )
    assert statuses == ["failed", "cancelled", "succeeded"]
    assert delivered == ["00", "00", "00"]
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "processing"


def test_return_before_the_notification_shows_waiting_then_paid(
    citizen_client, waiting_dossier, delivered, deferred, django_capture_on_commit_callbacks
):
    back = at_the_bank(
        citizen_client, waiting_dossier, "pay", after_return=True, capture=django_capture_on_commit_callbacks
    )
    assert [countdown for _args, countdown in deferred] == [5]  # sent 5 s later by the worker
    assert delivered == []

    # The browser is back first: the gateway's "00" in the query string is not believed.
    assert parse_qs(urlsplit(back).query)["result_code"] == ["00"]
    page = citizen_client.get(local(back))
    body = text(page)
    assert 'data-status="pending"' in body
    assert page["Refresh"] == "3"  # the page reloads itself every 3 s, no JavaScript needed
    payment = Payment.objects.get(subject=subject(waiting_dossier))
    assert f'href="/payments/{payment.reference}/return/"' in body  # check again
    assert 'href="/receipts/' not in body
    stopped = citizen_client.get(f"/payments/{payment.reference}/return/?refresh=off")
    assert "Refresh" not in stopped and 'id="check-again"' in text(stopped)
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "payment_required"

    # The notification arrives; the next refresh shows the payment made.
    with django_capture_on_commit_callbacks(execute=True):
        deferred.run()
    assert delivered == ["00"]
    body = text(citizen_client.get(local(back)))
    assert 'data-status="succeeded"' in body
    payment.refresh_from_db()
    assert f'href="/receipts/{payment.receipt_number}/"' in body
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "processing"


def test_a_forged_display_result_on_the_return_url_changes_nothing(
    citizen_client, waiting_dossier, delivered, deferred, django_capture_on_commit_callbacks
):
    back = at_the_bank(
        citizen_client, waiting_dossier, "fail", after_return=True, capture=django_capture_on_commit_callbacks
    )
    payment = Payment.objects.get(subject=subject(waiting_dossier))
    forged = {"reference": payment.reference, "result_code": "00"}
    forged["signature"] = sign(forged, "guessed")
    page = citizen_client.get(f"{urlsplit(back).path}?{urlencode(forged)}")
    assert 'data-status="pending"' in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        deferred.run()
    page = citizen_client.get(f"{urlsplit(back).path}?{urlencode(forged)}")
    assert 'data-status="failed"' in text(page)
    payment.refresh_from_db()
    assert payment.status == "failed"
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "payment_required"


# --- the simulator refuses what it must ---------------------------------------------------------------


def test_a_tampered_redirect_is_refused_as_an_invalid_signature(citizen_client, waiting_dossier):
    response = start(citizen_client, waiting_dossier)
    url = response["Location"]
    params = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert params["amount"] == "1250000"
    for change in ({"amount": "1000"}, {"reference": "PG000000FORGED"}, {"return_url": "http://evil.example/r/"}):
        tampered = citizen_client.get("/paygov-sim/pay/?" + urlencode({**params, **change}))
        assert tampered.status_code == 400 and 'id="sim-error"' in tampered.content.decode()
        assert tampered.context["title"] == "Chữ ký không hợp lệ"  # the simulator speaks Vietnamese
    assert not SimTransaction.objects.exists()
    # Unchanged, it opens.
    assert citizen_client.get(url).status_code == 302
    assert SimTransaction.objects.get().amount_vnd == 1_250_000


def test_an_expired_payment_request_is_refused(citizen_client, waiting_dossier, settings):
    response = start(citizen_client, waiting_dossier)
    params = {key: values[0] for key, values in parse_qs(urlsplit(response["Location"]).query).items()}
    params["expires"] = "20200101000000"
    params["signature"] = sign(params, settings.PAYGOV_SECRET)
    refused = citizen_client.get("/paygov-sim/pay/?" + urlencode(params))
    assert refused.status_code == 400 and refused.context["title"] == "Yêu cầu thanh toán đã hết hạn"
    assert not SimTransaction.objects.exists()
    assert refused.context["back_url"] == params["return_url"]

    # Opened in time, but the payer decides too late: paying is refused (cancelling still works).
    step1 = open_bank(citizen_client, response["Location"])
    session = citizen_client.session
    held = session["paygov_sim"]
    for info in held.values():
        info["expires"] = "20200101000000"
    session["paygov_sim"] = held
    session.save()
    late = citizen_client.post(step1 + "confirm/", {"bank": "VCB", "outcome": "pay"})
    assert late.status_code == 400 and late.context["title"] == "Yêu cầu thanh toán đã hết hạn"
    assert SimTransaction.objects.get().result_code == ""


def test_only_the_browser_that_opened_the_order_may_act_on_it(citizen_client, waiting_dossier, people):
    response = start(citizen_client, waiting_dossier)
    step1 = open_bank(citizen_client, response["Location"])
    other = client_for(people["079190004567"])
    assert other.get(step1).status_code == 404
    assert other.post(step1, {"cancel": "1"}).status_code == 404
    assert SimTransaction.objects.get().result_code == ""


def test_choosing_no_bank_is_an_error_and_a_decided_order_is_not_decided_twice(
    citizen_client, waiting_dossier, delivered, django_capture_on_commit_callbacks
):
    response = start(citizen_client, waiting_dossier)
    step1 = open_bank(citizen_client, response["Location"])
    missing = citizen_client.post(step1, {"next": "1"})
    assert missing.status_code == 400 and 'class="error-summary"' in missing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = citizen_client.post(step1, {"cancel": "1"})
    assert cancelled.status_code == 302 and "result_code=24" in cancelled["Location"]
    # Back to the bank page later: the order is done; no second decision, no second notification.
    with django_capture_on_commit_callbacks(execute=True):
        again = citizen_client.post(step1 + "confirm/", {"bank": "VCB", "outcome": "pay"})
    assert again.status_code == 200 and 'id="back-to-merchant"' in again.content.decode()
    record = SimTransaction.objects.get()
    assert record.result_code == "24" and delivered == ["00"]
    assert Payment.objects.get().status == "cancelled"


# --- the notification task ----------------------------------------------------------------------------


def test_the_notification_is_signed_retried_until_definitive_and_sent_once(
    citizen_client, waiting_dossier, deferred, monkeypatch, django_capture_on_commit_callbacks, settings
):
    at_the_bank(citizen_client, waiting_dossier, "pay", capture=django_capture_on_commit_callbacks)
    (args, _countdown) = deferred[0]
    sent, answers = [], ["", "99", "00"]

    def post_form(url, fields):
        sent.append((url, dict(fields)))
        return answers.pop(0)

    monkeypatch.setattr(sim_tasks, "post_form", post_form)
    # No answer, then "99" (an error on the portal's side): not definitive, so the task asks to be run again later.
    for retries in (0, 1):
        with pytest.raises(Retry) as retry:
            sim_tasks.notify.apply(args=args, retries=retries)
        assert retry.value.when >= 5 * 2**retries
    assert sim_tasks.notify.apply(args=args, retries=2).get() == "00"
    assert len(sent) == 3 and all(url == settings.PAYGOV_SIM_CALLBACK_URL for url, _fields in sent)
    assert SimTransaction.objects.get().notify_answer == "00"
    fields = sent[0][1]
    assert set(fields) == {
        "reference",
        "amount",
        "currency",
        "result_code",
        "transaction_no",
        "bank_code",
        "paid_at",
        "signature",
    }
    assert fields["signature"] == sign(fields, settings.PAYGOV_SECRET) and fields["amount"] == "1250000"
    # Delivered: a second run posts nothing.
    assert sim_tasks.notify.apply(args=args).get() == "00" and len(sent) == 3


def test_the_notification_gives_up_after_its_last_try(
    citizen_client, waiting_dossier, deferred, monkeypatch, django_capture_on_commit_callbacks
):
    at_the_bank(citizen_client, waiting_dossier, "pay", capture=django_capture_on_commit_callbacks)
    (args, _countdown) = deferred[0]
    monkeypatch.setattr(sim_tasks, "post_form", lambda url, fields: "")
    last = sim_tasks.notify.max_retries
    assert sim_tasks.notify.apply(args=args, retries=last).get() == ""
    record = SimTransaction.objects.get()
    assert record.notify_answer == "" and record.notified_at is not None
    assert Payment.objects.get().status == "pending"  # the portal's reconciliation will ask the bank


# --- who may see what; refusals are pages ----------------------------------------------------------------


def test_another_user_gets_404_on_the_return_page_and_a_visitor_logs_in_first(citizen_client, waiting_dossier, people):
    start(citizen_client, waiting_dossier)
    payment = Payment.objects.get()
    url = f"/payments/{payment.reference}/return/"
    assert citizen_client.get(url).status_code == 200
    assert client_for(people["079190004567"]).get(url).status_code == 404
    assert client_for(people["officer.benthanh"]).get(url).status_code == 404
    assert citizen_client.get("/payments/PG000000NOSUCH/return/").status_code == 404
    visitor = Client().get(url)
    assert visitor.status_code == 302 and visitor["Location"].startswith("/login/")


def test_refusals_are_pages_with_the_reason_never_a_500(citizen_client, waiting_dossier, people, procedure, citizen):
    # An attempt is at the bank: wait for it (and look at it).
    first = start(citizen_client, waiting_dossier)
    assert first.status_code == 302
    pending = start(citizen_client, waiting_dossier)
    body = pending.content.decode()
    payment = Payment.objects.get()
    assert pending.status_code == 409 and 'data-code="payment_pending"' in body
    assert f'href="/payments/{payment.reference}/return/"' in body
    assert f'href="/my/dossiers/{waiting_dossier.code}/"' in body
    # Someone else's dossier, a dossier not waiting for payment, nonsense: refused, nothing created.
    stranger = client_for(people["079190004567"]).post(START, {"subject": subject(waiting_dossier)})
    assert stranger.status_code == 404 and 'data-code="subject_unknown"' in stranger.content.decode()
    assert f"/payments/{payment.reference}/" not in stranger.content.decode()
    free_and_submitted = submitted_dossier(procedure, citizen)
    not_waiting = citizen_client.post(START, {"subject": subject(free_and_submitted)})
    assert not_waiting.status_code == 409 and 'data-code="not_payable"' in not_waiting.content.decode()
    for nonsense in ("", "dossier:", "x" * 500, "parking:ABC"):
        assert citizen_client.post(START, {"subject": nonsense}).status_code == 404
    assert Payment.objects.count() == 1
    # Only POST starts a payment, and only for a logged-in person.
    assert citizen_client.get(START).status_code == 405
    assert Client().post(START, {"subject": subject(waiting_dossier)}).status_code == 302


def test_an_attempt_left_at_the_bank_can_be_finished_by_its_payer_only(
    citizen_client, waiting_dossier, people, delivered, django_capture_on_commit_callbacks
):
    first = start(citizen_client, waiting_dossier)
    open_bank(citizen_client, first["Location"])  # then the bank's tab is closed
    payment = Payment.objects.get()
    refused = start(citizen_client, waiting_dossier)
    form = re.search(r'<form[^>]*id="resume-payment">(.*?)</form>', text(refused)).group(1)
    assert f'name="reference" value="{payment.reference}"' in form
    assert client_for(people["079190004567"]).post(START, {"reference": payment.reference}).status_code == 404
    resumed = citizen_client.post(START, {"reference": payment.reference})
    assert resumed.status_code == 302
    assert parse_qs(urlsplit(resumed["Location"]).query)["reference"] == [payment.reference]
    step1 = open_bank(citizen_client, resumed["Location"])
    assert SimTransaction.objects.count() == 1  # the same order at the bank
    with django_capture_on_commit_callbacks(execute=True):
        citizen_client.post(step1 + "confirm/", {"bank": "MB", "outcome": "pay"})
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.bank_code == "MB" and Payment.objects.count() == 1


def test_the_refusal_speaks_the_visitors_language(citizen_client, waiting_dossier):
    start(citizen_client, waiting_dossier)
    citizen_client.cookies["govportal_language"] = "en"
    english = citizen_client.post(START, {"subject": subject(waiting_dossier)})
    assert "waiting for the bank" in english.content.decode()
    assert english.context["error"].detail.startswith("A payment of this fee is waiting")


# --- over the network: the notification really crosses HTTP --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_notification_really_posts_over_http_to_the_portal(live_server, settings, waiting_dossier, citizen):
    settings.PAYGOV_SIM_CALLBACK_URL = live_server.url + reverse("paygov-callback")
    client = client_for(citizen, eid_level=2)
    back = at_the_bank(client, waiting_dossier, "pay")  # autocommit: the task runs on commit, eagerly
    payment = Payment.objects.get()
    record = SimTransaction.objects.get()
    assert record.notify_answer == "00" and record.notified_at is not None
    callback = GatewayCallback.objects.get()
    assert callback.answer == "00" and callback.remote_addr == "127.0.0.1"
    assert callback.params["transaction_no"] == record.transaction_no
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    waiting_dossier.refresh_from_db()
    assert waiting_dossier.status == "processing"
    assert 'data-status="succeeded"' in text(client.get(local(back)))

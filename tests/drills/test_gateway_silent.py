"""Drill: the payment gateway slow or silent, with the real HTTP adapter (payments.gateways.http).

Three tiny local gateways: one that accepts connections and never answers,
one that answers after longer than PAYGOV_TIMEOUT, and one that answers at
once, signed, "paid". The citizen's payment start never waits on the gateway
(it is a redirect); reconciliation is bounded by the timeout, leaves the
payment pending while the gateway is silent or slow, and settles it, once,
when the gateway answers; a late callback for it changes nothing.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import require
from tests.drills.conftest import report
from tests.payments.conftest import gateway_notice
from tests.procedures.conftest import make_procedure, submitted_dossier

pytestmark = [pytest.mark.drill, pytest.mark.django_db]

TIMEOUT = 1.0
SLOW_SECONDS = 3.0


class Gateway(BaseHTTPRequestHandler):
    """Answers /query as the gateway does, signed; `delay` seconds late."""

    delay = 0.0
    answers: dict = {}
    seen: list = []

    def do_POST(self):  # noqa: N802  (http.server's name)
        from django.conf import settings

        from payments.gateways.base import sign

        fields = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(self.path)
        time.sleep(self.delay)
        answer = {k: str(v) for k, v in self.answers.get(fields["reference"], {"found": "false"}).items()}
        answer["signature"] = sign(answer, settings.PAYGOV_SECRET)
        body = json.dumps(answer).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the portal gave up waiting

    def log_message(self, *args):
        pass


def serve(handler) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def people(demo_users, population):
    from identity.models import User

    return {user.username: user for user in User.objects.all()}


def test_a_silent_or_slow_gateway_is_bounded_and_reconciliation_settles_the_payment_once(
    people, settings, django_capture_on_commit_callbacks
):
    require("postgres")
    from payments.models import Payment, PaymentEvent
    from payments.services import payment_create, payment_start, payments_reconcile
    from procedures import services
    from procedures.models import FeeLine

    citizen, officer = people["079085001234"], people["officer.benthanh"]
    procedure = make_procedure(code="1.000999")
    FeeLine.objects.create(procedure=procedure, kind="fee", name_vi="Lệ phí", amount_vnd=1_000_000)
    dossier = submitted_dossier(procedure, citizen)
    for action in ("receive", "start_processing", "require_payment"):
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer)

    silent = socket.socket()  # listens (the kernel accepts the connection), never reads nor answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(50)
    settings.PAYMENT_GATEWAY = "payments.gateways.http.HttpGateway"
    settings.PAYGOV_TIMEOUT = TIMEOUT
    settings.PAYGOV_ENDPOINT = f"http://127.0.0.1:{silent.getsockname()[1]}"
    slow = None
    try:
        # The citizen starts paying: a redirect, no call to the gateway, so a silent gateway cannot hold it.
        started = time.monotonic()
        payment = payment_create(subject=f"dossier:{dossier.code}", payer=citizen)
        url = payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
        start_seconds = time.monotonic() - started
        assert url.startswith(settings.PAYGOV_ENDPOINT) and start_seconds < 2
        payment.refresh_from_db()
        Payment.objects.filter(pk=payment.pk).update(started_at=timezone.now() - timedelta(minutes=20))

        # Silent: each query gives up after the timeout; the payment stays pending, nothing doubled.
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            silent_counts = payments_reconcile()
        silent_seconds = time.monotonic() - started
        assert silent_counts == {"queried": 1, "settled": 0, "unreachable": 1, "expired": 0}
        assert silent_seconds < TIMEOUT + 3

        # Slow (answers after the timeout): the same.
        Gateway.delay, Gateway.seen = SLOW_SECONDS, []
        Gateway.answers = {
            payment.reference: {
                "found": "true",
                "result_code": "00",
                "amount": payment.amount_vnd,
                "transaction_no": "BANK0001",
                "bank_code": "VCB",
            }
        }
        slow = serve(Gateway)
        settings.PAYGOV_ENDPOINT = f"http://127.0.0.1:{slow.server_address[1]}"
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            slow_counts = payments_reconcile()
        slow_seconds = time.monotonic() - started
        assert slow_counts["unreachable"] == 1 and slow_seconds < SLOW_SECONDS
        payment.refresh_from_db()
        assert payment.status == "pending" and not payment.receipt_number

        # The gateway answers again: the next run settles the payment, once; further runs and a late callback
        # change nothing.
        Gateway.delay = 0.0
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            settled = payments_reconcile()
        settle_seconds = time.monotonic() - started
        with django_capture_on_commit_callbacks(execute=True):
            again = payments_reconcile()
        assert settled["settled"] == 1 and again["settled"] == 0
        settings.PAYMENT_GATEWAY = "payments.gateways.simulator.SimulatorGateway"  # verifies the callback's signature
        late = Client().post("/payments/paygov/callback/", gateway_notice(payment))
        assert late.json()["code"] == "02"
    finally:
        silent.close()
        if slow:
            slow.shutdown()
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.receipt_number
    assert PaymentEvent.objects.filter(payment=payment, to_status="succeeded").count() == 1
    assert Payment.objects.filter(subject=f"dossier:{dossier.code}").count() == 1
    dossier.refresh_from_db()
    assert dossier.status == "processing"
    report(
        "gateway-silent",
        timeout_seconds=TIMEOUT,
        payment_start_seconds=f"{start_seconds:.2f}",
        silent_reconcile_seconds=f"{silent_seconds:.2f}",
        slow_reconcile_seconds=f"{slow_seconds:.2f}",
        settled_when_back_seconds=f"{settle_seconds:.2f}",
        payments=1,
        succeeded_events=1,
    )

"""Drill: the broker (a throwaway Redis of our own) dies during filing, reporting and a payment callback.

The citizen's request must succeed quickly (publishing is bounded, never
hangs) and be saved exactly once; the follow-up work (routing, notices) is not
lost: when the broker is back the beat sweeps queue it again, and the dossier
and the report end routed exactly once, the payment recorded once (a replayed
callback changes nothing).

The web side publishes over the throwaway broker (`web_side_dispatches_to`);
after the outage the sweeps run in-process with eager tasks, as a worker would
run them (tests/integration/test_routing_worker.py drives the same sweep with
real worker processes).
"""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests.conftest import require
from tests.drills.conftest import report
from tests.integration.conftest import web_side_dispatches_to
from tests.payments.conftest import gateway_notice
from tests.procedures.conftest import make_procedure, submitted_dossier

pytestmark = [pytest.mark.drill, pytest.mark.django_db]

CALLBACK = "/payments/paygov/callback/"
# Celery's bounded publish retries against a dead broker, plus the request itself.
REQUEST_MAX_SECONDS = 8


@pytest.fixture
def people(demo_users, population):
    from identity.models import User

    return {user.username: user for user in User.objects.all()}


def test_broker_down_during_filing_reporting_and_payment_loses_nothing_and_doubles_nothing(
    people, throwaway_redis, settings, django_capture_on_commit_callbacks, caplog
):
    require("postgres")
    from feedback.models import Category, Report, ReportEvent
    from feedback.services import categories_load, report_create
    from govportal.cases.tasks import sweep_unrouted_cases
    from govportal.tiers.models import Tier, Unit
    from payments.models import Payment
    from payments.services import payment_create, payment_start
    from procedures import services
    from procedures.models import DossierEvent, FeeLine
    from procedures.routing_tasks import sweep_unrouted_dossiers
    from procedures.tasks import sweep_unnotified_events

    citizen, officer = people["079085001234"], people["officer.benthanh"]
    categories_load()
    procedure = make_procedure()
    fee_procedure = make_procedure(code="1.000999")
    FeeLine.objects.create(procedure=fee_procedure, kind="fee", name_vi="Lệ phí", amount_vnd=1_000_000)
    waiting = submitted_dossier(fee_procedure, citizen)
    for action in ("receive", "start_processing", "require_payment"):
        waiting = services.dossier_transition(dossier=waiting, action=action, actor=officer)
    payment = payment_create(subject=f"dossier:{waiting.code}", payer=citizen)
    payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
    payment = Payment.objects.get(pk=payment.pk)
    category = Category.objects.filter(tier=Tier.COMMUNE).order_by("code").first()

    timings = {}
    with web_side_dispatches_to(throwaway_redis.url, settings):
        throwaway_redis.stop()
        outage = time.monotonic()

        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            dossier = submitted_dossier(procedure, citizen, route=False)
        timings["submit"] = time.monotonic() - started

        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            filed = report_create(
                category=category,
                text="Đèn đường hỏng.",
                unit=Unit.objects.get(code="26743"),
                address="12 Lê Lợi",
                reporter=citizen,
            )
        timings["report"] = time.monotonic() - started

        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            paid = Client().post(CALLBACK, gateway_notice(payment))
        timings["callback"] = time.monotonic() - started
        with django_capture_on_commit_callbacks(execute=True):
            replay = Client().post(CALLBACK, gateway_notice(payment))

        # Saved, once, and the user was answered quickly; the follow-up work is still to do.
        assert paid.status_code == 200 and paid.json()["code"] == "00"
        assert replay.status_code == 200 and replay.json()["code"] == "02"
        for what, seconds in timings.items():
            assert seconds < REQUEST_MAX_SECONDS, (what, seconds)
        dossier.refresh_from_db()
        assert dossier.code and dossier.status == "submitted" and dossier.routed_at is None
        filed = Report.objects.get(pk=filed.pk)
        assert filed.code and filed.routed_at is None
        payment.refresh_from_db()
        assert payment.status == "succeeded" and payment.receipt_number
        waiting.refresh_from_db()
        assert waiting.status == "processing"
        assert "the routing sweep" in caplog.text  # the lost dispatches were logged, not raised

        throwaway_redis.start()
        down_seconds = time.monotonic() - outage

    # The broker is back: beat's sweeps queue what was lost (tasks run eagerly here, as a worker runs them).
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    settings.NOTIFY_SWEEP_AFTER_SECONDS = 0
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        dossiers_swept = sweep_unrouted_dossiers()
        reports_swept = sweep_unrouted_cases("report")
        notices_swept = sweep_unnotified_events()
    recovered = time.monotonic() - started
    with django_capture_on_commit_callbacks(execute=True):
        again = (sweep_unrouted_dossiers(), sweep_unrouted_cases("report"), sweep_unnotified_events())

    assert dossiers_swept >= 1 and reports_swept >= 1 and notices_swept >= 1
    assert again == (0, 0, 0)
    dossier.refresh_from_db()
    assert dossier.routed_at is not None and DossierEvent.objects.filter(dossier=dossier, action="route").count() == 1
    filed = Report.objects.get(pk=filed.pk)
    assert filed.routed_at is not None and ReportEvent.objects.filter(report=filed, action="route").count() == 1
    assert Payment.objects.filter(subject=f"dossier:{waiting.code}", status="succeeded").count() == 1
    assert DossierEvent.objects.filter(dossier=waiting, action="payment_received").count() == 1
    report(
        "broker-down",
        submit_seconds=f"{timings['submit']:.2f}",
        report_seconds=f"{timings['report']:.2f}",
        callback_seconds=f"{timings['callback']:.2f}",
        broker_down_seconds=f"{down_seconds:.1f}",
        swept=f"dossiers {dossiers_swept}, reports {reports_swept}, notices {notices_swept}",
        sweep_seconds=f"{recovered:.2f}",
        second_sweep=again,
        routed_once="dossier 1, report 1",
        payments_recorded=1,
    )


def test_a_silent_broker_does_not_hold_the_request(settings):
    """A broker that accepts connections and never answers (hung, half-open network): publishing gives up in
    seconds (socket and publish-retry bounds in settings/celery.py); without them it waited over 300 s."""
    import socket

    from govportal.tasks import dispatch_or_log, ping

    require("redis")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(50)
        with web_side_dispatches_to(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", settings):
            started = time.monotonic()
            assert dispatch_or_log(ping, recovered_by="the drill") is False
            seconds = time.monotonic() - started
    assert seconds < REQUEST_MAX_SECONDS, seconds
    report("silent-broker", publish_gave_up_after_seconds=f"{seconds:.2f}", before_the_fix="over 300 s (hung)")

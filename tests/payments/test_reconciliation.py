"""Reconciliation with frozen time: pending payments asked about after 15 minutes, expired after 90, the gateway
down and back, and the daily report per unit (matches, mismatches, CSV for the head and the city only).

Real PostgreSQL; the gateway is the simulator, whose own records (SimTransaction) are what the bank knows.
"""

import csv
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone, translation

from govportal.tiers.models import Unit
from payments import tasks
from payments.gateways.base import QueryResult
from payments.gateways.simulator import DOWN_KEY
from payments.models import Payment, ReconciliationReport
from payments.paygov_sim.models import SimTransaction
from payments.reconciliation import compare, reconciliation_build, reconciliation_csv
from payments.services import callback_process, payment_create, payment_start
from tests.payments.conftest import gateway_notice
from tests.procedures.conftest import client_for

pytestmark = pytest.mark.django_db


# --- shared helpers (kept here, not in a conftest: other payments tests have their own) -----------------


def morning(days_ahead: int = 3):
    """09:00 local time a few days ahead (ahead of the fixtures' own timestamps, whatever today is)."""
    ahead = timezone.localtime() + timedelta(days=days_ahead)
    return ahead.replace(hour=9, minute=0, second=0, microsecond=0)


def started(dossier, citizen) -> Payment:
    payment = payment_create(subject=f"dossier:{dossier.code}", payer=citizen)
    payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
    return Payment.objects.get(pk=payment.pk)


def at_the_bank(payment, *, result_code="00", amount=None) -> SimTransaction:
    """What the simulated bank records once the payer chose an outcome (its callback may never arrive)."""
    record, _ = SimTransaction.objects.update_or_create(
        reference=payment.reference,
        defaults={
            "amount_vnd": payment.amount_vnd if amount is None else amount,
            "result_code": result_code,
            "bank_code": "VCB",
            "transaction_no": f"SIM{payment.pk:010d}",
            "return_url": "http://testserver/r/",
            "decided_at": timezone.now(),
        },
    )
    return record


@pytest.fixture
def run_beat(django_capture_on_commit_callbacks):
    """Run the beat task in-process, with what its commits trigger (the dossier moving on)."""

    def run(task):
        with django_capture_on_commit_callbacks(execute=True):
            return task()

    return run


@pytest.fixture
def benthanh(units):
    return Unit.objects.get(code="26743")


# --- the 5-minute beat: query after 15 minutes, expire after 90 ----------------------------------------


def test_beat_runs_reconciliation_every_5_minutes_and_the_daily_report_at_1_am():
    from celery.schedules import crontab
    from django.conf import settings

    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["payments.reconcile"] == timedelta(minutes=5)
    assert schedule["payments.daily_report"] == crontab(hour=1, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"


def test_a_payment_pending_over_15_minutes_is_settled_by_the_query_and_the_dossier_moves_on(
    waiting_dossier, citizen, run_beat
):
    with time_machine.travel(morning(), tick=False) as clock:
        payment = started(waiting_dossier, citizen)
        at_the_bank(payment)  # paid at the bank; its notification never reached the portal
        clock.shift(timedelta(minutes=10))
        assert run_beat(tasks.reconcile)["queried"] == 0
        payment.refresh_from_db()
        assert payment.status == "pending"

        clock.shift(timedelta(minutes=6))
        counts = run_beat(tasks.reconcile)
        assert counts == {"queried": 1, "settled": 1, "unreachable": 0, "expired": 0}
        payment.refresh_from_db()
        assert payment.status == "succeeded" and payment.receipt_number.startswith("BL-")
        assert payment.gateway_transaction_no == f"SIM{payment.pk:010d}"
        assert payment.events.filter(action="query", to_status="succeeded").count() == 1
        waiting_dossier.refresh_from_db()
        assert waiting_dossier.status == "processing"

        # A second run changes nothing.
        assert run_beat(tasks.reconcile)["settled"] == 0
        assert payment.events.filter(action="query").count() == 1


def test_the_gateway_not_answering_leaves_the_payment_pending_and_a_later_run_settles_it(
    waiting_dossier, citizen, run_beat, settings
):
    with time_machine.travel(morning(), tick=False) as clock:
        payment = started(waiting_dossier, citizen)
        at_the_bank(payment)
        clock.shift(timedelta(minutes=20))
        settings.PAYGOV_SIM_REACHABLE = False
        assert run_beat(tasks.reconcile) == {"queried": 1, "settled": 0, "unreachable": 1, "expired": 0}
        payment.refresh_from_db()
        assert payment.status == "pending"

        # The outage drill by cache key works the same way.
        settings.PAYGOV_SIM_REACHABLE = True
        cache.set(DOWN_KEY, "1", timeout=None)
        try:
            clock.shift(timedelta(minutes=5))
            assert run_beat(tasks.reconcile)["unreachable"] == 1
            payment.refresh_from_db()
            assert payment.status == "pending"
        finally:
            cache.delete(DOWN_KEY)

        clock.shift(timedelta(minutes=5))
        assert run_beat(tasks.reconcile)["settled"] == 1
        payment.refresh_from_db()
        assert payment.status == "succeeded"
        waiting_dossier.refresh_from_db()
        assert waiting_dossier.status == "processing"


def test_a_payment_left_open_expires_after_90_minutes_and_the_dossier_still_waits(waiting_dossier, citizen, run_beat):
    with time_machine.travel(morning(), tick=False) as clock:
        payment = started(waiting_dossier, citizen)  # the payer closed the bank's page: nothing at the bank
        clock.shift(timedelta(minutes=89))
        assert run_beat(tasks.reconcile) == {"queried": 1, "settled": 0, "unreachable": 0, "expired": 0}
        payment.refresh_from_db()
        assert payment.status == "pending"
        clock.shift(timedelta(minutes=2))
        assert run_beat(tasks.reconcile)["expired"] == 1
        payment.refresh_from_db()
        assert payment.status == "expired" and payment.finished_at == timezone.now()
        assert payment.events.filter(action="expire").count() == 1
        waiting_dossier.refresh_from_db()
        assert waiting_dossier.status == "payment_required"
        # A new attempt is possible.
        assert started(waiting_dossier, citizen).status == "pending"


# --- the daily report -----------------------------------------------------------------------------------


@pytest.fixture
def day_of_payments(waiting_dossier, citizen, django_capture_on_commit_callbacks):
    """One day at Bến Thành: a failed attempt, one abandoned in the portal but paid at the bank late, one paid."""
    start = morning()
    with time_machine.travel(start, tick=False) as clock:
        failed = started(waiting_dossier, citizen)
        at_the_bank(failed, result_code="51")
        callback_process(gateway_notice(failed, result_code="51"))

        clock.shift(timedelta(minutes=5))
        late = started(waiting_dossier, citizen)
        clock.shift(timedelta(minutes=91))
        tasks.reconcile()
        late.refresh_from_db()
        assert late.status == "expired"
        at_the_bank(late)  # the payer finished at the bank after the portal gave up

        clock.shift(timedelta(minutes=5))
        paid = started(waiting_dossier, citizen)
        at_the_bank(paid)
        with django_capture_on_commit_callbacks(execute=True):
            callback_process(gateway_notice(paid))
    for payment in (failed, late, paid):
        payment.refresh_from_db()
    return {"day": start.date(), "failed": failed, "late": late, "paid": paid}


def test_the_daily_report_matches_payments_and_lists_what_does_not_match(day_of_payments, benthanh, run_beat):
    day = day_of_payments["day"]
    next_night = timezone.make_aware(timezone.datetime.combine(day + timedelta(days=1), timezone.datetime.min.time()))
    with time_machine.travel(next_night + timedelta(hours=1), tick=False):
        assert run_beat(tasks.daily_report) == 1
    report = ReconciliationReport.objects.get(unit=benthanh, day=day)
    assert (report.matched, report.mismatched, report.unreachable) == (2, 1, False)
    rows = {row["reference"]: row for row in report.rows}
    assert rows[day_of_payments["paid"].reference]["outcome"] == "match"
    assert rows[day_of_payments["failed"].reference]["outcome"] == "match"
    late = rows[day_of_payments["late"].reference]
    assert (late["outcome"], late["reason"], late["portal_status"], late["gateway_result"]) == (
        "mismatch",
        "paid_at_bank_not_in_portal",
        "expired",
        "00",
    )
    # Built again (the same night, a second run): the same single report, not a second one.
    with time_machine.travel(next_night + timedelta(hours=2), tick=False):
        run_beat(tasks.daily_report)
    assert ReconciliationReport.objects.filter(unit=benthanh, day=day).count() == 1

    with translation.override("en"):
        text = reconciliation_csv(report)
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "reference,created,portal status,portal amount (VND),gateway result,gateway amount (VND),"
        "transaction no,outcome / reason"
    )
    parsed = {row[0]: row for row in csv.reader(lines[1:])}
    assert len(parsed) == 3
    late_row = parsed[day_of_payments["late"].reference]
    assert late_row[2:] == [
        "Expired",
        "1250000",
        "00",
        "1250000",
        f"SIM{day_of_payments['late'].pk:010d}",
        "mismatch: paid at the bank, not in the portal",
    ]
    assert late_row[1] == f"{day:%d/%m/%Y} 09:05:00"
    assert parsed[day_of_payments["paid"].reference][-1] == "match"


def test_a_gateway_down_marks_the_report_unreachable(day_of_payments, benthanh, settings):
    settings.PAYGOV_SIM_REACHABLE = False
    report = reconciliation_build(benthanh, day_of_payments["day"])
    assert report.unreachable and (report.matched, report.mismatched) == (0, 0)
    assert {row["outcome"] for row in report.rows} == {"unreachable"} and len(report.rows) == 3
    settings.PAYGOV_SIM_REACHABLE = True
    report = reconciliation_build(benthanh, day_of_payments["day"])
    assert not report.unreachable and report.mismatched == 1


def test_comparing_one_payment_with_the_gateways_record():
    paid = Payment(status="succeeded", amount_vnd=1_250_000)
    open_ = Payment(status="pending", amount_vnd=1_250_000)
    assert compare(paid, QueryResult(found=True, result_code="00", amount_vnd=1_250_000)) == ("match", "")
    assert compare(paid, QueryResult(found=True, result_code="00", amount_vnd=1_249_999)) == (
        "mismatch",
        "amount_differs",
    )
    assert compare(paid, QueryResult(found=False)) == ("mismatch", "not_found_at_gateway")
    assert compare(paid, QueryResult(found=True, result_code="51", amount_vnd=1_250_000)) == (
        "mismatch",
        "not_paid_at_bank",
    )
    assert compare(open_, QueryResult(found=True, result_code="00", amount_vnd=1_250_000)) == (
        "mismatch",
        "paid_at_bank_not_in_portal",
    )
    assert compare(open_, QueryResult(found=False)) == ("match", "")
    assert compare(open_, QueryResult(found=True, result_code="24")) == ("match", "")


# --- the pages: the head and the city read and download; officers and citizens do not -------------------


def csv_url(report) -> str:
    return f"/payments/reports/{report.unit.code}/{report.day:%Y-%m-%d}.csv"


def test_the_csv_downloads_for_the_head_and_the_city_admin_only(day_of_payments, benthanh, people, citizen):
    report = reconciliation_build(benthanh, day_of_payments["day"])
    for username in ("head.benthanh", "admin.city"):
        response = client_for(people[username]).get(csv_url(report))
        assert response.status_code == 200, username
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        body = response.content.decode("utf-8")
        assert body.startswith("\ufeff") and day_of_payments["late"].reference in body
    for user in (people["officer.benthanh"], people["head.saigon"], citizen):
        assert client_for(user).get(csv_url(report)).status_code == 403
    anonymous = client_for(citizen)
    anonymous.logout()
    assert anonymous.get(csv_url(report)).status_code == 302
    # No report for that day: not found.
    missing = client_for(people["head.benthanh"]).get(f"/payments/reports/26743/{report.day - timedelta(days=1)}.csv")
    assert missing.status_code == 404


def test_the_reports_page_lists_what_the_user_may_see_and_builds_a_day_now(day_of_payments, benthanh, people, citizen):
    day = day_of_payments["day"]
    reconciliation_build(Unit.objects.get(code="26740"), day)  # Sài Gòn's (empty) report
    with time_machine.travel(
        timezone.make_aware(timezone.datetime.combine(day + timedelta(days=1), timezone.datetime.min.time()))
        + timedelta(hours=8)
    ):
        _reports_page(day, day_of_payments, benthanh, people, citizen)


def _reports_page(day, day_of_payments, benthanh, people, citizen):
    head = client_for(people["head.benthanh"])
    page = head.get("/payments/reports/")
    assert page.status_code == 200
    assert f'id="report-26743-{day:%Y-%m-%d}"' not in page.content.decode()  # not built yet
    assert f'id="report-26740-{day:%Y-%m-%d}"' not in page.content.decode()  # another unit's

    built = head.post("/payments/reports/build/", {"unit": "26743", "day": day.strftime("%d/%m/%Y")}, follow=True)
    assert built.status_code == 200
    html = built.content.decode()
    assert (
        f'id="report-26743-{day:%Y-%m-%d}"' in html
        and csv_url(ReconciliationReport.objects.get(unit=benthanh, day=day)) in html
    )
    detail = head.get(f"/payments/reports/26743/{day:%Y-%m-%d}/")
    assert detail.status_code == 200
    assert f'id="row-{day_of_payments["late"].reference}" data-outcome="mismatch"' in detail.content.decode()

    # A head builds only their own unit's reports; a day in the future is refused with a form error.
    other = head.post("/payments/reports/build/", {"unit": "26740", "day": day.strftime("%d/%m/%Y")})
    assert other.status_code == 400 and 'aria-invalid="true"' in other.content.decode()
    future = head.post("/payments/reports/build/", {"unit": "26743", "day": "31/12/2999"})
    assert future.status_code == 400 and "error-summary" in future.content.decode()

    city = client_for(people["admin.city"]).get("/payments/reports/").content.decode()
    assert f'id="report-26743-{day:%Y-%m-%d}"' in city and f'id="report-26740-{day:%Y-%m-%d}"' in city
    for user in (people["officer.benthanh"], citizen):
        assert client_for(user).get("/payments/reports/").status_code == 403
        response = client_for(user).post("/payments/reports/build/", {"unit": "26743", "day": day.isoformat()})
        assert response.status_code == 403


def test_gateway_text_in_the_csv_is_never_read_as_a_formula(benthanh):
    report = ReconciliationReport(
        unit=benthanh,
        day=timezone.localdate(),
        generated_at=timezone.now(),
        rows=[
            {
                "reference": "PG1",
                "created": "2026-12-04T09:00:00+07:00",
                "portal_status": "succeeded",
                "portal_amount": 1000,
                "gateway_result": "00",
                "gateway_amount": 1000,
                "transaction_no": '=HYPERLINK("http://x")',
                "outcome": "match",
                "reason": "",
            }
        ],
    )
    with translation.override("en"):
        row = list(csv.reader(reconciliation_csv(report).lstrip("\ufeff").splitlines()))[1]
    assert row == ["PG1", "04/12/2026 09:00:00", "Paid", "1000", "00", "1000", '\'=HYPERLINK("http://x")', "match"]

"""Each indicator on small hand-built cases with known answers, edge rules included (docs/0009).

The procedure has a limit of 3 working days: received Monday 2 March 2026
09:00, due Thursday 5 March 09:00. Every case goes through the services the
pages and the API call; the figures are read back from the aggregates after a
refresh, as the dashboards read them.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from feedback.models import Category, Report
from govportal.dashboard import scoring, selectors
from govportal.dashboard.aggregates import stats_refresh
from govportal.tiers.models import Unit
from payments.models import Payment
from payments.workflow import PaymentStatus
from procedures import payment_kind, services
from procedures.models import Dossier, FeeLine
from tests.procedures.conftest import pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = selectors.Period(date(2026, 3, 1), date(2026, 3, 31))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


NOW = at(2026, 3, 20, 12, 0)


@pytest.fixture
def officer(people):
    return people["officer.benthanh"]


@pytest.fixture
def unit():
    return Unit.objects.get(code="26743")


def act(dossier, action, actor, instant, **inputs):
    return services.dossier_transition(
        dossier=Dossier.objects.get(pk=dossier.pk), action=action, actor=actor, now=instant, **inputs
    )


def filed(procedure, citizen, *, day=2):
    dossier = submitted_dossier(procedure, citizen)
    Dossier.objects.filter(pk=dossier.pk).update(submitted_at=at(2026, 3, day, 8, 0))
    return Dossier.objects.get(pk=dossier.pk)


def received(procedure, citizen, officer):
    dossier = act(filed(procedure, citizen), "receive", officer, at(2026, 3, 2, 9, 0))
    assert dossier.due_at == at(2026, 3, 5, 9, 0)
    return act(dossier, "start_processing", officer, at(2026, 3, 2, 10, 0))


def decided(dossier, officer, instant):
    return act(dossier, "decide", officer, instant, result_upload=pdf_upload("ket-qua.pdf"))


def supplement(dossier, citizen, officer, asked, answered):
    dossier = act(dossier, "request_supplement", officer, asked, note="Thiếu bản sao giấy khai sinh")
    services.document_attach(dossier=dossier, actor=citizen, upload=pdf_upload("bo-sung.pdf"), role="supplement")
    return act(dossier, "supplement", citizen, answered)


def figures(unit, now=NOW) -> dict:
    stats_refresh(now=now)
    return selectors.counts_by_unit(MARCH)[unit.pk]


def test_on_time_rate_follows_every_edge_rule(procedure, citizen, officer, unit):
    # On time: decided Wednesday.
    decided(received(procedure, citizen, officer), officer, at(2026, 3, 4, 15, 0))
    # Late: decided Friday, after the legal due date.
    decided(received(procedure, citizen, officer), officer, at(2026, 3, 6, 9, 0))
    # Late although the unit apologised and kept its promise: an apology never excuses lateness.
    apologised = act(
        received(procedure, citizen, officer),
        "apologise",
        officer,
        at(2026, 3, 3, 9, 0),
        note="Cần xác minh thêm",
        new_due_at=at(2026, 3, 9, 9, 0),
    )
    decided(apologised, officer, at(2026, 3, 6, 10, 0))
    # On time: the supplement's two days (Tuesday 09:00 to Thursday 09:00) do not count; the due date moves to
    # Monday 9 March 09:00 and the decision on Friday is in time.
    one = supplement(
        received(procedure, citizen, officer), citizen, officer, at(2026, 3, 3, 9, 0), at(2026, 3, 5, 9, 0)
    )
    assert one.due_at == at(2026, 3, 9, 9, 0)
    decided(one, officer, at(2026, 3, 6, 9, 0))
    # Late: a second supplement request counts against the unit even when decided in time.
    twice = supplement(
        received(procedure, citizen, officer), citizen, officer, at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0)
    )
    twice = supplement(twice, citizen, officer, at(2026, 3, 2, 15, 0), at(2026, 3, 2, 16, 0))
    decided(twice, officer, at(2026, 3, 3, 9, 0))
    # Late: still open after its legal due date.
    received(procedure, citizen, officer)
    # Not judged yet: open and not due (received on the 19th, due on the 24th).
    fresh = act(filed(procedure, citizen, day=19), "receive", officer, at(2026, 3, 19, 9, 0))
    assert fresh.due_at > NOW
    # Not judged: withdrawn by the citizen.
    act(received(procedure, citizen, officer), "withdraw", citizen, at(2026, 3, 3, 9, 0))
    # Not judged: never received.
    filed(procedure, citizen)

    counts = figures(unit)["dossier"]
    assert counts["total"] == 9
    assert counts["evaluated"] == 6
    assert counts["on_time"] == 2
    assert counts["late_open"] == 1
    assert counts["second_supplement"] == 1
    line = scoring.score({"dossier": counts}).line("on_time")
    assert line.ratio == pytest.approx(2 / 6)
    assert line.score == pytest.approx(round(min(20, (2 / 6) / 0.95 * 20), 2))
    assert line.meets_target is False


def test_an_open_dossier_turns_late_when_its_due_date_passes_without_any_event(procedure, citizen, officer, unit):
    received(procedure, citizen, officer)
    before = figures(unit, now=at(2026, 3, 5, 8, 59))["dossier"]
    assert (before["evaluated"], before["late_open"]) == (0, 0)
    after = figures(unit, now=at(2026, 3, 5, 9, 1))["dossier"]
    assert (after["evaluated"], after["late_open"], after["on_time"]) == (1, 1, 0)


def test_a_paused_dossier_is_late_only_if_it_was_late_when_it_paused(procedure, citizen, officer, unit):
    act(received(procedure, citizen, officer), "request_supplement", officer, at(2026, 3, 3, 9, 0), note="Thiếu")
    paused = figures(unit)["dossier"]
    assert (paused["evaluated"], paused["late_open"]) == (0, 0)


def test_online_filing_counts_the_channel(procedure, citizen, officer, unit):
    filed(procedure, citizen)
    counter = filed(procedure, citizen)
    Dossier.objects.filter(pk=counter.pk).update(channel="counter")
    act(counter, "receive", officer, at(2026, 3, 2, 9, 0))  # any event marks the day for a recount
    counts = figures(unit)["dossier"]
    assert (counts["total"], counts["online"]) == (2, 1)
    assert scoring.score({"dossier": counts}).line("online_filing").ratio == pytest.approx(0.5)


def _paid_online(dossier, citizen, unit):
    payment = Payment.objects.create(
        reference=f"PAY{dossier.pk:08d}",
        subject=payment_kind.subject_of(dossier),
        description=dossier.code,
        payer=citizen,
        unit=unit,
        amount_vnd=50_000,
        status=PaymentStatus.SUCCEEDED,
        gateway="paygov-sim",
        expires_at=timezone.now(),
        paid_at=timezone.now(),
    )
    payment_kind.on_succeeded(payment)


def test_online_payment_counts_fee_bearing_dossiers_only(procedure, citizen, officer, unit):
    FeeLine.objects.filter(procedure=procedure).update(amount_vnd=50_000)
    online = act(received(procedure, citizen, officer), "require_payment", officer, at(2026, 3, 2, 11, 0))
    _paid_online(online, citizen, unit)
    assert Dossier.objects.get(pk=online.pk).status == "processing"
    at_counter = act(received(procedure, citizen, officer), "require_payment", officer, at(2026, 3, 2, 11, 0))
    act(at_counter, "payment_received", officer, at(2026, 3, 2, 14, 0))
    # Not asked to pay (or not paid yet): not in the indicator at all.
    received(procedure, citizen, officer)
    act(received(procedure, citizen, officer), "require_payment", officer, at(2026, 3, 2, 11, 0))
    counts = figures(unit)["dossier"]
    assert (counts["fee_settled"], counts["paid_online"]) == (2, 1)
    assert scoring.score({"dossier": counts}).line("online_payment").ratio == pytest.approx(0.5)


def test_digitisation_needs_electronic_files_and_an_electronic_result(procedure, citizen, officer, unit):
    decided(received(procedure, citizen, officer), officer, at(2026, 3, 4, 9, 0))
    no_files = received(procedure, citizen, officer)
    no_files.documents.filter(role="application").delete()
    decided(no_files, officer, at(2026, 3, 4, 9, 0))
    # A refusal issues no result paper: not in the indicator.
    act(received(procedure, citizen, officer), "stop", officer, at(2026, 3, 4, 9, 0), note="Không đủ điều kiện")
    counts = figures(unit)["dossier"]
    assert (counts["decided"], counts["digitised"]) == (2, 1)


def test_data_reuse_counts_fields_and_documents_taken_from_the_registry(procedure, citizen, officer, unit):
    # The procedure offers two items from the registry: the full name and the ID paper.
    reused = filed(procedure, citizen)
    assert reused.reused_data["fields"] == ["full_name"] and reused.reused_data["documents"] == ["giay-to-tuy-than"]
    typed = filed(procedure, citizen)
    Dossier.objects.filter(pk=typed.pk).update(reused_data={"fields": [], "documents": []})
    act(typed, "receive", officer, at(2026, 3, 2, 9, 0))
    counts = figures(unit)["dossier"]
    assert (counts["reuse_eligible"], counts["reused"]) == (4, 2)
    assert scoring.score({"dossier": counts}).line("data_reuse").ratio == pytest.approx(0.5)


def test_satisfaction_is_the_share_of_ratings_of_four_or_five(procedure, citizen, officer, unit):
    for rating in (5, 4, 2):
        dossier = decided(received(procedure, citizen, officer), officer, at(2026, 3, 4, 9, 0))
        Dossier.objects.filter(pk=dossier.pk).update(satisfaction=rating)
        act(dossier, "return_result", officer, at(2026, 3, 4, 10, 0))
    counts = figures(unit)["dossier"]
    assert (counts["rated"], counts["satisfied"], counts["rating_sum"]) == (3, 2, 11)


# --- 1022 reports --------------------------------------------------------------------------------


@pytest.fixture
def category(units):
    from feedback.services import categories_load

    categories_load()
    return Category.objects.filter(tier="commune", is_active=True).order_by("code").first()


def _report(category, citizen, officer, unit):
    from feedback import services as report_services

    report = report_services.report_create(
        category=category,
        text="Đèn đường hỏng trước nhà số 12",
        unit=unit,
        address="12 Lê Lợi",
        reporter=citizen,
        now=at(2026, 3, 2, 8, 0),
    )
    from feedback.case_kind import report_kind
    from govportal.cases import routing

    routing.route(report_kind(), case_id=report.pk, now=at(2026, 3, 2, 8, 5))
    return Report.objects.get(pk=report.pk)


def report_act(report, action, actor, instant, **inputs):
    from feedback import services as report_services

    return report_services.report_transition(
        report=Report.objects.get(pk=report.pk), action=action, actor=actor, now=instant, **inputs
    )


def test_report_indicators(category, citizen, people, unit):
    officer = people["officer.benthanh"]
    answered = _report(category, citizen, officer, unit)
    due = answered.due_at
    report_act(answered, "answer", officer, due - (due - answered.submitted_at) / 2, note="Đã thay bóng đèn")
    report_act(answered, "rate", citizen, due, rating=5)
    reopened = _report(category, citizen, officer, unit)
    report_act(reopened, "answer", officer, reopened.submitted_at, note="Đã sửa")
    report_act(reopened, "reopen", citizen, reopened.submitted_at, note="Vẫn chưa sáng")
    # Reopened and still open after the legal date: late, and the reopening counts.
    _report(category, citizen, officer, unit)  # open, past due at NOW
    duplicate = _report(category, citizen, officer, unit)
    report_act(
        duplicate, "reject", officer, duplicate.submitted_at, note="Trùng", reason="duplicate", duplicate_of=answered
    )
    stats_refresh(now=due + (due - answered.submitted_at) * 10)
    counts = selectors.counts_by_unit(MARCH)[unit.pk]["report"]
    assert counts["total"] == 3  # the duplicate is merged into the original: not counted
    assert counts["answered"] == 2 and counts["reopened"] == 1
    assert counts["evaluated"] == 3 and counts["on_time"] == 1 and counts["late_open"] == 2
    assert (counts["rated"], counts["satisfied"]) == (1, 1)
    score = scoring.score({"report": counts})
    assert score.line("report_not_reopened").ratio == pytest.approx(0.5)
    assert score.line("online_filing").ratio is None  # no dossier: not applicable


# --- the score ------------------------------------------------------------------------------------


def test_score_caps_each_indicator_at_its_points_and_green_needs_every_target():
    perfect = {
        "dossier": {
            "total": 10,
            "online": 10,
            "evaluated": 10,
            "on_time": 10,
            "fee_settled": 4,
            "paid_online": 4,
            "decided": 5,
            "digitised": 5,
            "reuse_eligible": 10,
            "reused": 10,
            "rated": 5,
            "satisfied": 5,
        },
        "report": {"evaluated": 4, "on_time": 4, "answered": 4, "reopened": 0, "rated": 2, "satisfied": 2},
    }
    score = scoring.score(perfect)
    assert score.total == 100 and score.green
    assert all(line.score == line.indicator.max for line in score.lines)
    # Just under one target: no longer green, and that line scores ratio / target × max.
    short = {**perfect, "dossier": {**perfect["dossier"], "online": 7}}
    score = scoring.score(short)
    assert not score.green
    assert score.line("online_filing").score == pytest.approx(round(0.7 / 0.8 * 12, 2))
    assert score.total == pytest.approx(round((100 - 12 + 0.7 / 0.8 * 12), 1))
    # Nothing applicable: no total, not green.
    assert scoring.score({}).total is None and not scoring.score({}).green


def test_total_is_out_of_100_over_the_applicable_indicators_only():
    only_dossiers = {"dossier": {"total": 4, "online": 4}}
    score = scoring.score(only_dossiers)
    assert score.total == 100 and score.green
    assert score.line("on_time").score is None


def test_indicator_data_points_add_up_to_100_and_every_item_says_its_source():
    items = scoring.indicators()
    assert sum(item.max for item in items) == 100
    assert all(item.source and item.assumption for item in items)
    assert {item.key for item in items} >= {
        "on_time",
        "online_filing",
        "online_payment",
        "digitisation",
        "data_reuse",
        "satisfaction",
        "report_on_time",
        "report_not_reopened",
        "report_satisfaction",
    }

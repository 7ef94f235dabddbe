"""1022 reports on the shared case machinery: recording, routing by category and place, the transition table.

Real database, tasks eager (the test settings): `report_create` queues routing
on commit through the generic `cases.route_case` task, the generic sweep
recovers a lost dispatch, and every step appends one event.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from kombu.exceptions import OperationalError as BrokerError

from feedback import services
from feedback.case_kind import report_kind
from feedback.models import Category, Report, ReportEvent
from feedback.services import ReportError, report_create, report_transition
from feedback.tasks import close_settled_reports
from feedback.workflow import ReportStatus as S
from govportal.cases import kinds
from govportal.cases.tasks import route_case, run_case_clocks, sweep_unrouted_cases
from govportal.tiers.calendar import TZ
from govportal.tiers.models import Tier, Unit
from identity.models import Notification
from tests.feedback.intake_helpers import confirmed_proof

pytestmark = pytest.mark.django_db

TUESDAY_MORNING = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
PLACE = "26743"  # Phường Bến Thành
OTHER_WARD = "26740"


def commune_category() -> Category:
    return Category.objects.filter(tier=Tier.COMMUNE).order_by("code").first()


def file_report(category=None, *, reporter=None, capture=None, unit_code=PLACE, **fields) -> Report:
    values = {
        "category": category or commune_category(),
        "text": "Đèn đường trước nhà số 12 bị hỏng từ ba ngày nay.",
        "unit": Unit.objects.get(code=unit_code),
        "address": "12 Lê Lợi",
        "reporter": reporter,
    }
    if reporter is None:
        values.update(contact_name="Trần Thị Liên Hệ", contact_phone="0901234567")
    values.update(fields)
    if reporter is None and values.get("channel", "web") in ("web", "app") and "contact_proof" not in values:
        values["contact_proof"] = confirmed_proof(values["contact_phone"] or "0901234567")
    if capture is None:
        return report_create(**values)
    with capture(execute=True):
        report = report_create(**values)
    return Report.objects.get(pk=report.pk)


def actions(report) -> list[str]:
    return list(ReportEvent.objects.filter(report=report).order_by("at", "id").values_list("action", flat=True))


def routed_report(capture, reporter=None, **fields) -> Report:
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        return file_report(reporter=reporter, capture=capture, **fields)


# --- the kind and recording ---------------------------------------------------------------------


def test_reports_are_a_registered_case_kind():
    kind = kinds.get("report")
    assert kind.model is Report and kind.event_model is ReportEvent
    assert kind.routed_status == S.ROUTED


def test_a_report_gets_a_readable_code_and_its_clock_starts_when_recorded(categories):
    category = commune_category()
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        first = file_report(category)
        second = file_report(category)
    assert first.code == "PA-26743-260310-0001" and second.code == "PA-26743-260310-0002"
    assert first.status == S.NEW and first.submitted_at == first.received_at == TUESDAY_MORNING
    # The category's limit in working days (8-hour days) from the recording.
    assert first.due_at > TUESDAY_MORNING
    assert report_kind().limit_hours(first, None) == category.time_limit_working_days * 8
    assert actions(first) == ["create"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"text": "  "}, "text"),
        ({"address": ""}, "address"),
        ({"contact_name": "", "contact_phone": ""}, "contact_name"),
        ({"contact_phone": "", "contact_email": ""}, "contact_phone"),
        ({"contact_email": "not-an-email", "contact_phone": ""}, "contact_email"),
        ({"latitude": "10.77"}, "latitude"),
        ({"latitude": "95", "longitude": "106.7"}, "latitude"),
        ({"channel": "hotline"}, "recorded_by"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_recording_refuses_bad_input_with_a_code_and_the_field(categories, fields, field):
    with pytest.raises(ReportError) as refused:
        file_report(**fields)
    assert refused.value.code == "invalid" and field in refused.value.extra["errors"]
    assert not Report.objects.exists()


def test_the_place_must_be_a_commune_level_unit(categories):
    with pytest.raises(ReportError) as refused:
        file_report(unit_code="79")  # the city itself
    assert "unit" in refused.value.extra["errors"]


def test_an_operator_records_a_hotline_report_with_coordinates(categories, staff):
    operator = staff["officer.ward"]
    report = file_report(channel="hotline", recorded_by=operator, latitude="10.772100", longitude="106.698300")
    assert report.channel == "hotline" and report.recorded_by == operator
    assert str(report.latitude) == "10.772100"
    assert ReportEvent.objects.get(report=report, action="create").actor == operator


# --- routing -------------------------------------------------------------------------------------


def test_each_category_is_routed_to_its_tier_and_unit(categories, django_capture_on_commit_callbacks):
    place = Unit.objects.get(code=PLACE)
    loaded = list(Category.objects.select_related("handling_department"))
    assert len(loaded) == 16
    for category in loaded:
        report = file_report(category, capture=django_capture_on_commit_callbacks)
        assert report.status == S.ROUTED and report.routed_at is not None, category.code
        if category.tier == Tier.COMMUNE:
            assert report.handling_unit == place, category.code
        else:
            assert report.handling_unit == category.handling_department, category.code
            assert report.handling_unit.tier == Tier.CITY
        route = ReportEvent.objects.get(report=report, action="route")
        assert (route.from_status, route.to_status) == (S.NEW, S.ROUTED)
        assert route.data["handling_unit"] == report.handling_unit_id and route.data["rule"]


def test_routing_twice_changes_nothing(categories, django_capture_on_commit_callbacks):
    report = file_report(capture=django_capture_on_commit_callbacks)
    before = Report.objects.values().get(pk=report.pk)
    assert route_case.delay("report", report.pk).get() is False
    assert sweep_unrouted_cases.delay("report").get() == 0
    with pytest.raises(ReportError) as refused:
        report_transition(report=report, action="route", actor=None)
    assert refused.value.code == "not_allowed"
    assert Report.objects.values().get(pk=report.pk) == before
    assert actions(report) == ["create", "route"]


def test_a_report_recorded_while_the_broker_is_down_is_routed_by_the_sweep(
    categories, django_capture_on_commit_callbacks, monkeypatch, caplog, settings
):
    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        monkeypatch.setattr(route_case, "delay", broker_down)
        report = file_report(capture=django_capture_on_commit_callbacks)
        monkeypatch.undo()  # the broker is back
    assert report.code and report.status == S.NEW and report.routed_at is None
    assert "the routing sweep" in caplog.text

    older = timedelta(seconds=settings.ROUTING_SWEEP_AFTER_SECONDS)
    with time_machine.travel(TUESDAY_MORNING + older / 2, tick=False):
        assert sweep_unrouted_cases.delay("report").get() == 0  # too early: the dispatch may be on its way
    with time_machine.travel(TUESDAY_MORNING + older + timedelta(seconds=1), tick=False):
        assert sweep_unrouted_cases.delay("report").get() == 1
        assert sweep_unrouted_cases.delay("report").get() == 0
    routed = Report.objects.get(pk=report.pk)
    assert routed.status == S.ROUTED and routed.handling_unit.code == PLACE
    assert actions(report) == ["create", "route"]


def test_the_beat_schedule_sweeps_and_clocks_reports(settings):
    entries = {(e["task"], tuple(e.get("args", ()))) for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert ("cases.sweep_unrouted", ("report",)) in entries
    assert ("cases.run_clocks", ("report",)) in entries


# --- the transition table ------------------------------------------------------------------------


def test_the_whole_handling_appends_one_event_per_step_and_tells_the_reporter(
    categories, staff, reporter, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    officer = staff["officer.ward"]
    report = routed_report(capture, reporter=reporter)
    with time_machine.travel(TUESDAY_MORNING + timedelta(hours=1), tick=False), capture(execute=True):
        report = report_transition(report=report, action="start", actor=officer)
        assert report.status == S.IN_PROGRESS and report.assigned_to == officer
        report = report_transition(report=report, action="answer", actor=officer, note="Đã thay bóng đèn.")
        assert report.status == S.ANSWERED and report.answer == "Đã thay bóng đèn."
        assert report.answered_at == report.decided_at == TUESDAY_MORNING + timedelta(hours=1)
        assert not report.is_overdue
        report = report_transition(report=report, action="rate", actor=reporter, rating=5)
        report = report_transition(report=report, action="close", actor=None)
    assert report.status == S.CLOSED and report.satisfaction == 5 and report.closed_at is not None
    assert actions(report) == ["create", "route", "start", "answer", "rate", "close"]
    answer = ReportEvent.objects.get(report=report, action="answer")
    assert answer.actor == officer and answer.data["late"] is False and answer.unit.code == PLACE
    told = set(Notification.objects.filter(user=reporter).values_list("source", flat=True))
    assert told == {
        f"report-event:{ReportEvent.objects.get(report=report, action=action).pk}" for action in ("route", "answer")
    }


def test_the_table_refuses_wrong_actors_and_statuses_with_codes(
    categories, staff, reporter, django_capture_on_commit_callbacks
):
    report = routed_report(django_capture_on_commit_callbacks, reporter=reporter)
    officer, other = staff["officer.ward"], staff["officer.other"]

    def refused(action, actor, **kwargs) -> str:
        with pytest.raises(ReportError) as error:
            report_transition(report=report, action=action, actor=actor, **kwargs)
        return error.value.code

    assert refused("start", other) == "forbidden"  # staff of another unit
    assert refused("start", reporter) == "forbidden"  # the reporter is not staff
    assert refused("answer", None, note="x") == "forbidden"  # the system does not answer
    assert refused("rate", reporter, rating=4) == "not_allowed"  # nothing answered yet
    assert refused("close", officer) == "not_allowed"
    assert refused("assign", officer, assignee=officer) == "forbidden"  # heads assign
    assert refused("answer", officer) == "invalid"  # an answer needs its text
    assert refused("reject", officer, note="Không thuộc thẩm quyền", reason="bogus") == "invalid"
    assert refused("reject", officer, note="Trùng", reason="duplicate") == "invalid"  # which report?
    assert refused("nonsense", officer) == "not_allowed"
    assert Report.objects.get(pk=report.pk).status == S.ROUTED
    assert actions(report) == ["create", "route"]

    report = report_transition(report=report, action="answer", actor=officer, note="Đã xử lý.")
    assert refused("rate", reporter, rating=0) == "invalid"
    assert refused("rate", reporter, rating=6) == "invalid"
    assert refused("rate", officer, rating=5) == "forbidden"
    assert refused("answer", officer, note="again") == "not_allowed"


def test_a_rejection_as_duplicate_names_the_original_and_stops_the_clock(
    categories, staff, django_capture_on_commit_callbacks
):
    original = routed_report(django_capture_on_commit_callbacks)
    repeat = routed_report(django_capture_on_commit_callbacks)
    rejected = report_transition(
        report=repeat,
        action="reject",
        actor=staff["officer.ward"],
        note="Đã có phản ánh về việc này.",
        reason="duplicate",
        duplicate_of=original,
    )
    assert rejected.status == S.REJECTED and rejected.duplicate_of == original
    assert rejected.rejection_reason == "duplicate" and rejected.closed_at is not None
    assert ReportEvent.objects.get(report=repeat, action="reject").data["duplicate_of"] == original.code
    assert list(original.duplicates.all()) == [rejected]


def test_a_transfer_waits_for_the_other_unit_and_claims_follow_the_acting_unit(
    categories, staff, django_capture_on_commit_callbacks
):
    report = routed_report(django_capture_on_commit_callbacks)
    officer, other = staff["officer.ward"], staff["officer.other"]
    report = report_transition(
        report=report,
        action="transfer",
        actor=officer,
        unit=other.postings.get().unit,
        reason="wrong_area",
        note="Địa chỉ thuộc phường bên cạnh.",
    )
    assert report.pending_transfer_unit.code == OTHER_WARD and report.handling_unit.code == PLACE
    with pytest.raises(ReportError) as error:
        report_transition(report=report, action="claim", actor=other)
    assert error.value.code == "forbidden"  # not theirs until accepted
    report = report_transition(report=report, action="accept_transfer", actor=other)
    assert report.handling_unit.code == OTHER_WARD and report.transfer_count == 1
    report = report_transition(report=report, action="claim", actor=other)
    assert report.assigned_to == other
    assert actions(report)[-3:] == ["transfer", "accept_transfer", "claim"]


# --- reopen: once, within 7 days -----------------------------------------------------------------


def answered(capture, staff, reporter, at) -> Report:
    report = routed_report(capture, reporter=reporter)
    with time_machine.travel(at, tick=False):
        return report_transition(report=report, action="answer", actor=staff["officer.ward"], note="Đã sửa.")


def test_the_reporter_reopens_once_within_seven_days(categories, staff, reporter, django_capture_on_commit_callbacks):
    answered_at = TUESDAY_MORNING + timedelta(hours=2)
    report = answered(django_capture_on_commit_callbacks, staff, reporter, answered_at)
    report = report_transition(report=report, action="rate", actor=reporter, rating=1)
    with time_machine.travel(answered_at + timedelta(days=6), tick=False):
        with pytest.raises(ReportError) as silent:
            report_transition(report=report, action="reopen", actor=reporter, note=" ")
        assert silent.value.code == "invalid" and "note" in silent.value.extra["errors"]
        report = report_transition(report=report, action="reopen", actor=reporter, note="Đèn lại hỏng.")
    assert report.status == S.IN_PROGRESS and report.reopen_count == 1
    assert report.decided_at is None and report.satisfaction is None
    assert report.due_at == Report.objects.get(pk=report.pk).due_at  # the legal due date did not move

    with time_machine.travel(answered_at + timedelta(days=6, hours=1), tick=False):
        report = report_transition(report=report, action="answer", actor=staff["officer.ward"], note="Đã thay lại.")
        with pytest.raises(ReportError) as error:
            report_transition(report=report, action="reopen", actor=reporter, note="Lần nữa")
    assert error.value.code == "reopen_used"
    assert actions(report).count("reopen") == 1


def test_reopening_after_seven_days_is_refused(categories, staff, reporter, django_capture_on_commit_callbacks):
    answered_at = TUESDAY_MORNING + timedelta(hours=2)
    report = answered(django_capture_on_commit_callbacks, staff, reporter, answered_at)
    with time_machine.travel(answered_at + timedelta(days=7, minutes=1), tick=False):
        with pytest.raises(ReportError) as error:
            report_transition(report=report, action="reopen", actor=reporter)
        assert error.value.code == "reopen_too_late"
        assert services.report_actions_available(report=report, user=reporter) == [services.workflow.ACTIONS["rate"]]
    with pytest.raises(ReportError) as error:
        report_transition(report=report, action="reopen", actor=staff["officer.ward"])
    assert error.value.code == "forbidden"  # only the reporter


def test_answered_reports_are_closed_by_the_system_once_the_reopening_window_has_passed(
    categories, staff, reporter, django_capture_on_commit_callbacks, settings
):
    answered_at = TUESDAY_MORNING + timedelta(hours=2)
    settled = answered(django_capture_on_commit_callbacks, staff, reporter, answered_at)
    recent = answered(django_capture_on_commit_callbacks, staff, reporter, answered_at + timedelta(days=3))
    with time_machine.travel(answered_at + timedelta(days=7, minutes=1), tick=False):
        assert close_settled_reports.delay().get() == 1
        assert close_settled_reports.delay().get() == 0  # once
    assert Report.objects.get(pk=settled.pk).status == S.CLOSED
    assert Report.objects.get(pk=recent.pk).status == S.ANSWERED  # the reporter may still reopen it
    close = ReportEvent.objects.get(report=settled, action="close")
    assert close.actor is None and (close.from_status, close.to_status) == (S.ANSWERED, S.CLOSED)
    assert any(e["task"] == "feedback.close_settled_reports" for e in settings.CELERY_BEAT_SCHEDULE.values())


# --- progress and the committed date; overdue ----------------------------------------------------


def test_progress_sets_a_committed_date_before_the_due_date_and_never_moves_the_legal_one(
    categories, staff, django_capture_on_commit_callbacks
):
    officer = staff["officer.ward"]
    report = routed_report(django_capture_on_commit_callbacks)
    due = report.due_at
    with time_machine.travel(TUESDAY_MORNING + timedelta(hours=3), tick=False):
        with pytest.raises(ReportError) as error:
            report_transition(report=report, action="post_progress", actor=officer, note="Đang chờ vật tư.")
        assert "committed_at" in error.value.extra["errors"]
        with pytest.raises(ReportError) as error:
            report_transition(
                report=report, action="post_progress", actor=officer, note="x", committed_at=due - timedelta(hours=1)
            )
        assert "committed_at" in error.value.extra["errors"]
        committed = due + timedelta(days=2)
        report = report_transition(
            report=report, action="post_progress", actor=officer, note="Đang chờ vật tư.", committed_at=committed
        )
    assert report.promised_at == committed and report.due_at == due and report.target_at == committed
    assert report.status == S.ROUTED

    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        with pytest.raises(ReportError) as error:
            report_transition(
                report=report, action="post_progress", actor=officer, note="Thêm thời gian", committed_at=committed
            )
        assert error.value.code == "progress_too_late"
        # The promised date does not hide lateness: overdue is the legal date, one definition.
        assert report.is_overdue_at(due + timedelta(minutes=1))
        assert Report.objects.overdue(due + timedelta(minutes=1)).filter(pk=report.pk).exists()
    assert actions(report).count("post_progress") == 1


def test_the_shared_clocks_flag_an_overdue_report_and_escalate_it(
    categories, staff, django_capture_on_commit_callbacks
):
    report = routed_report(django_capture_on_commit_callbacks)
    later = report.due_at + timedelta(minutes=5)
    assert not Report.objects.overdue(report.due_at - timedelta(minutes=1)).filter(pk=report.pk).exists()
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        counts = run_case_clocks.delay("report").get()
        assert counts["overdue"] == 1 and counts["escalated_to_head"] == 1 and counts["errors"] == 0
        assert run_case_clocks.delay("report").get()["overdue"] == 0  # once
    flagged = Report.objects.get(pk=report.pk)
    assert flagged.overdue_flagged_at == later and flagged.escalated_to_head_at == later
    assert {"overdue", "escalated_to_head"} <= set(actions(report))
    head_told = Notification.objects.filter(user=staff["head.ward"], source__startswith="report-event:")
    assert head_told.exists()  # the head hears of the escalation

    # Answered late stays late in every indicator.
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        done = report_transition(report=flagged, action="answer", actor=staff["officer.ward"], note="Đã xử lý.")
    assert done.finished_late and Report.objects.finished_late().filter(pk=report.pk).exists()
    assert ReportEvent.objects.get(report=report, action="answer").data["late"] is True


def test_events_are_append_only(categories, django_capture_on_commit_callbacks):
    report = routed_report(django_capture_on_commit_callbacks)
    event = ReportEvent.objects.get(report=report, action="route")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()

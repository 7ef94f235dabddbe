"""Who is told what, merged reports sharing one answer, contact confirmation, answer photos and moderation."""

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.intake import ContactError, contact_code_send, contact_confirm
from feedback.models import Open311Client, PhotoRole, Report, ReportPhoto
from feedback.photos import PhotoError
from feedback.selectors import report_tracking
from feedback.services import ReportError, report_transition
from feedback.workflow import ReportStatus as S
from identity.models import Notification
from identity.sms.console import ConsoleSmsGateway
from tests.feedback.intake_helpers import sent_code
from tests.feedback.test_photos import phone_jpeg
from tests.feedback.test_reports import file_report, routed_report

pytestmark = pytest.mark.django_db

CALLER = "0907654321"


def sms_to(phone: str) -> list[str]:
    return [message["text"] for message in ConsoleSmsGateway.last_messages(phone)]


# --- contact confirmation ---------------------------------------------------------------------------


def test_a_report_without_an_account_needs_the_code_sent_to_its_phone(categories):
    with pytest.raises(ReportError) as refused:
        file_report(contact_phone=CALLER, contact_proof="")
    assert refused.value.code == "contact_not_confirmed"

    contact_code_send(phone="+84 907 654 321", client="203.0.113.9")
    with pytest.raises(ContactError) as wrong:
        contact_confirm(phone=CALLER, code="000000" if sent_code(CALLER) != "000000" else "111111")
    assert wrong.value.code == "code_wrong"
    proof = contact_confirm(phone=CALLER, code=sent_code(CALLER))
    with pytest.raises(ContactError) as used:
        contact_confirm(phone=CALLER, code=sent_code(CALLER))
    assert used.value.code == "code_used"

    # A proof names one phone: it does not confirm another.
    with pytest.raises(ReportError) as other:
        file_report(contact_phone="0912345678", contact_proof=proof)
    assert other.value.code == "contact_not_confirmed"
    report = file_report(contact_phone=CALLER, contact_proof=proof)
    assert report.channel == "web" and report.contact_phone == CALLER and report.applicant is None


def test_an_open311_report_needs_an_active_registered_app(categories):
    with pytest.raises(ReportError) as refused:
        file_report(channel="open311", contact_proof="x")
    assert refused.value.code == "api_key_invalid"
    app = Open311Client.objects.create(name="Civic app", key_prefix="abcd1234", key_hash="0" * 64)
    report = file_report(channel="open311", via_client=app, contact_proof="")
    assert report.via_client == app and report.channel == "open311"


# --- the reporter is told --------------------------------------------------------------------------


def test_a_reporter_without_an_account_is_told_by_sms_where_the_report_went_and_the_answer(
    categories, staff, django_capture_on_commit_callbacks
):
    ConsoleSmsGateway.clear()
    # (Not time-travelled: the console outbox lives in the cache, whose entries expire by the clock.)
    report = file_report(capture=django_capture_on_commit_callbacks, contact_phone=CALLER)
    routed = sms_to(CALLER)[-1]
    assert report.code in routed and "Phường Bến Thành" in routed  # in Vietnamese, the portal's language
    assert "was sent" not in routed
    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report=report, action="answer", actor=staff["officer.ward"], note="Đã thay bóng đèn mới.")
    assert "Đã thay bóng đèn mới." in sms_to(CALLER)[-1]
    assert len([text for text in sms_to(CALLER) if "Đã thay bóng đèn" in text]) == 1


# --- merging duplicates ----------------------------------------------------------------------------


def test_merged_reports_share_the_answer_and_every_reporter_is_told(
    categories, staff, reporter, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    officer = staff["officer.ward"]
    ConsoleSmsGateway.clear()
    original = routed_report(capture, contact_phone=CALLER)
    repeat = routed_report(capture, reporter=reporter, text="Đèn đường số 12 Lê Lợi tắt mấy hôm nay.")
    third = routed_report(capture, contact_phone="0911111111", text="Đèn hỏng ở 12 Lê Lợi.")

    with capture(execute=True):
        report_transition(
            report=repeat,
            action="reject",
            actor=officer,
            note="Trùng phản ánh.",
            reason="duplicate",
            duplicate_of=original,
        )
        # Merging into a merged report goes to the one that stands for all of them.
        report_transition(
            report=third,
            action="reject",
            actor=officer,
            note="Trùng phản ánh.",
            reason="duplicate",
            duplicate_of=Report.objects.get(pk=repeat.pk),
        )
    assert Report.objects.get(pk=third.pk).duplicate_of_id == original.pk
    merged_notice = Notification.objects.get(user=reporter, subject__contains=repeat.code, body__contains=original.code)
    assert merged_notice

    with capture(execute=True):
        report_transition(report=original, action="answer", actor=officer, note="Đã sửa đèn tại 12 Lê Lợi.")
    shared = Notification.objects.filter(user=reporter, body__contains="Đã sửa đèn tại 12 Lê Lợi.")
    assert shared.count() == 1 and original.code in shared.get().subject
    assert any("Đã sửa đèn" in text for text in sms_to("0911111111"))  # the third reporter, by SMS
    assert any("Đã sửa đèn" in text for text in sms_to(CALLER))  # the first reporter

    # The tracking page of a merged report leads to the shared, published answer.
    assert report_tracking(repeat.code)["merged_into"] == original.code
    assert report_tracking(repeat.code)["public_answer"] == ""
    with capture(execute=True):
        report_transition(
            report=original,
            action="publish",
            actor=officer,
            public_text="Đèn đường hỏng ở Lê Lợi.",
            public_answer="Đã thay đèn.",
        )
    assert report_tracking(repeat.code)["public_answer"] == "Đã thay đèn."


def test_a_report_cannot_be_merged_into_itself_or_a_rejected_one(categories, staff, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    officer = staff["officer.ward"]
    report = routed_report(capture)
    spam = routed_report(capture)
    with capture(execute=True):
        report_transition(report=spam, action="reject", actor=officer, note="Quảng cáo.", reason="spam")
    for target in (report, Report.objects.get(pk=spam.pk)):
        with pytest.raises(ReportError) as refused:
            report_transition(
                report=report, action="reject", actor=officer, note="Trùng.", reason="duplicate", duplicate_of=target
            )
        assert refused.value.code == "invalid" and "duplicate_of" in refused.value.extra["errors"]
    assert Report.objects.get(pk=report.pk).status == S.ROUTED


# --- answer photos and moderation ------------------------------------------------------------------


def test_the_answer_carries_photos_of_the_fix_and_a_refused_photo_records_nothing(
    categories, staff, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    officer = staff["officer.ward"]
    report = routed_report(capture)
    with pytest.raises(PhotoError):
        report_transition(
            report=report,
            action="answer",
            actor=officer,
            note="Đã sửa.",
            photos=[SimpleUploadedFile("fix.jpg", phone_jpeg()), SimpleUploadedFile("fake.jpg", b"%PDF-1.7 not")],
        )
    assert Report.objects.get(pk=report.pk).status == S.ROUTED and not ReportPhoto.objects.exists()

    with capture(execute=True):
        report_transition(
            report=report,
            action="answer",
            actor=officer,
            note="Đã sửa.",
            photos=[SimpleUploadedFile("fix.jpg", phone_jpeg())],
        )
    photo = ReportPhoto.objects.get(report=report)
    assert photo.role == PhotoRole.ANSWER and photo.uploaded_by == officer
    assert storages["dossiers"].exists(photo.stored_name)


def test_publication_needs_texts_checked_by_the_unit_and_can_be_withdrawn(
    categories, staff, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    officer = staff["officer.ward"]
    report = routed_report(capture)
    with pytest.raises(ReportError) as early:
        report_transition(report=report, action="publish", actor=officer, public_text="a", public_answer="b")
    assert early.value.code == "not_allowed"
    with capture(execute=True):
        report = report_transition(report=report, action="answer", actor=officer, note="Đã sửa.")
    with pytest.raises(ReportError) as empty:
        report_transition(report=report, action="publish", actor=officer, public_text=" ", public_answer="")
    assert set(empty.value.extra["errors"]) == {"public_text", "public_answer"}
    with pytest.raises(ReportError) as outsider:
        report_transition(
            report=report, action="publish", actor=staff["officer.other"], public_text="a", public_answer="b"
        )
    assert outsider.value.code == "forbidden"
    with capture(execute=True):
        report = report_transition(
            report=report, action="publish", actor=officer, public_text="Đèn hỏng.", public_answer="Đã sửa."
        )
    assert report.is_public and report.published_by == officer and report.public_text == "Đèn hỏng."
    with capture(execute=True):
        report = report_transition(report=report, action="unpublish", actor=officer, note="Còn tên người.")
    assert not report.is_public
    assert list(report.events.values_list("action", flat=True))[-2:] == ["publish", "unpublish"]


def test_a_notice_lost_while_the_broker_was_down_is_sent_by_the_sweep(
    categories, reporter, django_capture_on_commit_callbacks, monkeypatch, settings
):
    import time_machine
    from kombu.exceptions import OperationalError as BrokerError

    from feedback.tasks import notify_report_event, sweep_unnotified_report_events

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notify_report_event, "delay", broker_down)
    report = file_report(reporter=reporter, capture=django_capture_on_commit_callbacks)
    monkeypatch.undo()
    assert report.status == S.ROUTED and not Notification.objects.filter(user=reporter).exists()
    assert sweep_unnotified_report_events.delay().get() == 0  # too early: the task may be on its way
    later = report.routed_at + timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert sweep_unnotified_report_events.delay().get() == 1
        assert sweep_unnotified_report_events.delay().get() == 0
    assert Notification.objects.filter(user=reporter, subject__contains=report.code).count() == 1

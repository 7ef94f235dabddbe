"""The officers' 1022 workbench over HTTP: the queue and its scoping, one report, every action form, merging, intake.

Driven with the Django test client as officers use it: each form posts to
`/workbench/reports/<code>/actions/<action>/`, which calls
`feedback.services.report_transition` once; the result is read back from the
database.
"""

import io
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from feedback.models import Category, PhotoRole, Report, ReportEvent, ReportPhoto
from feedback.services import report_create, report_transition
from feedback.workflow import ReportStatus as S
from govportal.tiers.models import Tier, Unit
from govportal.tiers.services import posting_ensure
from identity import access
from identity.demo import demo_totp_secret
from identity.middleware import has_totp
from identity.models import User

pytestmark = pytest.mark.django_db

PLACE = "26743"  # Phường Bến Thành
OTHER_WARD = "26740"
QUEUE = "/workbench/reports/"
TEXT = "Đèn đường trước nhà số 12 Lê Lợi bị hỏng từ ba ngày nay, buổi tối rất tối."


def commune_category() -> Category:
    return Category.objects.filter(tier=Tier.COMMUNE, is_active=True).order_by("code").first()


def with_second_factor(user):
    """Staff reach staff pages only once their TOTP is set up (identity.middleware), as the seeded staff."""
    if access.is_staff_member(user) and not has_totp(user):
        TOTP.activate(user, demo_totp_secret(user.username))
    return user


def client_for(user) -> Client:
    with_second_factor(user)
    client = Client()
    client.cookies["govportal_language"] = "en"
    client.force_login(user)
    return client


def record(operator, *, unit_code=PLACE, text=TEXT, capture=None, **fields) -> Report:
    values = {
        "category": commune_category(),
        "text": text,
        "unit": Unit.objects.get(code=unit_code),
        "address": "12 Lê Lợi",
        "contact_name": "Trần Thị Liên Hệ",
        "contact_phone": "0901234567",
        "channel": "hotline",
        "recorded_by": operator,
        **fields,
    }
    if capture is None:
        return report_create(**values)
    with capture(execute=True):  # routing runs on commit
        report = report_create(**values)
    return Report.objects.get(pk=report.pk)


def report_url(report) -> str:
    return reverse("workbench-report", args=[report.code])


def action_url(report, action) -> str:
    return reverse("workbench-report-action", args=[report.code, action])


def fresh(report) -> Report:
    return Report.objects.get(pk=report.pk)


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def png(size=(32, 24), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def dmyhm(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


@pytest.fixture
def officer(staff):
    return staff["officer.ward"]


@pytest.fixture
def head(staff):
    return staff["head.ward"]


@pytest.fixture
def city_admin(units):
    user = User.objects.create(username="admin.city.test", full_name="Quản Trị Thành Phố")
    posting_ensure(user=user, unit=Unit.objects.get(code="79"), role="city_admin")
    return user


@pytest.fixture
def routed(categories, officer, django_capture_on_commit_callbacks):
    report = record(officer, capture=django_capture_on_commit_callbacks)
    assert report.status == S.ROUTED and report.handling_unit.code == PLACE
    return report


@pytest.fixture
def in_progress(routed, officer):
    return report_transition(report=routed, action="start", actor=officer)


# --- who may open the workbench -------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, units):
    response = client.get(QUEUE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_citizen_is_refused_the_queue_the_report_and_the_actions(categories, officer, reporter):
    report = record(officer)
    citizen = client_for(reporter)
    assert citizen.get(QUEUE).status_code == 403
    assert citizen.get(report_url(report)).status_code == 403
    assert citizen.get(reverse("workbench-report-record")).status_code == 403
    response = citizen.post(action_url(report, "reject"), {"reject-version": report.version, "reject-note": "x"})
    assert response.status_code == 403
    assert fresh(report).status == S.NEW


def test_the_queue_shows_the_officers_units_only_and_the_city_sees_all(categories, staff, city_admin):
    mine = record(staff["officer.ward"])
    theirs = record(staff["officer.other"], unit_code=OTHER_WARD)
    response = client_for(staff["officer.ward"]).get(QUEUE)
    assert response.status_code == 200
    assert [r.code for r in response.context["rows"]] == [mine.code]
    assert theirs.code not in response.content.decode()
    other = client_for(staff["officer.other"]).get(QUEUE)
    assert [r.code for r in other.context["rows"]] == [theirs.code]
    city = client_for(city_admin).get(QUEUE)
    assert {r.code for r in city.context["rows"]} == {mine.code, theirs.code}
    # Another ward's report is not found by its code either.
    assert client_for(staff["officer.ward"]).get(report_url(theirs)).status_code == 404
    assert client_for(city_admin).get(report_url(theirs)).status_code == 200


def test_a_pending_transfer_shows_in_the_target_units_queue(in_progress, staff):
    report_transition(
        report=in_progress,
        action="transfer",
        actor=staff["officer.ward"],
        note="Thuộc phường khác.",
        unit=Unit.objects.get(code=OTHER_WARD),
        reason="wrong_area",
    )
    rows = client_for(staff["officer.other"]).get(QUEUE).context["rows"]
    assert [r.code for r in rows] == [in_progress.code]


def test_the_queue_columns_and_an_overdue_badge_in_text(categories, officer):
    late = record(officer)
    on_time = record(officer)
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    Report.objects.filter(pk=on_time.pk).update(assigned_to=officer, promised_at=timezone.now() + timedelta(days=9))
    response = client_for(officer).get(QUEUE)
    rows = {r.code: r for r in response.context["rows"]}
    assert rows[late.code].overdue and not rows[on_time.code].overdue
    html = response.content.decode()
    start = html.index(f'id="row-{late.code}"')
    row = html[start : html.index("</tr>", start)]
    assert 'data-overdue="true"' in row and "Overdue" in row and 'class="status status-overdue"' in row
    on_time_row = html[html.index(f'id="row-{on_time.code}"') :]
    on_time_row = on_time_row[: on_time_row.index("</tr>")]
    assert dmyhm(fresh(on_time).promised_at) in on_time_row  # the committed date column
    assert officer.full_name in on_time_row
    assert "Phường Bến Thành" in row and "12 Lê Lợi" in row


def test_the_queue_filters(categories, officer, head):
    late = record(officer)
    mine = record(officer)
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    Report.objects.filter(pk=mine.pk).update(assigned_to=officer)
    client = client_for(officer)
    assert [r.code for r in client.get(QUEUE, {"overdue": "on"}).context["rows"]] == [late.code]
    assert [r.code for r in client.get(QUEUE, {"mine": "on"}).context["rows"]] == [mine.code]
    assert client.get(QUEUE, {"status": "answered"}).context["rows"] == []
    assert len(client.get(QUEUE, {"status": "new"}).context["rows"]) == 2
    other = Category.objects.filter(tier=Tier.COMMUNE).exclude(pk=late.category_id).first()
    assert client.get(QUEUE, {"category": other.code}).context["rows"] == []
    assert len(client.get(QUEUE, {"category": late.category.code}).context["rows"]) == 2
    # htmx asks only for the table.
    partial = client.get(QUEUE, {"overdue": "on"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and late.code in partial.content.decode()


def test_the_dossier_workbench_has_the_two_tabs(categories, officer):
    html = client_for(officer).get("/workbench/").content.decode()
    assert f'href="{reverse("workbench-reports")}"' in html and 'aria-current="page"' in html
    queue = client_for(officer).get(QUEUE).content.decode()
    assert 'href="/workbench/"' in queue


# --- one report ----------------------------------------------------------------------------------


def test_the_report_page_shows_what_staff_may_see(routed, officer):
    photo = ReportPhoto.objects.create(
        report=routed,
        role=PhotoRole.REPORT,
        stored_name="reports/test.png",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
        width=32,
        height=24,
    )
    response = client_for(officer).get(report_url(routed))
    assert response.status_code == 200
    html = response.content.decode()
    assert routed.text in html
    assert "Trần Thị Liên Hệ" in html and "0901234567" in html  # contact: staff only
    assert "Hotline 1022" in html and officer.full_name in html  # channel and operator
    assert reverse("report-photo", args=[photo.pk]) in html
    assert 'id="timeline"' in html and "Report received" in html
    offered = [form.rule.action for form in response.context["action_forms"]]
    assert "start" in offered and "answer" in offered and "reject" in offered
    assert "rate" not in offered and "reopen" not in offered and "assign" not in offered  # officer, not head
    assert f'action="{action_url(routed, "answer")}"' in html


# --- every action drives the service ---------------------------------------------------------------


def test_start_and_claim(routed, officer):
    client = client_for(officer)
    response = client.post(action_url(routed, "start"), {"start-version": routed.version})
    assert response.status_code == 302 and response["Location"] == report_url(routed)
    report = fresh(routed)
    assert report.status == S.IN_PROGRESS and report.assigned_to == officer


def test_answer_with_a_real_png_photo(in_progress, officer):
    upload = SimpleUploadedFile("sua-xong.png", png(), content_type="image/png")
    response = client_for(officer).post(
        action_url(in_progress, "answer"),
        {"answer-version": in_progress.version, "answer-note": "Đã thay bóng đèn mới.", "answer-photos": [upload]},
    )
    assert response.status_code == 302
    report = fresh(in_progress)
    assert report.status == S.ANSWERED and report.answer == "Đã thay bóng đèn mới."
    photo = ReportPhoto.objects.get(report=report)
    assert photo.role == PhotoRole.ANSWER and photo.content_type == "image/png" and photo.width == 32
    page = client_for(officer).get(report_url(report)).content.decode()
    assert reverse("report-photo", args=[photo.pk]) in page


def test_an_answer_photo_that_is_not_an_image_is_refused_on_the_form(in_progress, officer):
    fake = SimpleUploadedFile("x.png", b"not a picture at all", content_type="image/png")
    response = client_for(officer).post(
        action_url(in_progress, "answer"),
        {"answer-version": in_progress.version, "answer-note": "Đã sửa.", "answer-photos": [fake]},
    )
    assert response.status_code == 400
    form = next(f for f in response.context["action_forms"] if f.rule.action == "answer")
    assert form.errors.get("photos")
    assert fresh(in_progress).status == S.IN_PROGRESS and not ReportPhoto.objects.exists()


def test_post_progress_with_a_committed_date_typed_dd_mm_yyyy(in_progress, officer):
    committed = timezone.localtime(in_progress.due_at + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = client_for(officer).post(
        action_url(in_progress, "post_progress"),
        {
            "post_progress-version": in_progress.version,
            "post_progress-note": "Đang chờ vật tư.",
            "post_progress-committed_at": committed.strftime("%d/%m/%Y %H:%M"),
        },
    )
    assert response.status_code == 302
    report = fresh(in_progress)
    assert report.promised_at == committed and report.due_at == in_progress.due_at
    page = client_for(officer).get(report_url(report)).content.decode()
    assert committed.strftime("%d/%m/%Y %H:%M") in page


def test_post_progress_refused_by_the_service_shows_the_error_on_the_form(in_progress, officer):
    too_early = timezone.localtime(in_progress.due_at - timedelta(days=1))
    response = client_for(officer).post(
        action_url(in_progress, "post_progress"),
        {
            "post_progress-version": in_progress.version,
            "post_progress-note": "Đang chờ vật tư.",
            "post_progress-committed_at": too_early.strftime("%d/%m/%Y %H:%M"),
        },
    )
    assert response.status_code == 400
    form = next(f for f in response.context["action_forms"] if f.rule.action == "post_progress")
    assert "later than the legal due date" in " ".join(form.errors["committed_at"])
    assert fresh(in_progress).promised_at is None


def test_a_malformed_date_is_a_form_error_not_a_500(in_progress, officer):
    response = client_for(officer).post(
        action_url(in_progress, "post_progress"),
        {
            "post_progress-version": in_progress.version,
            "post_progress-note": "x",
            "post_progress-committed_at": "31/02/2026 25:00",
        },
    )
    assert response.status_code == 400
    assert fresh(in_progress).version == in_progress.version


def test_reject_with_a_reason(in_progress, officer):
    response = client_for(officer).post(
        action_url(in_progress, "reject"),
        {"reject-version": in_progress.version, "reject-note": "Không thuộc thẩm quyền.", "reject-reason": "spam"},
    )
    assert response.status_code == 302
    report = fresh(in_progress)
    assert report.status == S.REJECTED and report.rejection_reason == "spam" and report.duplicate_of is None


def test_reject_as_duplicate_needs_the_other_report(in_progress, officer):
    response = client_for(officer).post(
        action_url(in_progress, "reject"),
        {"reject-version": in_progress.version, "reject-note": "Trùng.", "reject-reason": "duplicate"},
    )
    assert response.status_code == 400
    form = next(f for f in response.context["action_forms"] if f.rule.action == "reject")
    assert form.errors["duplicate_of"]
    assert fresh(in_progress).status == S.IN_PROGRESS


def test_reject_as_duplicate_by_code(in_progress, officer):
    original = record(officer)
    response = client_for(officer).post(
        action_url(in_progress, "reject"),
        {
            "reject-version": in_progress.version,
            "reject-note": "Trùng.",
            "reject-reason": "duplicate",
            "reject-duplicate_of": original.code.lower(),
        },
    )
    assert response.status_code == 302
    assert fresh(in_progress).duplicate_of == original


def test_transfer_with_unit_and_reason(in_progress, officer):
    other = Unit.objects.get(code=OTHER_WARD)
    response = client_for(officer).post(
        action_url(in_progress, "transfer"),
        {
            "transfer-version": in_progress.version,
            "transfer-note": "Địa điểm thuộc phường bên cạnh.",
            "transfer-unit": other.pk,
            "transfer-reason": "wrong_area",
        },
    )
    assert response.status_code == 302
    assert fresh(in_progress).pending_transfer_unit == other


def test_assign_by_the_head(in_progress, head, officer):
    client = client_for(head)
    page = client.get(report_url(in_progress))
    assert "assign" in [f.rule.action for f in page.context["action_forms"]]
    response = client.post(
        action_url(in_progress, "assign"), {"assign-version": in_progress.version, "assign-assignee": officer.pk}
    )
    assert response.status_code == 302
    assert fresh(in_progress).assigned_to == officer


def test_publish_prefills_the_texts_for_the_officer_to_clean(in_progress, officer):
    answered = report_transition(report=in_progress, action="answer", actor=officer, note="Đã thay bóng đèn.")
    client = client_for(officer)
    page = client.get(report_url(answered))
    form = next(f for f in page.context["action_forms"] if f.rule.action == "publish")
    assert form["public_text"].value() == answered.text and form["public_answer"].value() == answered.answer
    response = client.post(
        action_url(answered, "publish"),
        {
            "publish-version": answered.version,
            "publish-public_text": "Đèn đường đường Lê Lợi bị hỏng.",
            "publish-public_answer": "Đã thay bóng đèn.",
        },
    )
    assert response.status_code == 302
    report = fresh(answered)
    assert (
        report.is_public and report.public_text == "Đèn đường đường Lê Lợi bị hỏng." and report.published_by == officer
    )


def test_publish_with_an_empty_text_is_refused_on_the_form(in_progress, officer):
    answered = report_transition(report=in_progress, action="answer", actor=officer, note="Đã thay bóng đèn.")
    response = client_for(officer).post(
        action_url(answered, "publish"),
        {"publish-version": answered.version, "publish-public_text": "", "publish-public_answer": "Đã sửa."},
    )
    assert response.status_code == 400
    assert not fresh(answered).is_public


def test_claim(routed, officer):
    response = client_for(officer).post(action_url(routed, "claim"), {"claim-version": routed.version})
    assert response.status_code == 302
    assert fresh(routed).assigned_to == officer and fresh(routed).status == S.ROUTED


def test_close_and_unpublish(in_progress, officer):
    answered = report_transition(report=in_progress, action="answer", actor=officer, note="Đã thay bóng đèn.")
    published = report_transition(
        report=answered, action="publish", actor=officer, public_text="Đèn hỏng.", public_answer="Đã thay."
    )
    client = client_for(officer)
    response = client.post(
        action_url(published, "unpublish"),
        {"unpublish-version": published.version, "unpublish-note": "Còn số nhà trong câu trả lời."},
    )
    assert response.status_code == 302 and not fresh(published).is_public
    response = client.post(action_url(published, "close"), {"close-version": fresh(published).version})
    assert response.status_code == 302 and fresh(published).status == S.CLOSED


def test_the_target_unit_accepts_or_returns_a_transfer(categories, staff, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    other_ward = Unit.objects.get(code=OTHER_WARD)
    first, second = (record(staff["officer.ward"], capture=capture) for _ in range(2))
    for report in (first, second):
        report_transition(
            report=report,
            action="transfer",
            actor=staff["officer.ward"],
            note="Thuộc phường bên cạnh.",
            unit=other_ward,
            reason="wrong_area",
        )
    target = client_for(staff["officer.other"])
    page = target.get(report_url(first))
    offered = [f.rule.action for f in page.context["action_forms"]]
    assert "accept_transfer" in offered and "return_transfer" in offered
    response = target.post(action_url(first, "accept_transfer"), {"accept_transfer-version": fresh(first).version})
    assert response.status_code == 302
    accepted = fresh(first)
    assert accepted.handling_unit == other_ward and accepted.pending_transfer_unit is None
    response = target.post(
        action_url(second, "return_transfer"),
        {"return_transfer-version": fresh(second).version, "return_transfer-note": "Địa chỉ thuộc Bến Thành."},
    )
    assert response.status_code == 302
    returned = fresh(second)
    assert returned.pending_transfer_unit is None and returned.handling_unit.code == PLACE


def test_a_stale_form_is_refused_with_a_message_and_the_note_kept(in_progress, officer, head):
    seen_version = in_progress.version
    report_transition(report=in_progress, action="claim", actor=head)  # a colleague acts meanwhile
    response = client_for(officer).post(
        action_url(in_progress, "answer"), {"answer-version": seen_version, "answer-note": "Câu trả lời của tôi."}
    )
    assert response.status_code == 409
    assert any("changed this report" in text for text in message_texts(response))
    report = fresh(in_progress)
    assert report.status == S.IN_PROGRESS and report.answer == ""
    form = next(f for f in response.context["action_forms"] if f.rule.action == "answer")
    assert form["note"].value() == "Câu trả lời của tôi."
    assert form["version"].value() == report.version


def test_an_action_not_offered_now_is_a_409_page(routed, officer):
    response = client_for(officer).post(action_url(routed, "close"), {"close-version": routed.version})
    assert response.status_code == 409
    assert fresh(routed).status == S.ROUTED


def test_unknown_and_reporter_only_actions_are_404(routed, officer):
    client = client_for(officer)
    assert client.post(action_url(routed, "fly"), {}).status_code == 404
    assert client.post(action_url(routed, "rate"), {"rate-version": routed.version}).status_code == 404


def test_staff_of_another_ward_cannot_act(routed, staff):
    response = client_for(staff["officer.other"]).post(action_url(routed, "start"), {"start-version": routed.version})
    assert response.status_code == 404
    assert fresh(routed).status == S.ROUTED


# --- duplicates and merging ------------------------------------------------------------------------


def test_candidates_are_listed_and_merged_through_the_page(categories, officer, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    original = record(officer, capture=capture)
    unrelated = record(officer, capture=capture, text="Rác thải đổ bừa bãi ở góc chợ, bốc mùi hôi thối cả tuần.")
    again = record(officer, capture=capture, text="Đèn đường trước số 12 Lê Lợi bị hỏng ba ngày nay, tối lắm.")
    client = client_for(officer)
    page = client.get(report_url(again))
    assert [c.code for c in page.context["candidates"]] == [original.code]
    html = page.content.decode()
    assert f'id="candidate-{original.code}"' in html and f'id="candidate-{unrelated.code}"' not in html
    start = html.index(f'id="candidate-{original.code}"')
    row = html[start : html.index("</tr>", start)]
    assert f'action="{action_url(again, "reject")}"' in row and 'value="duplicate"' in row
    # The button's form, as the browser sends it.
    response = client.post(
        action_url(again, "reject"),
        {
            "reject-version": str(fresh(again).version),
            "reject-reason": "duplicate",
            "reject-duplicate_of": original.code,
            "reject-note": page.context["candidates"][0].merge_note,
        },
    )
    assert response.status_code == 302
    merged = fresh(again)
    assert merged.status == S.REJECTED and merged.rejection_reason == "duplicate" and merged.duplicate_of == original
    event = ReportEvent.objects.filter(report=merged, action="reject").get()
    assert event.data["duplicate_of"] == original.code and original.code in event.note
    # The original lists what was merged into it.
    original_page = client.get(report_url(original)).content.decode()
    assert 'id="merged-reports"' in original_page and merged.code in original_page


# --- operator intake ---------------------------------------------------------------------------------


def intake_data(**overrides) -> dict:
    data = {
        "channel": "email",
        "contact_name": "Lê Văn Gọi",
        "contact_phone": "",
        "contact_email": "goi@example.vn",
        "category": commune_category().pk,
        "unit": Unit.objects.get(code=PLACE).pk,
        "address": "45 Nguyễn Huệ",
        "text": "Vỉa hè bị lấn chiếm trước số 45.",
        "latitude": "10.773000",
        "longitude": "106.703000",
    }
    data.update(overrides)
    return data


def test_an_operator_records_a_report_with_channel_and_name(categories, officer, django_capture_on_commit_callbacks):
    client = client_for(officer)
    page = client.get(reverse("workbench-report-record"))
    assert page.status_code == 200 and 'name="channel"' in page.content.decode()
    upload = SimpleUploadedFile("anh.png", png(), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("workbench-report-record"), {**intake_data(), "photos": [upload]})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == report_url(report)
    assert report.channel == "email" and report.recorded_by == officer and report.applicant is None
    assert report.contact_email == "goi@example.vn" and str(report.latitude) == "10.773000"
    assert report.photos.get().role == PhotoRole.REPORT
    assert any(report.code in text for text in message_texts(response))
    event = ReportEvent.objects.get(report=report, action="create")
    assert event.actor == officer and event.data["channel"] == "email"


def test_intake_refuses_missing_contact_and_web_channel(categories, officer):
    client = client_for(officer)
    response = client.post(reverse("workbench-report-record"), intake_data(contact_email="", contact_phone=""))
    assert response.status_code == 400 and response.context["form"].errors["contact_phone"]
    response = client.post(reverse("workbench-report-record"), intake_data(channel="web"))
    assert response.status_code == 400 and response.context["form"].errors["channel"]
    assert not Report.objects.exists()


def test_intake_is_for_officers_and_heads_only(categories, city_admin, reporter):
    assert client_for(city_admin).get(reverse("workbench-report-record")).status_code == 403
    assert client_for(reporter).post(reverse("workbench-report-record"), intake_data()).status_code == 403
    assert not Report.objects.exists()


def test_the_pages_render_in_vietnamese_by_default(routed, officer):
    client = Client()
    client.force_login(with_second_factor(officer))
    assert client.get(QUEUE).status_code == 200
    assert client.get(report_url(routed)).status_code == 200
    assert client.get(reverse("workbench-report-record")).status_code == 200

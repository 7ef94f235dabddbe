"""The citizen files a dossier in the browser (no JavaScript) and follows it: start, draft, review, submit,
my dossiers, one dossier (timeline, apology, result, supplement, withdrawal).

Assertions use status codes, database state and stable markers (ids, field names),
not translated sentences.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from govportal.tiers.models import Unit
from procedures import services
from procedures.models import Dossier
from tests.procedures.conftest import client_for, pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

MY_DOSSIERS_QUERY_BUDGET = 10


def start(client, procedure) -> Dossier:
    response = client.post(reverse("dossier-start", kwargs={"code": procedure.code}))
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(uuid=response.url.strip("/").split("/")[-1])
    assert response.url == reverse("dossier-draft", kwargs={"uuid": dossier.uuid})
    return dossier


def draft_post(client, dossier, *, action="save", **extra):
    data = {"receiving_unit": dossier.receiving_unit_id, "action": action, **extra}
    return client.post(reverse("dossier-draft", kwargs={"uuid": dossier.uuid}), data)


# --- start ------------------------------------------------------------------------


def test_the_start_page_shows_a_start_button(citizen_client, procedure):
    response = citizen_client.get(reverse("dossier-start", kwargs={"code": procedure.code}))
    assert response.status_code == 200
    assert b'id="start-button"' in response.content


def test_a_level_1_login_is_refused_with_an_explanation(citizen, procedure):
    client = client_for(citizen, eid_level=1)
    url = reverse("dossier-start", kwargs={"code": procedure.code})
    response = client.get(url)
    assert response.status_code == 403
    assert b'id="eid-level-too-low"' in response.content
    assert b'id="start-button"' not in response.content
    response = client.post(url)
    assert response.status_code == 403
    assert b'id="eid-level-too-low"' in response.content
    assert not Dossier.objects.filter(applicant=citizen).exists()


def test_a_session_without_e_id_level_is_refused(citizen, procedure):
    client = client_for(citizen)
    assert client.post(reverse("dossier-start", kwargs={"code": procedure.code})).status_code == 403
    assert not Dossier.objects.exists()


def test_a_level_1_procedure_accepts_a_level_1_login(citizen):
    from tests.procedures.conftest import make_procedure

    procedure = make_procedure(code="HCM-L1", min_eid_level=1)
    dossier = start(client_for(citizen, eid_level=1), procedure)
    assert dossier.status == "draft"


def test_logging_in_is_required_to_start(client, procedure):
    response = client.post(reverse("dossier-start", kwargs={"code": procedure.code}))
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert not Dossier.objects.exists()


def test_staff_accounts_cannot_file(officer_client, procedure):
    response = officer_client.post(reverse("dossier-start", kwargs={"code": procedure.code}))
    assert response.status_code == 403
    assert not Dossier.objects.exists()


def test_an_unknown_procedure_is_404(citizen_client, units):
    assert citizen_client.get(reverse("dossier-start", kwargs={"code": "nope"})).status_code == 404


def test_the_draft_is_received_by_the_residence_unit_by_default(citizen_client, citizen, procedure):
    dossier = start(citizen_client, procedure)
    assert dossier.receiving_unit_id == citizen.residence_unit_id
    assert dossier.reused_data["fields"] == ["full_name"]


def test_a_citizen_without_known_residence_chooses_the_unit(citizen, procedure):
    citizen.residence_unit = None
    citizen.save(update_fields=["residence_unit"])
    client = client_for(citizen, eid_level=2)
    url = reverse("dossier-start", kwargs={"code": procedure.code})
    response = client.get(url)
    assert response.status_code == 200 and b'name="receiving_unit"' in response.content
    assert client.post(url).status_code == 400
    assert not Dossier.objects.exists()
    unit = Unit.objects.get(code="26740")
    response = client.post(url, {"receiving_unit": unit.pk})
    assert response.status_code == 302
    assert Dossier.objects.get(applicant=citizen).receiving_unit == unit


# --- the whole filing path ------------------------------------------------------------


def test_filing_draft_prefill_upload_review_submit(citizen_client, citizen, procedure):
    dossier = start(citizen_client, procedure)
    draft_url = reverse("dossier-draft", kwargs={"uuid": dossier.uuid})

    page = citizen_client.get(draft_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "Nguyễn Văn An" in html and "registry-note" in html  # prefilled, marked as from the registry
    assert 'name="f_full_name"' not in html  # registry data is shown, not typed again
    assert 'name="f_partner_name"' in html
    assert 'name="doc_to-khai"' in html
    assert 'name="doc_giay-to-tuy-than"' not in html  # the registry replaces it: not asked
    assert 'id="registry-documents"' in html and "Giấy tờ tùy thân" in html

    response = citizen_client.post(
        draft_url,
        {
            "receiving_unit": dossier.receiving_unit_id,
            "f_partner_name": "Phạm Thị Hoa",
            "doc_to-khai": pdf_upload("to-khai.pdf"),
            "action": "review",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("dossier-review", kwargs={"uuid": dossier.uuid})
    dossier.refresh_from_db()
    assert dossier.form_data == {"full_name": "Nguyễn Văn An", "partner_name": "Phạm Thị Hoa"}
    assert list(dossier.documents.values_list("key", "original_name")) == [("to-khai", "to-khai.pdf")]

    review = citizen_client.get(response.url)
    assert review.status_code == 200
    html = review.content.decode()
    assert "Phạm Thị Hoa" in html and "to-khai.pdf" in html
    assert 'id="fee-total"' in html and "0 ₫" in html
    assert 'id="missing-list"' not in html

    response = citizen_client.post(response.url, {"version": dossier.version})
    dossier.refresh_from_db()
    assert dossier.status == "submitted" and dossier.code.startswith("HCM-26743-")
    assert response.status_code == 302
    assert response.url == reverse("my-dossier", kwargs={"code": dossier.code})
    assert dossier.reused_data["fields"] == ["full_name"]
    assert dossier.reused_data["documents"] == ["giay-to-tuy-than"]

    page = citizen_client.get(response.url)
    assert page.status_code == 200
    assert dossier.code in page.content.decode()
    assert any(dossier.code in str(m) for m in page.context["messages"])


def test_a_file_sent_by_mistake_is_removed_from_the_draft_and_from_the_disk(
    citizen_client, citizen, procedure, django_capture_on_commit_callbacks
):
    from procedures.models import DossierEvent
    from procedures.uploads import stored_exists

    dossier = start(citizen_client, procedure)
    draft_post(citizen_client, dossier, **{"doc_to-khai": pdf_upload("nham-file.pdf")})
    draft_post(citizen_client, dossier, **{"doc_to-khai": pdf_upload("to-khai.pdf")})
    wrong, right = dossier.documents.order_by("pk")
    html = citizen_client.get(reverse("dossier-draft", kwargs={"uuid": dossier.uuid})).content.decode()
    assert f'name="remove_document" value="{wrong.pk}"' in html
    # Enter in a field must save, not remove: the form's first submit button is "save".
    assert html.index('name="action" value="save"') < html.index('name="remove_document"')

    with_typing = {"f_partner_name": "Phạm Thị Hoa", "remove_document": str(wrong.pk)}
    with django_capture_on_commit_callbacks(execute=True):
        response = draft_post(citizen_client, dossier, **with_typing)
    assert response.status_code == 302
    assert response.url == reverse("dossier-draft", kwargs={"uuid": dossier.uuid}) + "#documents"
    assert list(dossier.documents.values_list("original_name", flat=True)) == ["to-khai.pdf"]
    assert not stored_exists(wrong.stored_name) and stored_exists(right.stored_name)
    dossier.refresh_from_db()
    assert dossier.form_data["partner_name"] == "Phạm Thị Hoa"  # what was typed is saved as well
    event = DossierEvent.objects.get(dossier=dossier, action="remove_document")
    assert event.actor == citizen and event.data["name"] == "nham-file.pdf" and event.data["sha256"] == wrong.sha256

    # The same button twice (a double click, another tab): a message, nothing else removed.
    response = draft_post(citizen_client, dossier, remove_document=str(wrong.pk))
    assert response.status_code == 302
    assert dossier.documents.count() == 1


def test_files_of_a_submitted_dossier_or_of_another_draft_cannot_be_removed(citizen_client, people, procedure):
    dossier = start(citizen_client, procedure)
    draft_post(citizen_client, dossier, **{"doc_to-khai": pdf_upload("to-khai.pdf")})
    other = submitted_dossier(procedure, people["079190004567"])
    others_file = other.documents.get()
    response = draft_post(citizen_client, dossier, remove_document=str(others_file.pk))
    assert response.status_code == 302 and "#documents" not in response.url
    assert other.documents.filter(pk=others_file.pk).exists()
    with pytest.raises(services.DossierError) as refused:
        services.document_remove(dossier=other, actor=people["079190004567"], document_id=others_file.pk)
    assert refused.value.code == "not_editable"
    assert other.documents.filter(pk=others_file.pk).exists()


def test_save_draft_keeps_the_answers_and_stays_on_the_draft(citizen_client, procedure):
    dossier = start(citizen_client, procedure)
    response = draft_post(citizen_client, dossier, f_partner_name="Phạm Thị Hoa")
    assert response.status_code == 302 and response.url == reverse("dossier-draft", kwargs={"uuid": dossier.uuid})
    page = citizen_client.get(response.url)
    assert 'value="Phạm Thị Hoa"' in page.content.decode()


def test_any_commune_level_unit_may_receive_the_dossier_wherever_the_citizen_lives(citizen_client, procedure):
    dossier = start(citizen_client, procedure)
    elsewhere = Unit.objects.get(code="26740")  # not the citizen's residence (26743)
    response = draft_post(citizen_client, dossier, receiving_unit=elsewhere.pk)
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.receiving_unit == elsewhere


def test_an_invalid_date_is_refused_but_other_answers_are_kept(citizen_client, procedure):
    procedure.form_fields = [
        *procedure.form_fields,
        {"name": "wedding_date", "label_vi": "Ngày cưới", "label_en": "Wedding date", "type": "date"},
    ]
    procedure.save()
    dossier = start(citizen_client, procedure)
    response = draft_post(citizen_client, dossier, f_partner_name="Phạm Thị Hoa", f_wedding_date="31/02/2026")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.form_data["partner_name"] == "Phạm Thị Hoa"
    assert "wedding_date" not in dossier.form_data
    draft_post(citizen_client, dossier, f_partner_name="Phạm Thị Hoa", f_wedding_date="2026-02-14")
    dossier.refresh_from_db()
    assert dossier.form_data["wedding_date"] == "2026-02-14"


def test_submitting_an_incomplete_dossier_returns_to_the_draft_with_the_missing_list(citizen_client, procedure):
    dossier = start(citizen_client, procedure)
    review_url = reverse("dossier-review", kwargs={"uuid": dossier.uuid})
    assert 'id="missing-list"' in citizen_client.get(review_url).content.decode()
    response = citizen_client.post(review_url)
    assert response.status_code == 302
    assert response.url == reverse("dossier-draft", kwargs={"uuid": dossier.uuid}) + "?incomplete=1"
    dossier.refresh_from_db()
    assert dossier.status == "draft" and dossier.code is None
    page = citizen_client.get(response.url).content.decode()
    assert 'id="missing-list"' in page and "Tờ khai" in page and "Họ tên người kết hôn" in page


def test_a_stale_review_is_not_submitted(citizen_client, procedure, citizen):
    dossier = start(citizen_client, procedure)
    draft_post(citizen_client, dossier, f_partner_name="A", **{"doc_to-khai": pdf_upload()})
    dossier.refresh_from_db()
    reviewed = dossier.version
    draft_post(citizen_client, dossier, f_partner_name="B")  # changed in another tab
    response = citizen_client.post(reverse("dossier-review", kwargs={"uuid": dossier.uuid}), {"version": reviewed})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "draft"


def test_a_second_submit_click_leads_to_the_filed_dossier(citizen_client, procedure):
    dossier = start(citizen_client, procedure)
    draft_post(citizen_client, dossier, f_partner_name="A", **{"doc_to-khai": pdf_upload()})
    url = reverse("dossier-review", kwargs={"uuid": dossier.uuid})
    citizen_client.post(url)
    response = citizen_client.post(url)
    dossier.refresh_from_db()
    assert response.status_code == 302 and response.url == reverse("my-dossier", kwargs={"code": dossier.code})
    assert dossier.events.filter(action="submit").count() == 1


def test_another_citizens_draft_is_404(citizen_client, people, procedure):
    other = client_for(people["079190004567"], eid_level=2)
    dossier = start(citizen_client, procedure)
    assert other.get(reverse("dossier-draft", kwargs={"uuid": dossier.uuid})).status_code == 404
    assert other.post(reverse("dossier-review", kwargs={"uuid": dossier.uuid})).status_code == 404
    dossier.refresh_from_db()
    assert dossier.status == "draft"


# --- my dossiers ----------------------------------------------------------------------


def test_my_dossiers_lists_drafts_and_filed_dossiers_of_the_citizen_only(citizen_client, citizen, people, procedure):
    filed = submitted_dossier(procedure, citizen)
    draft = start(citizen_client, procedure)
    theirs = submitted_dossier(procedure, people["079190004567"], unit_code="26740")
    response = citizen_client.get(reverse("my-dossiers"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("my-dossier", kwargs={"code": filed.code}) in html
    assert reverse("dossier-draft", kwargs={"uuid": draft.uuid}) in html
    assert theirs.code not in html
    assert "status-submitted" in html and "status-draft" in html


def _bulk_dossiers(procedure, citizen, count):
    unit = citizen.residence_unit
    statuses = ["draft", "submitted", "received", "processing", "supplement_requested", "result_returned"]
    Dossier.objects.bulk_create(
        [
            Dossier(
                procedure=procedure,
                applicant=citizen,
                receiving_unit=unit,
                handling_unit=None if i % 6 == 0 else unit,
                status=statuses[i % 6],
                code=None if i % 6 == 0 else f"HCM-26743-260115-{i:04d}",
            )
            for i in range(count)
        ]
    )


@pytest.mark.parametrize("size", [10, 500])
def test_my_dossiers_takes_a_fixed_number_of_queries(
    citizen_client, citizen, procedure, size, django_assert_max_num_queries
):
    _bulk_dossiers(procedure, citizen, size)
    citizen_client.get(reverse("my-dossiers"))  # warm the session
    with django_assert_max_num_queries(MY_DOSSIERS_QUERY_BUDGET):
        response = citizen_client.get(reverse("my-dossiers"))
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == min(size, 50) + 1


def test_my_dossiers_query_count_does_not_grow(citizen_client, citizen, procedure):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 60):
        Dossier.objects.all().delete()
        _bulk_dossiers(procedure, citizen, size)
        with CaptureQueriesContext(connection) as queries:
            citizen_client.get(reverse("my-dossiers"))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_my_dossiers_needs_login(client):
    response = client.get(reverse("my-dossiers"))
    assert response.status_code == 302 and response.url.startswith("/login/")


# --- one dossier ------------------------------------------------------------------------


def test_my_dossier_shows_status_units_and_timeline(citizen_client, dossier):
    response = citizen_client.get(reverse("my-dossier", kwargs={"code": dossier.code}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "status-submitted" in html and 'class="timeline"' in html
    assert [e.action for e in response.context["events"]] == ["create_draft", "submit", "route"]
    assert 'id="withdraw"' in html  # withdrawing is allowed while submitted


def test_another_citizens_dossier_is_404_not_403(people, dossier):
    other = client_for(people["079190004567"], eid_level=2)
    assert other.get(reverse("my-dossier", kwargs={"code": dossier.code})).status_code == 404
    assert other.get(reverse("my-dossier", kwargs={"code": "HCM-NOPE"})).status_code == 404
    assert (
        other.post(reverse("my-dossier-withdraw", kwargs={"code": dossier.code}), {"confirm": "on"}).status_code == 404
    )
    dossier.refresh_from_db()
    assert dossier.status == "submitted"


def test_the_timeline_hides_who_acted(citizen_client, dossier, people):
    officer = people["officer.benthanh"]
    services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    html = citizen_client.get(reverse("my-dossier", kwargs={"code": dossier.code})).content.decode()
    assert officer.full_name not in html


def test_an_apology_shows_the_reason_and_the_new_date(citizen_client, dossier, people):
    officer = people["officer.benthanh"]
    dossier = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    new_due = dossier.due_at + timedelta(days=5)
    services.dossier_transition(
        dossier=dossier, action="apologise", actor=officer, note="Chờ xác minh của cơ quan khác", new_due_at=new_due
    )
    html = citizen_client.get(reverse("my-dossier", kwargs={"code": dossier.code})).content.decode()
    assert 'class="message message-error apology"' in html
    assert "Chờ xác minh của cơ quan khác" in html
    from django.utils import timezone

    assert timezone.localtime(new_due).strftime("%d/%m/%Y %H:%M") in html


def test_the_result_is_downloadable_once_decided(citizen_client, dossier, people):
    officer = people["officer.benthanh"]
    for action in ("receive", "start_processing"):
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer)
    dossier = services.dossier_transition(
        dossier=dossier, action="decide", actor=officer, result_upload=pdf_upload("ket-qua.pdf")
    )
    html = citizen_client.get(reverse("my-dossier", kwargs={"code": dossier.code})).content.decode()
    result = dossier.documents.get(role="result")
    url = reverse("dossier-document", kwargs={"code": dossier.code, "doc_id": result.pk})
    assert 'id="result"' in html and url in html
    assert 'id="withdraw"' not in html  # too late to withdraw once decided
    response = citizen_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_supplement_flow_from_the_citizen_side(citizen_client, dossier, people):
    officer = people["officer.benthanh"]
    dossier = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    services.dossier_transition(
        dossier=dossier, action="request_supplement", actor=officer, note="Thiếu bản sao giấy khai sinh"
    )
    url = reverse("my-dossier", kwargs={"code": dossier.code})
    html = citizen_client.get(url).content.decode()
    assert 'id="supplement"' in html and "Thiếu bản sao giấy khai sinh" in html
    assert 'enctype="multipart/form-data"' in html

    supplement_url = reverse("my-dossier-supplement", kwargs={"code": dossier.code})
    assert citizen_client.post(supplement_url, {}).status_code == 400  # nothing sent
    response = citizen_client.post(
        supplement_url, {"files": [pdf_upload("khai-sinh.pdf"), pdf_upload("ban-sao.pdf")], "note": "Đã bổ sung"}
    )
    assert response.status_code == 302 and response.url == url
    dossier.refresh_from_db()
    assert dossier.status == "received" and dossier.paused_at is None
    assert sorted(dossier.documents.filter(role="supplement").values_list("original_name", flat=True)) == [
        "ban-sao.pdf",
        "khai-sinh.pdf",
    ]
    event = dossier.events.get(action="supplement")
    assert event.actor_id == dossier.applicant_id and event.note == "Đã bổ sung"
    assert 'id="supplement"' not in citizen_client.get(url).content.decode()


def test_a_supplement_is_refused_when_none_was_asked(citizen_client, dossier):
    response = citizen_client.post(
        reverse("my-dossier-supplement", kwargs={"code": dossier.code}), {"note": "Xin bổ sung"}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    assert not dossier.events.filter(action="supplement").exists()


def test_withdrawing_needs_confirmation_and_records_the_reason(citizen_client, dossier):
    url = reverse("my-dossier-withdraw", kwargs={"code": dossier.code})
    assert citizen_client.post(url, {"reason": "Nộp nhầm"}).status_code == 400
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    response = citizen_client.post(url, {"confirm": "on", "reason": "Nộp nhầm"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "withdrawn" and dossier.closed_at is not None
    assert dossier.events.get(action="withdraw").note == "Nộp nhầm"
    html = citizen_client.get(reverse("my-dossier", kwargs={"code": dossier.code})).content.decode()
    assert 'id="withdraw"' not in html and "status-withdrawn" in html


def test_withdrawing_twice_is_a_message_not_an_error(citizen_client, dossier):
    url = reverse("my-dossier-withdraw", kwargs={"code": dossier.code})
    citizen_client.post(url, {"confirm": "on"}, follow=True)
    response = citizen_client.post(url, {"confirm": "on"}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert dossier.events.filter(action="withdraw").count() == 1

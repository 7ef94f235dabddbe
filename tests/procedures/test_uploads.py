"""Uploads through the citizen's pages: checked by content, stored under generated names, nothing half saved;
downloads only for those who may view the dossier, always as attachments."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from govportal.tiers.models import Unit
from procedures import services
from procedures.models import DossierDocument, RequiredDocument
from procedures.uploads import MAX_UPLOAD_BYTES
from tests.procedures.conftest import PDF, PNG, client_for, pdf_upload

pytestmark = pytest.mark.django_db

SCRIPT = b"#!/bin/sh\nrm -rf /\n"


def media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    """A media folder of this test's own, so "no file was written" is checked exactly."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def draft(citizen, procedure):
    dossier = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=citizen.residence_unit, eid_level=2
    )
    services.dossier_prefill_from_registry(dossier=dossier, actor=citizen)
    return dossier


def post_draft(client, dossier, **data):
    return client.post(
        reverse("dossier-draft", kwargs={"uuid": dossier.uuid}),
        {"receiving_unit": dossier.receiving_unit_id, "action": "save", **data},
    )


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_script_renamed_pdf_is_refused_and_the_typed_answers_are_kept(citizen_client, draft):
    before = media_files()
    response = post_draft(
        citizen_client, draft, f_partner_name="Phạm Thị Hoa", **{"doc_to-khai": upload("giay.pdf", SCRIPT)}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["doc_to-khai"]
    assert len(errors) == 1 and "giay.pdf" in errors[0]
    html = response.content.decode()
    assert "giay.pdf" in html and 'aria-invalid="true"' in html
    assert 'value="Phạm Thị Hoa"' in html  # the page shows what was typed
    draft.refresh_from_db()
    assert draft.form_data["partner_name"] == "Phạm Thị Hoa"  # and it is saved
    assert not DossierDocument.objects.filter(dossier=draft).exists()
    assert media_files() == before


def test_an_oversize_file_is_refused_with_its_name(citizen_client, draft):
    before = media_files()
    big = upload("ban-scan.pdf", b"%PDF-" + b"\0" * MAX_UPLOAD_BYTES)
    response = post_draft(citizen_client, draft, f_partner_name="Phạm Thị Hoa", **{"doc_to-khai": big})
    assert response.status_code == 400
    assert "ban-scan.pdf" in response.context["form"].errors["doc_to-khai"][0]
    assert not DossierDocument.objects.filter(dossier=draft).exists()
    assert media_files() == before
    draft.refresh_from_db()
    assert draft.form_data["partner_name"] == "Phạm Thị Hoa"


def test_a_path_in_the_file_name_is_only_a_label(citizen_client, draft):
    response = post_draft(citizen_client, draft, **{"doc_to-khai": upload("../../etc/passwd.pdf", PDF)})
    assert response.status_code == 302
    document = DossierDocument.objects.get(dossier=draft)
    assert document.original_name == "passwd.pdf"
    assert "passwd" not in document.stored_name and ".." not in document.stored_name
    media_root = Path(settings.MEDIA_ROOT).resolve()
    stored = (media_root / document.stored_name).resolve()
    assert media_root in stored.parents and stored.read_bytes() == PDF


def test_the_type_comes_from_the_content_not_the_name(citizen_client, draft):
    response = post_draft(citizen_client, draft, **{"doc_to-khai": upload("anh.pdf", PNG, "application/pdf")})
    assert response.status_code == 302
    document = DossierDocument.objects.get(dossier=draft)
    assert document.content_type == "image/png" and document.stored_name.endswith(".png")


def test_a_refused_file_does_not_lose_the_accepted_one(citizen_client, draft, procedure):
    RequiredDocument.objects.create(procedure=procedure, key="anh", name_vi="Ảnh chân dung", name_en="Photo")
    response = post_draft(
        citizen_client,
        draft,
        **{"doc_to-khai": upload("to-khai.pdf", PDF), "doc_anh": upload("anh.pdf", SCRIPT)},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"doc_anh"}
    assert list(DossierDocument.objects.filter(dossier=draft).values_list("key", flat=True)) == ["to-khai"]
    assert "to-khai.pdf" in response.content.decode()  # listed as already sent


def test_a_refused_supplement_file_sends_nothing(citizen_client, dossier, people):
    officer = people["officer.benthanh"]
    dossier = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    services.dossier_transition(dossier=dossier, action="request_supplement", actor=officer, note="Thiếu bản sao")
    response = citizen_client.post(
        reverse("my-dossier-supplement", kwargs={"code": dossier.code}),
        {"files": [upload("bo-sung.pdf", SCRIPT)], "note": "Đây"},
    )
    assert response.status_code == 400
    assert "bo-sung.pdf" in response.context["supplement_form"].errors["files"][0]
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested"
    assert not dossier.documents.filter(role="supplement").exists()


# --- downloads ------------------------------------------------------------------------


def document_url(dossier, document):
    return reverse("dossier-document", kwargs={"code": dossier.code, "doc_id": document.pk})


def test_the_applicant_downloads_a_file_as_an_attachment(citizen_client, dossier):
    document = dossier.documents.get()
    response = citizen_client.get(document_url(dossier, document))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert document.original_name in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_officers_of_the_unit_use_the_same_url(officer_client, dossier):
    response = officer_client.get(document_url(dossier, dossier.documents.get()))
    assert response.status_code == 200


def test_another_citizen_or_another_units_officer_gets_404(people, dossier):
    url = document_url(dossier, dossier.documents.get())
    assert client_for(people["079190004567"], eid_level=2).get(url).status_code == 404
    assert client_for(people["officer.saigon"]).get(url).status_code == 404


def test_a_document_of_another_dossier_is_404(citizen_client, dossier, procedure, citizen):
    from tests.procedures.conftest import submitted_dossier

    other = submitted_dossier(procedure, citizen)
    foreign = other.documents.get()
    assert citizen_client.get(document_url(dossier, foreign)).status_code == 404


def test_anonymous_downloads_go_to_the_login(client, dossier):
    response = client.get(document_url(dossier, dossier.documents.get()))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_unicode_name_survives_the_download(citizen_client, citizen, procedure):
    dossier = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=Unit.objects.get(code="26743"), eid_level=2
    )
    services.dossier_prefill_from_registry(dossier=dossier, actor=citizen)
    services.dossier_draft_update(dossier=dossier, actor=citizen, form_data={"partner_name": "Hoa"})
    services.document_attach(dossier=dossier, actor=citizen, upload=pdf_upload("Tờ khai kết hôn.pdf"), key="to-khai")
    dossier = services.dossier_transition(dossier=dossier, action="submit", actor=citizen, eid_level=2)
    response = citizen_client.get(document_url(dossier, dossier.documents.get()))
    assert response.status_code == 200
    assert "filename*=utf-8''T%E1%BB%9D" in response["Content-Disposition"]


def stored_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def test_a_decision_that_fails_to_record_leaves_no_result_file_behind(dossier, people, monkeypatch):
    officer = people["officer.benthanh"]
    for action in ("receive", "start_processing"):
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer)
    files_before = stored_files()
    real_event = services.dossier_event_append

    def failing_event(**kwargs):
        if kwargs["action"] == "decide":
            raise RuntimeError("the database went away")
        return real_event(**kwargs)

    monkeypatch.setattr(services, "dossier_event_append", failing_event)
    with pytest.raises(RuntimeError):
        services.dossier_transition(dossier=dossier, action="decide", actor=officer, result_upload=pdf_upload("kq.pdf"))
    assert stored_files() == files_before
    dossier.refresh_from_db()
    assert dossier.status == "processing" and not dossier.documents.filter(role="result").exists()

"""Dossiers' files go through Django's storage API (the "dossiers" storage), never open() on a local disk,
so any web container serves a file another one received, whatever the storage (file system, S3-compatible).

The storage is swapped here for one the local disk does not back (an in-memory
storage, or a file-system storage away from MEDIA_ROOT): a file must then be
found there, and nowhere under MEDIA_ROOT.
"""

import ast
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from procedures import services
from procedures.models import DossierDocument
from tests.procedures.conftest import PDF, PNG, client_for, pdf_upload

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
API = "/api/v1/dossiers/"
RESULT = b"%PDF-1.7\n% the decision, signed\n%%EOF\n"


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def memory_storage(settings, media_root):
    """The dossiers storage in memory: nothing a local open() could reach."""
    settings.STORAGES = {**settings.STORAGES, "dossiers": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    return storages["dossiers"]


@pytest.fixture
def draft(citizen, procedure):
    dossier = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=citizen.residence_unit, eid_level=2
    )
    services.dossier_prefill_from_registry(dossier=dossier, actor=citizen)
    return dossier


def document_url(dossier, document):
    return reverse("dossier-document", kwargs={"code": dossier.code, "doc_id": document.pk})


def test_a_file_sent_on_the_draft_page_is_kept_by_the_storage_and_downloaded_from_it(
    citizen_client, draft, memory_storage, media_root
):
    response = citizen_client.post(
        reverse("dossier-draft", kwargs={"uuid": draft.uuid}),
        {
            "receiving_unit": draft.receiving_unit_id,
            "action": "save",
            "f_partner_name": "Phạm Thị Hoa",
            "doc_to-khai": SimpleUploadedFile("to-khai.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    document = DossierDocument.objects.get(dossier=draft)
    assert document.stored_name.startswith("dossiers/") and document.stored_name.endswith(".png")
    assert "to-khai" not in document.stored_name  # a random name, whatever the storage
    assert memory_storage.exists(document.stored_name)
    with memory_storage.open(document.stored_name, "rb") as handle:
        assert handle.read() == PNG
    assert files_under(media_root) == []  # nothing written to the local disk

    dossier = services.dossier_transition(dossier=draft, action="submit", actor=draft.applicant, eid_level=2)
    download = citizen_client.get(document_url(dossier, document))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment") and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


def test_a_file_sent_through_the_api_is_stored_and_its_removal_discards_it_from_the_storage(
    citizen_client, procedure, memory_storage, django_capture_on_commit_callbacks
):
    uuid = citizen_client.post(
        API, {"procedure": procedure.code, "receiving_unit": "26743", "form_data": {}}, content_type="application/json"
    ).json()["uuid"]
    url = f"{API}drafts/{uuid}/documents/"
    created = citizen_client.post(url, {"key": "to-khai", "file": pdf_upload("ban-scan.pdf")})
    assert created.status_code == 201
    stored_name = DossierDocument.objects.get(pk=created.json()["id"]).stored_name
    with memory_storage.open(stored_name, "rb") as handle:
        assert handle.read() == PDF

    with django_capture_on_commit_callbacks(execute=True):
        assert citizen_client.delete(f"{url}{created.json()['id']}/").status_code == 204
    assert not memory_storage.exists(stored_name)


def test_a_refused_file_leaves_nothing_in_the_storage(citizen_client, draft, memory_storage):
    response = citizen_client.post(
        reverse("dossier-draft", kwargs={"uuid": draft.uuid}),
        {
            "receiving_unit": draft.receiving_unit_id,
            "action": "save",
            "doc_to-khai": SimpleUploadedFile("to-khai.pdf", b"#!/bin/sh\n", content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    assert not memory_storage.exists("dossiers")  # not even a folder


def test_the_result_file_is_stored_and_only_those_who_may_see_the_dossier_download_it(
    people, dossier, citizen_client, settings, tmp_path, media_root
):
    """A file-system storage on a shared mount (not MEDIA_ROOT), as several web containers would use."""
    shared = tmp_path / "shared-mount"
    settings.STORAGES = {
        **settings.STORAGES,
        "dossiers": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": shared}},
    }
    officer = people["officer.benthanh"]
    for action in ("receive", "start_processing"):
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer)
    response = client_for(officer).post(
        reverse("workbench-action", args=[dossier.code, "decide"]),
        {"decide-version": dossier.version, "decide-result": pdf_upload("ket-qua.pdf", RESULT)},
    )
    assert response.status_code == 302
    result = dossier.documents.get(role="result")
    assert (shared / result.stored_name).read_bytes() == RESULT
    assert files_under(media_root) == []

    download = citizen_client.get(document_url(dossier, result))
    assert download.status_code == 200 and b"".join(download.streaming_content) == RESULT
    assert client_for(people["officer.saigon"]).get(document_url(dossier, result)).status_code == 404


def test_a_file_missing_from_the_storage_is_a_404_not_an_error(citizen_client, dossier, memory_storage):
    # The dossier's file was stored before the swap: the in-memory storage does not have it.
    assert citizen_client.get(document_url(dossier, dossier.documents.get())).status_code == 404


def test_a_stored_name_that_climbs_out_of_the_storage_is_never_served(citizen_client, dossier, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(PDF)
    document = dossier.documents.get()
    DossierDocument.objects.filter(pk=document.pk).update(stored_name="../secret.pdf")
    assert citizen_client.get(document_url(dossier, document)).status_code == 404


def test_no_application_code_opens_files_on_a_local_disk():
    """Guard: dossiers' files are reached through the storage only (no open(), no MEDIA_ROOT paths)."""
    offenders = []
    for app in ("procedures", "feedback", "payments"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            if "MEDIA_ROOT" in source:
                offenders.append(f"{path.relative_to(ROOT)}: MEDIA_ROOT")
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: open()")
    assert offenders == []

"""Drill: the disk fills up while an upload is stored.

The dossiers' storage is pointed at a real 64 KiB tmpfs, nearly filled first,
so that the write of a citizen's file fails half-way with ENOSPC, as on a full
disk. The citizen is told (API: 507 `storage_full`; the draft page: a form
error), and nothing is half-saved: no document row, no partial file. Once
space is freed the same upload succeeds.
"""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import require
from tests.drills.conftest import report
from tests.procedures.conftest import client_for, make_procedure

pytestmark = [pytest.mark.drill]

API = "/api/v1/dossiers/"
# A PDF larger than what is left on the disk once the filler is written.
BIG_PDF = b"%PDF-1.4\n" + os.urandom(40 * 1024) + b"\n%%EOF\n"
FILLER_BYTES = 36 * 1024


@pytest.fixture
def citizen_client(demo_users, population):
    from identity.models import User

    return client_for(User.objects.get(username="079085001234"), eid_level=2)


@pytest.fixture
def procedure(units):
    return make_procedure()


def files_on(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root) for folder, _, names in os.walk(root) for name in names
    )


def noisy_png() -> SimpleUploadedFile:
    """A photo whose cleaned copy is still ~50 KB (random pixels do not compress)."""
    from PIL import Image

    image = Image.frombytes("RGB", (128, 128), os.urandom(128 * 128 * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile("anh.png", out.getvalue(), content_type="image/png")


def test_a_full_disk_refuses_the_upload_cleanly_and_leaves_nothing_half_saved(
    citizen_client, procedure, settings, tiny_disk
):
    require("postgres")
    from feedback.photos import store_photo
    from govportal.api.errors import ApplicationError
    from procedures.models import DossierDocument

    settings.MEDIA_ROOT = tiny_disk
    filler = tiny_disk / "filler.bin"
    filler.write_bytes(b"\0" * FILLER_BYTES)

    draft = citizen_client.post(
        API, {"procedure": procedure.code, "receiving_unit": "26743", "form_data": {}}, content_type="application/json"
    ).json()["uuid"]
    url = f"{API}drafts/{draft}/documents/"

    # The API: 507 with a stable code and a message.
    started = time.monotonic()
    answer = citizen_client.post(url, {"key": "to-khai", "file": SimpleUploadedFile("a.pdf", BIG_PDF)})
    api_seconds = time.monotonic() - started
    assert answer.status_code == 507, answer.content[:500]
    assert answer.json()["code"] == "storage_full" and answer.json()["detail"]
    assert DossierDocument.objects.count() == 0
    assert files_on(tiny_disk) == ["filler.bin"]  # the partial file was removed

    # The draft page: the same refusal as a form error on the page (no 500).
    page = citizen_client.post(
        reverse("dossier-draft", kwargs={"uuid": draft}),
        {"receiving_unit": "26743", "action": "save", "doc_to-khai": SimpleUploadedFile("b.pdf", BIG_PDF)},
    )
    assert page.status_code == 400
    assert DossierDocument.objects.count() == 0
    assert files_on(tiny_disk) == ["filler.bin"]

    # A 1022 report's photo (same storage by default): refused the same way, nothing left.
    with pytest.raises(ApplicationError) as refused:
        store_photo(noisy_png())
    assert refused.value.code == "storage_full" and refused.value.status_code == 507
    assert files_on(tiny_disk) == ["filler.bin"]

    # Space freed (an operator's clean-up): the same upload is stored, once.
    filler.unlink()
    again = citizen_client.post(url, {"key": "to-khai", "file": SimpleUploadedFile("a.pdf", BIG_PDF)})
    assert again.status_code == 201, again.content[:500]
    document = DossierDocument.objects.get()
    assert files_on(tiny_disk) == [document.stored_name]
    assert (tiny_disk / document.stored_name).read_bytes() == BIG_PDF
    report(
        "disk-full",
        disk="tmpfs 64 KiB (real ENOSPC)",
        api_status=answer.status_code,
        api_answer_seconds=f"{api_seconds:.2f}",
        page_status=page.status_code,
        document_rows_after_refusals=0,
        orphan_files=0,
        upload_after_cleanup=again.status_code,
    )

"""A first walk through the services: file, receive, supplement, decide, return."""

import pytest

from procedures import services
from tests.procedures.conftest import pdf_upload

pytestmark = pytest.mark.django_db


def test_the_whole_lifecycle_through_the_services(dossier, citizen, people):
    officer = people["officer.benthanh"]
    assert dossier.code.startswith("HCM-26743-")
    assert dossier.status == "submitted"
    assert dossier.handling_unit.code == "26743"
    assert dossier.reused_data["documents"] == ["giay-to-tuy-than"]
    assert dossier.form_data["full_name"] == "Nguyễn Văn An"
    d = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    assert d.status == "received" and d.due_at is not None
    d = services.dossier_transition(dossier=d, action="request_supplement", actor=officer, note="Thiếu bản sao")
    assert d.status == "supplement_requested" and d.paused_at is not None
    services.document_attach(dossier=d, actor=citizen, upload=pdf_upload("bo-sung.pdf"), role="supplement")
    d = services.dossier_transition(dossier=d, action="supplement", actor=citizen)
    assert d.status == "received" and d.paused_at is None
    d = services.dossier_transition(dossier=d, action="start_processing", actor=officer)
    assert d.assigned_to == officer
    d = services.dossier_transition(dossier=d, action="decide", actor=officer, result_upload=pdf_upload("kq.pdf"))
    assert d.status == "decided" and d.documents.filter(role="result").count() == 1
    d = services.dossier_transition(dossier=d, action="return_result", actor=officer)
    assert d.status == "result_returned"
    assert list(d.events.values_list("action", flat=True)) == [
        "create_draft",
        "submit",
        "route",
        "receive",
        "request_supplement",
        "supplement",
        "start_processing",
        "decide",
        "return_result",
    ]

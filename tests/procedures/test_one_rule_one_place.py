"""Issue 8, item 3: every rule is checked once, in the service, and page and API both meet it.

Each test drives a door (the citizen's pages, the officer's workbench, the API)
the way its user does and checks what the service decided.
"""

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from govportal.tiers.models import Unit
from identity import access
from identity.registry.base import CitizenRegistry
from procedures import services, workflow
from procedures.models import Dossier, DossierEvent
from tests.procedures.conftest import client_for, make_procedure, pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

API = "/api/v1/dossiers/"


def officer_acts(dossier, people, *actions):
    officer = people["officer.benthanh"]
    for action in actions:
        extra = {"result_upload": pdf_upload("ket-qua.pdf")} if action == "decide" else {}
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer, **extra)
    return dossier


# --- 1. attaching files: status and owner are the service's ----------------------------------


def test_the_supplement_page_adds_no_file_to_a_decided_dossier(dossier, people, citizen_client):
    decided = officer_acts(dossier, people, "receive", "start_processing", "decide")
    files_before = decided.documents.count()
    response = citizen_client.post(
        reverse("my-dossier-supplement", args=[decided.code]),
        {"files": pdf_upload("bo-sung.pdf"), "note": "Gửi thêm giấy tờ"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("my-dossier", args=[decided.code])
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert decided.documents.count() == files_before
    assert not decided.documents.filter(role="supplement").exists()


def test_the_api_gets_the_same_refusal_from_the_service(dossier, people, citizen_client):
    decided = officer_acts(dossier, people, "receive", "start_processing", "decide")
    response = citizen_client.post(f"{API}{decided.code}/documents/", {"file": pdf_upload("bo-sung.pdf")})
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"
    assert not decided.documents.filter(role="supplement").exists()


def test_a_supplement_is_accepted_while_it_is_requested(dossier, people, citizen_client):
    waiting = services.dossier_transition(
        dossier=officer_acts(dossier, people, "receive"),
        action="request_supplement",
        actor=people["officer.benthanh"],
        note="Thiếu bản sao",
    )
    response = citizen_client.post(
        reverse("my-dossier-supplement", args=[waiting.code]), {"files": pdf_upload("bo-sung.pdf")}
    )
    assert response.status_code == 302
    assert waiting.documents.filter(role="supplement").count() == 1


def test_only_the_applicant_attaches_and_results_come_only_with_the_decision(dossier, people):
    waiting = services.dossier_transition(
        dossier=officer_acts(dossier, people, "receive"),
        action="request_supplement",
        actor=people["officer.benthanh"],
        note="Thiếu bản sao",
    )
    with pytest.raises(services.DossierError) as caught:
        services.document_attach(
            dossier=waiting, actor=people["officer.benthanh"], upload=pdf_upload(), role="supplement"
        )
    assert caught.value.code == "not_editable"
    with pytest.raises(services.DossierError) as caught:
        services.document_attach(dossier=waiting, actor=waiting.applicant, upload=pdf_upload(), role="result")
    assert caught.value.code == "not_editable"
    assert not waiting.documents.filter(role__in=["supplement", "result"]).exists()


# --- 2. one service starts a draft, for the page and the API -----------------------------------


class UnreachableRegistry(CitizenRegistry):
    """The national population database is down (the network, not our code)."""

    def lookup(self, personal_id):
        raise ConnectionError("population database unreachable")


@pytest.mark.parametrize("door", ["page", "api"])
def test_a_registry_failure_leaves_no_half_made_draft(door, citizen, procedure, settings):
    settings.CITIZEN_REGISTRY_BACKEND = f"{__name__}.UnreachableRegistry"
    client = client_for(citizen, eid_level=2)
    client.raise_request_exception = False
    unit = Unit.objects.get(code="26743")
    if door == "page":
        response = client.post(reverse("dossier-start", args=[procedure.code]), {"receiving_unit": unit.pk})
    else:
        response = client.post(
            API, {"procedure": procedure.code, "receiving_unit": unit.code}, content_type="application/json"
        )
    assert response.status_code == 500
    assert not Dossier.objects.exists()
    assert not DossierEvent.objects.exists()


def test_the_page_starts_the_draft_with_the_registry_data(citizen_client, procedure):
    unit = Unit.objects.get(code="26743")
    response = citizen_client.post(reverse("dossier-start", args=[procedure.code]), {"receiving_unit": unit.pk})
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.form_data == {"full_name": "Nguyễn Văn An"}
    assert dossier.reused_data["fields"] == ["full_name"]


# --- 3. the form's field rules, on every door --------------------------------------------------


@pytest.fixture
def typed_procedure(units):
    procedure = make_procedure(code="2.000815")
    procedure.form_fields = [
        *procedure.form_fields,
        {"name": "copies", "label_vi": "Số bản sao", "label_en": "Copies", "type": "number", "required": True},
        {"name": "wedding_date", "label_vi": "Ngày cưới", "label_en": "Wedding date", "type": "date"},
    ]
    procedure.save()
    return procedure


def new_draft(client, procedure, **form_data):
    return client.post(
        API,
        {"procedure": procedure.code, "receiving_unit": "26743", "form_data": form_data},
        content_type="application/json",
    )


def test_the_api_refuses_values_the_web_form_refuses(citizen_client, typed_procedure):
    response = new_draft(citizen_client, typed_procedure, partner_name="Phạm Thị Hoa", copies="abc")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]["form_data"]) == ["copies"]
    assert not Dossier.objects.exists()

    uuid = new_draft(citizen_client, typed_procedure, copies="2").json()["uuid"]
    response = citizen_client.patch(
        f"{API}drafts/{uuid}/", {"form_data": {"wedding_date": "2020-02-30"}}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]["form_data"]) == ["wedding_date"]
    assert "wedding_date" not in Dossier.objects.get(uuid=uuid).form_data

    # What the web form accepts, the API accepts too, stored the same way.
    response = citizen_client.patch(
        f"{API}drafts/{uuid}/",
        {"form_data": {"wedding_date": "14/02/2026", "copies": "3.0"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["form_data"]["wedding_date"] == "2026-02-14"
    assert response.json()["form_data"]["copies"] == "3"


def test_the_web_form_refuses_the_same_values_by_field(citizen_client, typed_procedure):
    uuid = new_draft(citizen_client, typed_procedure).json()["uuid"]
    response = citizen_client.post(
        reverse("dossier-draft", kwargs={"uuid": uuid}),
        {"receiving_unit": Unit.objects.get(code="26743").pk, "f_copies": "abc", "f_wedding_date": "30/02/2020"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"f_copies", "f_wedding_date"}


def complete_api_draft(client, procedure, **form_data):
    uuid = new_draft(client, procedure, partner_name="Phạm Thị Hoa", copies="2", **form_data).json()["uuid"]
    response = client.post(f"{API}drafts/{uuid}/documents/", {"key": "to-khai", "file": pdf_upload()})
    assert response.status_code == 201
    return Dossier.objects.get(uuid=uuid)


def test_a_bad_value_already_stored_is_not_submitted(citizen_client, typed_procedure):
    draft = complete_api_draft(citizen_client, typed_procedure)
    # A value saved before the rules were checked on every door (or written by an old client).
    Dossier.objects.filter(pk=draft.pk).update(form_data={**draft.form_data, "copies": "abc"})

    response = citizen_client.post(f"{API}drafts/{draft.uuid}/submit/")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]["form_data"]) == ["copies"]

    review = reverse("dossier-review", kwargs={"uuid": draft.uuid})
    response = citizen_client.post(review)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.code is None
    page = citizen_client.get(review)
    assert page.context["rows"][2]["errors"]  # the "copies" row says what is wrong
    assert 'class="error"' in page.content.decode()


# --- 4. the e-ID level is checked at submission too ---------------------------------------------


def test_a_level_1_session_cannot_submit_a_draft_made_at_level_2(citizen, typed_procedure):
    draft = complete_api_draft(client_for(citizen, eid_level=2), typed_procedure)
    low = client_for(citizen, eid_level=1)

    response = low.post(f"{API}drafts/{draft.uuid}/submit/")
    assert response.status_code == 403
    assert response.json()["code"] == "eid_level_too_low"

    response = low.post(reverse("dossier-review", kwargs={"uuid": draft.uuid}))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.code is None

    response = client_for(citizen, eid_level=2).post(f"{API}drafts/{draft.uuid}/submit/")
    assert response.status_code == 200, response.json()


def test_the_service_refuses_a_submission_without_a_level(procedure, citizen):
    with pytest.raises(services.DossierError) as caught:
        submitted_dossier_without_level(procedure, citizen)
    assert caught.value.code == "eid_level_too_low" and caught.value.status_code == 403


def submitted_dossier_without_level(procedure, citizen):
    draft = services.dossier_start(
        procedure=procedure,
        applicant=citizen,
        receiving_unit=Unit.objects.get(code="26743"),
        eid_level=2,
        form_data={"partner_name": "Phạm Thị Hoa"},
    )
    services.document_attach(dossier=draft, actor=citizen, upload=pdf_upload(), key="to-khai")
    return services.dossier_transition(dossier=draft, action="submit", actor=citizen)


# --- 5. who may act: identity.access only; the page and the API offer the same actions ---------


def workbench_actions(client, dossier) -> list[str]:
    response = client.get(reverse("workbench-dossier", args=[dossier.code]))
    assert response.status_code == 200
    return [form.rule.action for form in response.context["action_forms"]]


def api_actions(client, dossier) -> list[str]:
    response = client.get(f"{API}{dossier.code}/")
    assert response.status_code == 200
    return response.json()["available_actions"]


def test_a_pending_transfers_unit_is_staff_on_the_api_and_is_offered_the_answer(dossier, people):
    received = officer_acts(dossier, people, "receive")
    pending = services.dossier_transition(
        dossier=received,
        action="transfer",
        actor=people["officer.benthanh"],
        unit=Unit.objects.get(code="26740"),
        reason="wrong_area",
        note="Không thuộc địa bàn",
    )
    target = client_for(people["officer.saigon"])
    events = target.get(f"{API}{pending.code}/events/").json()
    transfer = next(e for e in events if e["action"] == "transfer")
    assert transfer["actor"] is not None  # staff see who acted
    assert transfer["data"] is not None

    assert api_actions(target, pending) == workbench_actions(target, pending)
    assert {"accept_transfer", "return_transfer"} <= set(api_actions(target, pending))
    sender = client_for(people["officer.benthanh"])
    assert "accept_transfer" not in api_actions(sender, pending)
    assert api_actions(sender, pending) == workbench_actions(sender, pending)


def test_actions_the_service_would_refuse_are_not_offered(dossier, people):
    # A 0 ₫ procedure: asking for payment is refused by the service, so neither door offers it.
    received = officer_acts(dossier, people, "receive")
    assert "require_payment" in {rule.action for rule in workflow.actions_from(received.status)}
    assert services.action_refusal(received, "require_payment") is not None
    for username in ("officer.benthanh", "head.benthanh"):
        client = client_for(people[username])
        offered = workbench_actions(client, received)
        assert "require_payment" not in offered
        assert api_actions(client, received) == offered
        for action in offered:
            assert services.action_refusal(received, action) is None


def test_the_citizen_sees_the_actions_that_are_theirs(dossier, citizen_client):
    assert api_actions(citizen_client, dossier) == ["withdraw"]


def test_the_access_roles_are_the_workflow_actors():
    assert {access.APPLICANT, access.CASE_STAFF, access.CASE_HEAD, access.TARGET_STAFF} == {
        workflow.APPLICANT,
        workflow.STAFF,
        workflow.HEAD,
        workflow.TARGET_STAFF,
    }


# --- 6. one public writer of events ------------------------------------------------------------


def test_no_module_imports_another_modules_private_names():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted((root / "procedures").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("procedures"):
                offenders += [f"{path.name}: {alias.name}" for alias in node.names if alias.name.startswith("_")]
    assert offenders == []


def test_routing_writes_its_event_through_the_public_writer(procedure, citizen):
    dossier = submitted_dossier(procedure, citizen)
    route = dossier.events.get(action="route")
    assert route.actor is None and route.from_status == route.to_status == "submitted"
    assert not hasattr(services, "_event")

"""The dossiers API: filing, visibility (404, never 403, for others' dossiers), the timeline, actions, errors."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from identity.services import api_token_issue
from procedures import services
from procedures.models import Dossier, DossierDocument
from procedures.uploads import stored_exists
from tests.procedures.conftest import PNG, client_for, pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

API = "/api/v1/dossiers/"


def receive(dossier, people):
    return services.dossier_transition(dossier=dossier, action="receive", actor=people["officer.benthanh"])


def bearer(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")
    return api


def new_draft(client, procedure, **form_data):
    return client.post(
        API,
        {"procedure": procedure.code, "receiving_unit": "26743", "form_data": form_data},
        content_type="application/json",
    )


# --- filing --------------------------------------------------------------------------


def test_citizen_files_a_dossier_draft_upload_submit(citizen_client, procedure, django_capture_on_commit_callbacks):
    response = new_draft(citizen_client, procedure, partner_name="Phạm Thị Hoa")
    assert response.status_code == 201, response.json()
    draft = response.json()
    assert draft["status"] == "draft"
    assert draft["form_data"] == {"partner_name": "Phạm Thị Hoa", "full_name": "Nguyễn Văn An"}
    assert draft["reused_data"]["fields"] == ["full_name"]
    assert draft["reused_data"]["documents"] == ["giay-to-tuy-than"]
    assert draft["missing"] == ["Tờ khai"]

    response = citizen_client.post(f"{API}drafts/{draft['uuid']}/documents/", {"key": "to-khai", "file": pdf_upload()})
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "application/pdf"
    assert citizen_client.get(f"{API}drafts/{draft['uuid']}/").json()["missing"] == []

    with django_capture_on_commit_callbacks(execute=True):
        response = citizen_client.post(f"{API}drafts/{draft['uuid']}/submit/")
    assert response.status_code == 200, response.json()
    assert response.json()["code"].startswith("HCM-26743-")
    assert response.json()["status"] == "submitted"
    # Routing runs in a task after the submission is committed.
    assert response.json()["handling_unit"] is None
    assert citizen_client.get(f"{API}{response.json()['code']}/").json()["handling_unit"]["code"] == "26743"


def test_draft_can_be_saved_again_before_submitting(citizen_client, procedure):
    uuid = new_draft(citizen_client, procedure).json()["uuid"]
    response = citizen_client.patch(
        f"{API}drafts/{uuid}/", {"form_data": {"partner_name": "Hoa"}}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["form_data"]["partner_name"] == "Hoa"


def test_submitting_an_incomplete_draft_lists_what_is_missing(citizen_client, procedure):
    uuid = new_draft(citizen_client, procedure).json()["uuid"]
    response = citizen_client.post(f"{API}drafts/{uuid}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "incomplete"
    assert set(body["missing"]) == {"Họ tên người kết hôn", "Tờ khai"}


def test_filing_uses_the_e_id_level_of_the_session(citizen, procedure):
    response = new_draft(client_for(citizen, eid_level=1), procedure)
    assert response.status_code == 403
    assert response.json()["code"] == "eid_level_too_low"
    # A session without an e-ID login (no level) cannot file a level-2 procedure either.
    assert new_draft(client_for(citizen), procedure).json()["code"] == "eid_level_too_low"


def test_filing_with_a_bearer_token_uses_the_accounts_e_id_level(citizen, procedure):
    api = bearer(citizen)
    body = {"procedure": procedure.code, "receiving_unit": "26743", "form_data": {}}
    assert api.post(API, body, format="json").status_code == 201
    citizen.eid_level = 1
    citizen.save(update_fields=["eid_level"])
    response = api.post(API, body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "eid_level_too_low"


def test_only_citizens_file_dossiers(officer_client, procedure):
    response = new_draft(officer_client, procedure)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Dossier.objects.exists()


def test_filing_refuses_unknown_procedure_unit_and_form_fields(citizen_client, procedure):
    response = citizen_client.post(
        API, {"procedure": "nope", "receiving_unit": "00000"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == {"procedure", "receiving_unit"}
    response = new_draft(citizen_client, procedure, favourite_colour="red")
    assert response.status_code == 400
    assert "form_data" in response.json()["errors"]
    assert not Dossier.objects.exists()


def test_filing_an_inactive_procedure_says_so(citizen_client, procedure):
    procedure.is_active = False
    procedure.save()
    response = new_draft(citizen_client, procedure)
    assert response.status_code == 400
    assert response.json()["code"] == "procedure_inactive"


def test_a_document_is_removed_from_a_draft_only(citizen_client, people, procedure, django_capture_on_commit_callbacks):
    uuid = new_draft(citizen_client, procedure).json()["uuid"]
    url = f"{API}drafts/{uuid}/documents/"
    document = citizen_client.post(url, {"key": "to-khai", "file": pdf_upload()}).json()
    stored_name = DossierDocument.objects.get(pk=document["id"]).stored_name
    assert stored_exists(stored_name)
    other = client_for(people["079190004567"], eid_level=2)
    assert other.delete(f"{url}{document['id']}/").json()["code"] == "not_found"
    with django_capture_on_commit_callbacks(execute=True):
        assert citizen_client.delete(f"{url}{document['id']}/").status_code == 204
    assert "Tờ khai" in citizen_client.get(f"{API}drafts/{uuid}/").json()["missing"]
    assert not DossierDocument.objects.filter(pk=document["id"]).exists()
    assert not stored_exists(stored_name)
    response = citizen_client.delete(f"{url}{document['id']}/")
    assert response.status_code == 404 and response.json()["code"] == "document_not_found"


def test_upload_is_checked_by_content_and_key(citizen_client, procedure):
    uuid = new_draft(citizen_client, procedure).json()["uuid"]
    url = f"{API}drafts/{uuid}/documents/"
    fake = pdf_upload("thu.pdf", b"MZ\x90\x00 not a pdf")
    response = citizen_client.post(url, {"key": "to-khai", "file": fake})
    assert response.status_code == 400
    assert response.json()["code"] == "file_type"
    response = citizen_client.post(url, {"key": "no-such-document", "file": pdf_upload("a.png", PNG)})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "key" in response.json()["errors"]


def test_another_citizens_draft_is_not_found(citizen_client, people, procedure):
    uuid = new_draft(citizen_client, procedure).json()["uuid"]
    other = client_for(people["079190004567"], eid_level=2)
    for response in (
        other.get(f"{API}drafts/{uuid}/"),
        other.post(f"{API}drafts/{uuid}/submit/"),
        other.post(f"{API}drafts/{uuid}/documents/", {"key": "to-khai", "file": pdf_upload()}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_the_api_needs_a_login(client, dossier):
    for response in (client.get(API), client.get(f"{API}{dossier.code}/"), client.post(API, {})):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


# --- reading -------------------------------------------------------------------------


@pytest.fixture
def two_dossiers(procedure, citizen, people):
    """One filed at Bến Thành (26743) by the citizen, one at Sài Gòn (26740) by another citizen."""
    return submitted_dossier(procedure, citizen), submitted_dossier(
        procedure, people["079190004567"], unit_code="26740"
    )


def codes(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["code"] for item in response.json()["results"]}


def test_list_shows_each_role_what_it_may_see(two_dossiers, citizen_client, people):
    ours, theirs = two_dossiers
    assert codes(citizen_client.get(API)) == {ours.code}
    assert codes(client_for(people["officer.benthanh"]).get(API)) == {ours.code}
    assert codes(client_for(people["officer.saigon"]).get(API)) == {theirs.code}
    assert codes(client_for(people["officer.tuphap"]).get(API)) == set()
    assert codes(client_for(people["admin.city"]).get(API)) == {ours.code, theirs.code}


def test_list_filters_by_status_and_procedure(two_dossiers, people):
    ours, theirs = two_dossiers
    receive(ours, people)
    admin = client_for(people["admin.city"])
    assert codes(admin.get(API, {"status": "received"})) == {ours.code}
    assert codes(admin.get(API, {"status": "submitted"})) == {theirs.code}
    assert codes(admin.get(API, {"procedure": "1.000656"})) == {ours.code, theirs.code}
    assert codes(admin.get(API, {"procedure": "9.999999"})) == set()
    response = admin.get(API, {"status": "lost"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_list_is_paginated(two_dossiers, people):
    response = client_for(people["admin.city"]).get(API, {"page_size": 1})
    body = response.json()
    # Cursor pages (issue 13): no count; the next link gives the rest.
    assert set(body) == {"next", "results"} and len(body["results"]) == 1 and body["next"]
    rest = client_for(people["admin.city"]).get(body["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    assert rest["results"][0]["code"] != body["results"][0]["code"]


def test_list_takes_a_fixed_number_of_queries(procedure, citizen, people):
    admin = client_for(people["admin.city"])
    submitted_dossier(procedure, citizen)
    admin.get(API)  # warm up: session, content types

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get(API).status_code == 200
        return len(queries)

    one = count()
    for unit_code in ("26743", "26740", "26743"):
        submitted_dossier(procedure, citizen, unit_code=unit_code)
    assert count() == one


def test_detail_of_own_dossier(citizen_client, dossier):
    response = citizen_client.get(f"{API}{dossier.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == dossier.code
    assert body["national_status_code"] == 1
    assert body["procedure"]["code"] == "1.000656"
    assert [d["key"] for d in body["documents"]] == ["to-khai"]
    assert body["assigned_to"] is None


def test_another_citizens_dossier_is_404_not_403(dossier, people):
    for user in ("079190004567", "officer.saigon"):
        response = client_for(people[user]).get(f"{API}{dossier.code}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert client_for(people[user]).get(f"{API}{dossier.code}/events/").status_code == 404


def test_unknown_code_is_404(citizen_client, dossier):
    response = citizen_client.get(f"{API}HCM-00000-000000-0000/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": response.json()["detail"]}


def test_citizens_see_that_staff_acted_but_not_who(dossier, citizen_client, officer_client, people):
    receive(dossier, people)
    events = citizen_client.get(f"{API}{dossier.code}/events/").json()
    assert [e["action"] for e in events] == ["create_draft", "submit", "route", "receive"]
    received = events[-1]
    assert received["actor_kind"] == "staff" and received["actor"] is None and received["data"] is None
    assert events[0]["actor"]["username"] == "079085001234"  # their own actions are theirs to see

    events = officer_client.get(f"{API}{dossier.code}/events/").json()
    assert events[-1]["actor"] == {"username": "officer.benthanh", "full_name": "Phạm Thu Hà"}
    assert "due_at" in events[-1]["data"]


# --- acting --------------------------------------------------------------------------


def act(client, dossier, action, data=None, **kwargs):
    return client.post(f"{API}{dossier.code}/actions/{action}/", data or {}, content_type="application/json", **kwargs)


def test_officer_receives_through_the_api(dossier, officer_client):
    response = act(officer_client, dossier, "receive", {"version": dossier.version})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "received"
    assert response.json()["due_at"]


def test_unknown_action_is_400(dossier, officer_client):
    response = act(officer_client, dossier, "approve_everything")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_action"


def test_citizen_may_not_act_as_staff(dossier, citizen_client):
    response = act(citizen_client, dossier, "receive")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_officer_of_another_unit_gets_404(dossier, people):
    response = act(client_for(people["officer.saigon"]), dossier, "receive")
    assert response.status_code == 404


def test_action_not_possible_in_this_status_is_409(dossier, officer_client):
    response = act(officer_client, dossier, "decide")
    assert response.status_code == 409
    assert response.json()["code"] == "not_allowed"


def test_missing_reason_is_reported_by_field(dossier, officer_client):
    response = act(officer_client, dossier, "refuse_receipt", {"note": "  "})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "note" in response.json()["errors"]


def test_stale_version_is_409(dossier, officer_client, people):
    version = dossier.version
    receive(dossier, people)
    response = act(officer_client, dossier, "start_processing", {"version": version})
    assert response.status_code == 409
    assert response.json()["code"] == "stale"


def test_decide_takes_the_result_file_as_multipart(dossier, officer_client, people):
    receive(dossier, people)
    act(officer_client, dossier, "start_processing")
    response = officer_client.post(
        f"{API}{dossier.code}/actions/decide/", {"note": "Đồng ý", "result": pdf_upload("ket-qua.pdf")}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "decided" and body["outcome"] == "approved"
    assert [d["role"] for d in body["documents"]] == ["application", "result"]
    assert body["assigned_to"]["username"] == "officer.benthanh"


def test_decide_without_result_is_invalid(dossier, officer_client, people):
    receive(dossier, people)
    act(officer_client, dossier, "start_processing")
    response = act(officer_client, dossier, "decide")
    assert response.status_code == 400
    assert "result" in response.json()["errors"]


def test_transfer_by_unit_code(dossier, officer_client, people):
    response = act(
        officer_client,
        dossier,
        "transfer",
        {"unit": "26740", "note": "Thuộc thẩm quyền phường Sài Gòn", "reason": "wrong_area"},
    )
    assert response.status_code == 200, response.json()
    response = act(client_for(people["officer.saigon"]), dossier, "accept_transfer", {})
    assert response.status_code == 200, response.json()
    assert response.json()["handling_unit"]["code"] == "26740"
    response = act(officer_client, dossier, "transfer", {"unit": "nowhere", "note": "x", "reason": "wrong_area"})
    assert response.json()["code"] in {"invalid", "not_found"}


def test_assign_needs_an_officer_of_the_unit(dossier, people):
    head = client_for(people["head.benthanh"])
    response = act(head, dossier, "assign", {"assignee": "officer.saigon"})
    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]
    response = act(head, dossier, "assign", {"assignee": "officer.benthanh"})
    assert response.status_code == 200
    assert response.json()["assigned_to"]["username"] == "officer.benthanh"
    # An officer is not a head: the role check answers, not the username lookup.
    response = act(client_for(people["officer.benthanh"]), dossier, "assign", {"assignee": "nobody"})
    assert response.json()["code"] == "forbidden"


def test_apology_sets_a_new_date(dossier, officer_client, people):
    dossier = receive(dossier, people)
    new_date = (dossier.due_at + timedelta(days=5)).isoformat()
    response = act(officer_client, dossier, "apologise", {"note": "Chờ xác minh", "new_due_at": new_date})
    assert response.status_code == 200, response.json()
    events = officer_client.get(f"{API}{dossier.code}/events/").json()
    assert events[-1]["action"] == "apologise" and events[-1]["new_due_at"]


def test_supplement_round_trip(dossier, officer_client, citizen_client, people):
    receive(dossier, people)
    assert act(officer_client, dossier, "request_supplement", {"note": "Thiếu bản sao"}).status_code == 200
    url = f"{API}{dossier.code}/documents/"
    response = citizen_client.post(url, {"key": "to-khai", "file": pdf_upload("bo-sung.pdf")})
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "supplement"
    response = act(citizen_client, dossier, "supplement")
    assert response.status_code == 200
    assert response.json()["status"] == "received"
    # Outside a supplement request nothing can be added.
    response = citizen_client.post(url, {"file": pdf_upload("them.pdf")})
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"


def test_city_procedure_is_visible_to_the_department(city_procedure, citizen, people):
    dossier = submitted_dossier(city_procedure, citizen)
    justice = client_for(people["officer.tuphap"])
    assert justice.get(f"{API}{dossier.code}/").status_code == 200
    assert act(justice, dossier, "receive").status_code == 200


# --- the schema ----------------------------------------------------------------------


def test_every_dossier_operation_is_in_the_openapi_schema(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert set(paths["/api/v1/dossiers/"]) >= {"get", "post"}
    for path, method in [
        ("/api/v1/dossiers/drafts/{uuid}/documents/", "post"),
        ("/api/v1/dossiers/drafts/{uuid}/submit/", "post"),
        ("/api/v1/dossiers/{code}/", "get"),
        ("/api/v1/dossiers/{code}/events/", "get"),
        ("/api/v1/dossiers/{code}/actions/{action}/", "post"),
    ]:
        assert method in paths[path], path

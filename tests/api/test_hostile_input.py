"""Hostile input never answers 500: deep or huge JSON bodies, unknown /api/ paths, bad query parameters."""

import pytest

from procedures import services
from tests.conftest import require
from tests.procedures.conftest import client_for, make_procedure, submitted_dossier

pytestmark = pytest.mark.django_db

DEEP = b"[" * 5000 + b"]" * 5000
NOT_SO_DEEP_BUT_TOO_DEEP = b'{"form_data": ' + b"[" * 40 + b"]" * 40 + b"}"


def test_deep_huge_and_broken_json_are_400_and_413_on_every_json_endpoint(demo_users, population, settings):
    require("postgres")
    from identity.models import User

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    citizen = User.objects.get(username="079085001234")
    procedure = make_procedure()
    dossier = submitted_dossier(procedure, citizen)
    draft = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=dossier.receiving_unit, eid_level=2
    )
    citizen_client = client_for(citizen, eid_level=2)
    officer_client = client_for(User.objects.get(username="officer.benthanh"))
    huge = b'{"note": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'

    calls = [
        (citizen_client.post, "/api/v1/dossiers/"),
        (citizen_client.patch, f"/api/v1/dossiers/drafts/{draft.uuid}/"),
        (officer_client.post, f"/api/v1/dossiers/{dossier.code}/actions/receive/"),
        (citizen_client.post, "/api/v1/reports/"),
    ]
    for method, url in calls:
        for body, status, code in [
            (DEEP, 400, "parse_error"),
            (NOT_SO_DEEP_BUT_TOO_DEEP, 400, "parse_error"),
            (b'{"note": ', 400, "parse_error"),
            (b'{"note": NaN}', 400, "parse_error"),
            (b"\xff\xfe", 400, "parse_error"),
            (b'{"procedure": "1.0\\u0000", "note": "x"}', 400, "parse_error"),
            (huge, 413, "too_large"),
        ]:
            response = method(url, body, content_type="application/json")
            assert response.status_code == status, (url, body[:20], response.content[:200])
            assert response["Content-Type"] == "application/json"
            assert response.json()["code"] == code
            assert response.json()["detail"]
    # A form body over the limit is refused the same way (Django's RequestDataTooBig).
    response = officer_client.post(
        f"/api/v1/dossiers/{dossier.code}/actions/receive/",
        "note=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
        content_type="application/x-www-form-urlencoded",
    )
    assert (response.status_code, response.json()["code"]) == (413, "too_large")


@pytest.mark.parametrize(
    "path", ["/api/", "/api", "/api/v2/units/", "/api/v1/", "/api/v1/no-such-thing/", "/api/v1/units/79/extra/"]
)
def test_unknown_api_paths_are_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_method_not_allowed_stays_json_405(client):
    response = client.delete("/api/v1/units/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/units/%00/", "/api/v1/units/?search=%00", "/api/v1/dossiers/%00/", "/api/v1/track/HCM%00/"],
)
def test_a_nul_character_in_path_or_query_is_400_not_500(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_a_nul_character_in_a_form_body_is_400(client, demo_users):
    from identity.models import User

    client.force_login(User.objects.get(username="079085001234"))
    response = client.post("/api/v1/dossiers/", {"procedure": "1.0\x00", "receiving_unit": "26743"})
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


@pytest.mark.parametrize("query", ["page_size=0", "page_size=201", "page_size=abc", "page_size=", "page=0", "page=x"])
def test_bad_pagination_parameters_are_400(client, query):
    response = client.get(f"/api/v1/units/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) <= {"page", "page_size"}


def test_a_page_past_the_last_is_404_and_a_good_page_size_is_kept(client, units):
    assert client.get("/api/v1/units/?page=999").json()["code"] == "not_found"
    body = client.get("/api/v1/units/?page_size=200").json()
    assert body["count"] > 50
    assert len(body["results"]) == min(200, body["count"])


def test_empty_filter_values_are_400(client, units, demo_users):
    from identity.models import User

    assert client.get("/api/v1/units/?tier=").status_code == 400
    client.force_login(User.objects.get(username="079085001234"))
    for url in ["/api/v1/dossiers/?status=", "/api/v1/dossiers/?overdue=", "/api/v1/reports/?overdue="]:
        response = client.get(url)
        assert (response.status_code, response.json()["code"]) == (400, "invalid"), url
    assert client.get("/api/v1/dossiers/?overdue=false").status_code == 200

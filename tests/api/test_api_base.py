"""The API base: bearer tokens, the error format, the OpenAPI schema served locally."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(username="svc.reporting", password="Sufficiently-long-1")


def test_issue_api_token_prints_a_token_that_authenticates(client, staff_user, capsys):
    call_command("issue_api_token", "svc.reporting")
    token = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", token)

    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "svc.reporting"

    api.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 40)
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"

    api.credentials()
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_issue_api_token_is_stable_unless_rotated(staff_user, capsys):
    call_command("issue_api_token", "svc.reporting")
    first = capsys.readouterr().out.strip()
    call_command("issue_api_token", "svc.reporting")
    assert capsys.readouterr().out.strip() == first
    call_command("issue_api_token", "svc.reporting", "--rotate")
    assert capsys.readouterr().out.strip() != first


def test_issue_api_token_for_unknown_user_says_so(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("issue_api_token", "nobody")


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_openapi_schema_lists_the_units_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/units/" in schema["paths"]
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_swagger_ui_loads_only_local_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "Swagger UI must not load from a CDN"


def test_me_lists_postings_as_roles(client, demo_users):
    from identity.models import User

    client.force_login(User.objects.get(username="head.benthanh"))
    body = client.get("/api/v1/me/").json()
    assert body["roles"] == ["head"]
    assert body["postings"] == [{"role": "head", "unit": "26743", "unit_name": "Phường Bến Thành"}]


def test_openapi_schema_generates_without_warnings(db):
    """A view the generator cannot describe is a hole in the published contract: fail on any warning."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")

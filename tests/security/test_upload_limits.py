"""Uploads announcing more than the limit are refused from Content-Length, before anything reads the body
(govportal/upload_limits.py): 413, JSON `too_large` under /api/, a page in the visitor's language elsewhere."""

import pytest
from django.conf import settings
from django.test import Client

from govportal.upload_limits import max_request_bytes

BOUNDARY = "limitsboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
TINY = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=key\r\n\r\nto-khai\r\n--{BOUNDARY}--\r\n".encode()


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    read_calls = 0

    def read(self, *args, **kwargs):
        UnreadableBody.read_calls += 1
        raise AssertionError("the body was read")

    readline = read


def post(client, path, *, length, content_type=MULTIPART):
    UnreadableBody.read_calls = 0
    return client.generic(
        "POST",
        path,
        TINY,
        content_type=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": UnreadableBody()},
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dossiers/drafts/9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d/documents/",
        "/api/v1/dossiers/HCM-26743-260101-0001/documents/",
        "/api/v1/reports/",
        "/api/v1/dossiers/HCM-26743-260101-0001/actions/decide/",
    ],
)
def test_an_api_upload_over_the_limit_is_413_json_without_reading_the_body(path):
    response = post(Client(), path, length=max_request_bytes(path) + 1)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "too_large" and response.json()["detail"]
    assert UnreadableBody.read_calls == 0


@pytest.mark.parametrize(
    "path",
    [
        "/file/9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d/",
        "/my/dossiers/HCM-26743-260101-0001/supplement/",
        "/feedback/new/",
    ],
)
def test_a_page_upload_over_the_limit_is_a_413_page_in_vietnamese(path):
    response = post(Client(), path, length=10 * 1024**3)  # "10 GB" announced, a few bytes sent
    assert response.status_code == 413
    body = response.content.decode()
    assert '<html lang="vi">' in body and 'id="too-large"' in body
    assert UnreadableBody.read_calls == 0


def test_one_document_endpoints_are_tighter_than_report_photos():
    document = max_request_bytes("/api/v1/dossiers/drafts/9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d/documents/")
    assert document < max_request_bytes("/api/v1/reports/") == settings.UPLOAD_MAX_REQUEST_BYTES
    response = post(Client(), "/api/v1/dossiers/HCM-X/documents/", length=document + 1)
    assert response.status_code == 413 and UnreadableBody.read_calls == 0


def test_an_unreadable_content_length_is_refused():
    response = post(Client(), "/api/v1/reports/", length="lots")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


@pytest.mark.django_db
def test_a_request_under_the_limit_reaches_the_view(settings):
    """Announcing a size within the limit: the middleware lets it through (the view answers, not 413)."""
    response = Client().generic("POST", "/api/v1/reports/", TINY, content_type=MULTIPART)
    assert response.status_code not in (413, 500)
    assert response.json()["code"] != "too_large"


def test_form_data_other_than_files_stays_small():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2 * 1024 * 1024
    assert settings.UPLOAD_MAX_REQUEST_BYTES >= 5 * 10 * 1024 * 1024  # a report's five photos of 10 MB

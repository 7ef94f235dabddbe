"""The public catalogue from the shared cache: no query once cached, a change in the admin shown at once in
both languages, and Cache-Control as decided (docs/public-caching.md)."""

import pytest
from django.conf import settings
from django.test import Client

from procedures.models import FeeLine
from tests.procedures.conftest import make_procedure

pytestmark = pytest.mark.django_db

CODE = "1.000656"
PAGES = ["/procedures/", f"/procedures/{CODE}/", "/procedures/?tier=commune&q=ket+hon"]
API = ["/api/v1/procedures/", f"/api/v1/procedures/{CODE}/", "/api/v1/procedures/?tier=commune"]


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def procedure():
    return make_procedure(code=CODE)


def test_the_second_anonymous_request_reads_nothing_from_the_database(procedure, django_assert_num_queries):
    for language in ("vi", "en"):
        client = client_in(language)
        for url in PAGES + API:
            first = client.get(url)
            assert first.status_code == 200, url
            with django_assert_num_queries(0):
                again = client.get(url)
            assert again.status_code == 200, url
            assert again.content == first.content or url in PAGES  # pages carry a fresh CSRF token


def test_a_change_in_the_admin_shows_at_once_in_both_languages(procedure):
    vi, en = client_in("vi"), client_in("en")
    for client in (vi, en):
        for url in PAGES[:2] + API[:2]:
            assert client.get(url).status_code == 200  # now cached
    # What the admin's save does (ModelAdmin.save_model): the model's save, and its signal.
    procedure.name_vi, procedure.name_en = "Đăng ký kết hôn lưu động", "Mobile marriage registration"
    procedure.save()
    for client, name in ((vi, "Đăng ký kết hôn lưu động"), (en, "Mobile marriage registration")):
        for url in PAGES[:2]:
            assert name.encode() in client.get(url).content, url
        listed = client.get(API[0]).json()["results"]
        assert [p["name_en"] for p in listed] == ["Mobile marriage registration"]
    # A fee line (an inline in the admin) and a procedure taken out of the catalogue.
    FeeLine.objects.create(procedure=procedure, kind="fee", name_vi="Phí", name_en="Charge", amount_vnd=50000)
    assert 50000 in [line["amount_vnd"] for line in en.get(API[1]).json()["fee_lines"]]
    procedure.is_active = False
    procedure.save()
    for client in (vi, en):
        assert client.get(API[1]).status_code == 404
        assert client.get(PAGES[1]).status_code == 404
        assert client.get(API[0]).json()["results"] == []


def test_cache_control_public_only_for_anonymous_json(procedure, people):
    anonymous = Client()
    for url in API:
        response = anonymous.get(url)
        control = response.headers["Cache-Control"]
        assert "public" in control and "max-age=60" in control, url
        vary = response.headers["Vary"]
        assert "Accept-Language" in vary and "Cookie" in vary, url
    for url in PAGES:  # HTML carries a CSRF token (the language switch): never public
        assert "public" not in anonymous.get(url).headers.get("Cache-Control", ""), url
    citizen = Client()
    citizen.force_login(people["079085001234"])
    for url in API:
        control = citizen.get(url).headers["Cache-Control"]
        assert "private" in control and "public" not in control, url

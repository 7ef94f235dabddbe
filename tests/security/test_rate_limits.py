"""Abuse limits (govportal/ratelimit.py): one mechanism, counters in Redis, keyed on the client address as seen
through the configured trusted proxies; page and API share each budget; 429 always carries Retry-After.

Every test gets its own cache key prefix in Redis: counters never leak between tests and nothing is flushed.
"""

import uuid

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from govportal import ratelimit
from govportal.tiers.models import Unit
from identity.models import User
from procedures.models import Dossier, DossierDocument
from tests.conftest import require
from tests.procedures.conftest import (  # noqa: F401 (fixtures)
    PDF,
    citizen,
    client_for,
    make_procedure,
    pdf_upload,
    people,
    procedure,
)
from tests.procedures.test_api_dossiers import bearer

UNKNOWN = "HCM-99999-000000-{:04d}"
UNKNOWN_REPORT = "PA-99999-000000-{:04d}"
ALL_GENEROUS = {scope: "1000/m" for scope in ratelimit.MISSES} | {miss: "1000/m" for miss in ratelimit.MISSES.values()}


@pytest.fixture
def redis_limits(settings):
    """The shared cache is Redis (as in production), under a prefix of this test's own."""
    require("redis")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-limits-{uuid.uuid4().hex}",
        }
    }
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **ALL_GENEROUS}
    return settings


def limits(settings, **rates):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **{k.replace("_", "-"): v for k, v in rates.items()}}


def assert_throttled(response, *, code=None, most=60):
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= most
    if code:
        assert response.json()["code"] == code
    return wait


# --- who the client is ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "trusted", "remote", "forwarded", "expected"),
    [
        (0, [], "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no proxy configured: the header is ignored
        (1, ["10.0.0.0/8"], "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not from a trusted proxy
        (1, ["10.0.0.0/8"], "10.1.2.3", "198.51.100.1", "198.51.100.1"),
        (1, ["10.0.0.0/8"], "10.1.2.3", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own entry ignored
        (2, ["10.0.0.7", "10.0.0.8"], "10.0.0.8", "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),
        (2, ["10.0.0.0/8"], "10.0.0.8", "198.51.100.1", "10.0.0.8"),  # a chain shorter than the proxies
        (1, ["10.0.0.0/8"], "10.1.2.3", "not-an-address", "10.1.2.3"),
        (1, ["2001:db8::/32"], "2001:db8::1", "2001:db8:ffff::5", "2001:db8:ffff::5"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(settings, count, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_address(request) == expected


def test_rates_parse():
    assert ratelimit.parse_rate("30/m") == (30, 60)
    assert ratelimit.parse_rate("10/10m") == (10, 600)
    assert ratelimit.parse_rate("5/h") == (5, 3600)
    assert ratelimit.parse_rate("2/d") == (2, 86400)


# --- public tracking: one budget per client for page and API ----------------------------------------------


@pytest.mark.django_db
def test_a_spoofed_forwarded_header_does_not_bypass_the_api_limit(redis_limits):
    limits(redis_limits, track="3/m")
    api = Client()
    statuses = [
        api.get(f"/api/v1/track/{UNKNOWN.format(i)}/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(3)
    ]
    assert statuses == [404, 404, 404]
    response = api.get(f"/api/v1/track/{UNKNOWN.format(9)}/", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert_throttled(response, code="throttled")
    page = Client().get(reverse("track", kwargs={"code": UNKNOWN.format(9)}), HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert_throttled(page)  # the page shares the budget, and believes the header no more than the API


@pytest.mark.django_db
def test_the_trusted_proxy_count_is_honoured(redis_limits):
    limits(redis_limits, track="2/m")
    redis_limits.TRUSTED_PROXY_COUNT = 1
    redis_limits.TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = Client(REMOTE_ADDR="10.0.0.5")
    url = f"/api/v1/track/{UNKNOWN.format(1)}/"
    for _ in range(2):
        assert via_proxy.get(url, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 404
    assert_throttled(via_proxy.get(url, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"), code="throttled")
    # Another client behind the same proxy has its own budget.
    assert via_proxy.get(url, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 404
    # Claiming the limited client's address from outside the proxies counts against the sender itself.
    assert Client(REMOTE_ADDR="203.0.113.50").get(url, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scope", "page", "api", "unknown"),
    [
        ("track", "track", "/api/v1/track/{}/", UNKNOWN),
        ("report-track", "report-track", "/api/v1/reports/{}/track/", UNKNOWN_REPORT),
    ],
)
def test_page_and_api_share_one_budget(redis_limits, scope, page, api, unknown):
    limits(redis_limits, **{scope: "4/m"})
    client = Client()
    code = unknown.format(1)
    page_url, api_url = reverse(page, kwargs={"code": code}), api.format(code)
    assert [client.get(url).status_code for url in (page_url, api_url, page_url, api_url)] == [404] * 4
    page_answer = client.get(page_url)
    assert_throttled(page_answer)
    assert "text/html" in page_answer["Content-Type"]
    assert_throttled(client.get(api_url), code="throttled")
    assert Client(REMOTE_ADDR="192.0.2.44").get(api_url).status_code == 404  # another client is not affected


@pytest.fixture
def known_dossier(db):
    """A received dossier, made directly (no 168 units): the one code that exists."""
    unit = Unit.objects.create(code="99999", filing_code="99999", name="Phường Thử", kind="ward", tier="commune")
    applicant = User.objects.create_user(username="079099000001", personal_id="079099000001")
    return Dossier.objects.create(
        procedure=make_procedure(),
        applicant=applicant,
        receiving_unit=unit,
        handling_unit=unit,
        code="HCM-99999-260101-0001",
        status="received",
    )


def test_misses_are_limited_tighter_so_walking_codes_stops(redis_limits, known_dossier):
    limits(redis_limits, track="100/m", track_miss="3/10m")
    client = Client()
    known = known_dossier.code
    assert client.get(f"/api/v1/track/{known}/").status_code == 200
    assert client.get(reverse("track", kwargs={"code": UNKNOWN.format(1)})).status_code == 404
    assert client.get(f"/api/v1/track/{UNKNOWN.format(2)}/").status_code == 404
    assert client.get(reverse("track", kwargs={"code": known})).status_code == 200  # hits are not misses
    assert client.get(reverse("track", kwargs={"code": UNKNOWN.format(3)})).status_code == 404
    # Three misses: every look-up is refused now, the known code too, until the miss window ends.
    wait = assert_throttled(client.get(f"/api/v1/track/{known}/"), code="throttled", most=600)
    assert wait > 0
    assert_throttled(client.get(reverse("track", kwargs={"code": known})), most=600)
    assert Client(REMOTE_ADDR="192.0.2.45").get(f"/api/v1/track/{known}/").status_code == 200


def test_the_throttled_message_is_vietnamese_by_default(redis_limits, db):
    limits(redis_limits, track="1/m")
    client = Client()
    client.get(f"/api/v1/track/{UNKNOWN.format(1)}/")
    response = client.get(f"/api/v1/track/{UNKNOWN.format(1)}/")
    assert_throttled(response, code="throttled")
    assert response.json()["detail"].startswith("Quá nhiều yêu cầu")


# --- e-ID login start and the mock provider -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_eid_login_start_is_limited_per_address(redis_limits):
    limits(redis_limits, eid_login="2/m")
    url = reverse("vneid_login", kwargs={"provider_id": "vneid"})
    client = Client()
    assert [client.get(url).status_code != 429 for _ in range(2)] == [True, True]
    assert_throttled(client.get(url))
    assert Client(REMOTE_ADDR="192.0.2.46").get(url).status_code != 429


@pytest.mark.django_db
@pytest.mark.parametrize(("scope", "name"), [("mock-eid-token", "token"), ("mock-eid-userinfo", "userinfo")])
def test_the_mock_eid_token_and_userinfo_endpoints_are_limited(redis_limits, scope, name):
    limits(redis_limits, **{scope: "2/m"})
    client = Client()
    url = reverse(f"mock_eid:{name}")
    for _ in range(2):
        assert client.post(url, {"grant_type": "authorization_code"}).status_code in (400, 401)
    assert_throttled(client.post(url, {"grant_type": "authorization_code"}), code="rate_limited")


# --- drafts and documents -------------------------------------------------------------------------------------


def test_draft_creation_is_limited_for_page_and_api_alike(redis_limits, citizen, procedure):  # noqa: F811
    limits(redis_limits, draft_create="2/h")
    body = {"procedure": procedure.code, "receiving_unit": "26743", "form_data": {}}
    api = bearer(citizen)
    assert api.post("/api/v1/dossiers/", body, format="json").status_code == 201
    page = client_for(citizen, eid_level=2)
    assert page.post(reverse("dossier-start", kwargs={"code": procedure.code}), {}).status_code == 302
    refused_page = page.post(reverse("dossier-start", kwargs={"code": procedure.code}), {})
    assert_throttled(refused_page, most=3600)
    assert_throttled(api.post("/api/v1/dossiers/", body, format="json"), code="rate_limited", most=3600)
    assert Dossier.objects.filter(applicant=citizen).count() == 2


def _upload(api, draft, name="to-khai.pdf", content=PDF):
    return api.post(
        f"/api/v1/dossiers/drafts/{draft.uuid}/documents/",
        {"key": "to-khai", "file": pdf_upload(name, content)},
        format="multipart",
    )


def test_documents_per_dossier_are_limited_in_count_and_total_size(redis_limits, citizen, procedure):  # noqa: F811
    redis_limits.DOSSIER_MAX_DOCUMENTS = 2
    api = bearer(citizen)
    body = {"procedure": procedure.code, "receiving_unit": "26743", "form_data": {}}
    draft = Dossier.objects.get(uuid=api.post("/api/v1/dossiers/", body, format="json").json()["uuid"])
    page = client_for(citizen, eid_level=2)
    page_url = reverse("dossier-draft", kwargs={"uuid": draft.uuid})
    page.post(page_url, {"doc_to-khai": pdf_upload()})  # the page's upload: the same service
    assert _upload(api, draft).status_code == 201
    assert DossierDocument.objects.filter(dossier=draft).count() == 2
    refused = _upload(api, draft)
    assert refused.status_code == 400 and refused.json()["code"] == "too_many_documents"
    assert page.post(page_url, {"doc_to-khai": pdf_upload()}).status_code == 400  # a form error, no third file
    assert DossierDocument.objects.filter(dossier=draft).count() == 2

    redis_limits.DOSSIER_MAX_DOCUMENTS = 30
    redis_limits.DOSSIER_MAX_DOCUMENT_BYTES = 3 * len(PDF)
    assert _upload(api, draft).status_code == 201
    too_big = _upload(api, draft, content=PDF + b"%" * 10)
    assert too_big.status_code == 400 and too_big.json()["code"] == "documents_too_large"
    assert DossierDocument.objects.filter(dossier=draft).count() == 3


def test_a_citizens_daily_upload_volume_is_limited(redis_limits, citizen, people, procedure):  # noqa: F811
    limits(redis_limits, upload_bytes=f"{3 * len(PDF)}/d")
    api = bearer(citizen)
    body = {"procedure": procedure.code, "receiving_unit": "26743", "form_data": {}}
    first = Dossier.objects.get(uuid=api.post("/api/v1/dossiers/", body, format="json").json()["uuid"])
    second = Dossier.objects.get(uuid=api.post("/api/v1/dossiers/", body, format="json").json()["uuid"])
    assert [_upload(api, d).status_code for d in (first, first, second)] == [201, 201, 201]
    refused = _upload(api, second)
    assert_throttled(refused, code="upload_quota", most=86400)
    # Another citizen has their own volume.
    other = people["079190004567"]
    other_api = bearer(other)
    theirs = Dossier.objects.get(uuid=other_api.post("/api/v1/dossiers/", body, format="json").json()["uuid"])
    assert _upload(other_api, theirs).status_code == 201

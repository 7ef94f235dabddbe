"""Public tracking (page and API) and the appointment slip.

Tracking shows status, unit and due date and nothing personal; it is rate limited
per IP. The slip is printable, carries the code and a QR code to the tracking page.
"""

from datetime import datetime

import pytest
from django.core.cache import cache
from django.urls import include, path, reverse
from django.utils import timezone

from govportal.ratelimit import limit_of
from govportal.urls import urlpatterns as site_urlpatterns
from procedures import services
from procedures.api import track as track_api
from tests.procedures.conftest import client_for

pytestmark = pytest.mark.django_db

# The API module is included by /api/v1/ (procedures/api/urls.py); this URL conf
# mounts it explicitly so the tests do not depend on that wiring.
urlpatterns = [path("api/v1/", include((track_api.urlpatterns, "track_api"))), *site_urlpatterns]
WITH_TRACK_API = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def received(dossier, people):
    return services.dossier_transition(dossier=dossier, action="receive", actor=people["officer.benthanh"])


def test_tracking_shows_status_unit_and_due_date_only(client, received, citizen):
    response = client.get(reverse("track", kwargs={"code": received.code}))
    assert response.status_code == 200
    html = response.content.decode()
    assert received.code in html
    assert "status-received" in html
    assert received.handling_unit.name in html
    assert timezone.localtime(received.due_at).strftime("%d/%m/%Y") in html
    for personal in (citizen.full_name, citizen.personal_id, "Phạm Thị Hoa", "giay-to.pdf"):
        assert personal not in html
    assert received.procedure.name_vi not in html


def test_tracking_accepts_a_lower_case_code(client, received):
    assert client.get(reverse("track", kwargs={"code": received.code.lower()})).status_code == 200


def test_an_unknown_code_is_a_404_page(client, units):
    response = client.get(reverse("track", kwargs={"code": "HCM-00000-000000-0000"}))
    assert response.status_code == 404
    assert 'name="code"' in response.content.decode()  # the page offers to try again


def test_drafts_are_not_trackable(client, citizen, procedure):
    draft = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=citizen.residence_unit, eid_level=2
    )
    assert client.get(reverse("track", kwargs={"code": str(draft.uuid)})).status_code == 404


def test_the_track_form_redirects_to_the_dossier(client, received):
    assert client.get(reverse("track-form")).status_code == 200
    response = client.get(reverse("track-form"), {"code": f"  {received.code.lower()} "})
    assert response.status_code == 302
    assert response.url == reverse("track", kwargs={"code": received.code})
    assert client.get(reverse("track-form"), {"code": ""}).status_code == 400


def test_tracking_is_rate_limited_per_ip(client, received):
    url = reverse("track", kwargs={"code": received.code})
    for _ in range(limit_of("track")[0]):
        assert client.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60  # the rest of the window
    assert 'id="tracking"' not in response.content.decode()
    # Another address is not affected.
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_unknown_codes_are_limited_tighter(client, units):
    """Walking codes: the misses' own limit (10 in 10 minutes by default) stops it long before the look-ups'."""
    for i in range(limit_of("track-miss")[0]):
        assert client.get(reverse("track", kwargs={"code": f"HCM-X-{i}"})).status_code == 404
    assert client.get(reverse("track", kwargs={"code": "HCM-X-last"})).status_code == 429


# --- the API ----------------------------------------------------------------------------


@WITH_TRACK_API
def test_the_tracking_api_answers_without_login(client, received):
    response = client.get(f"/api/v1/track/{received.code}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"code", "status", "status_label", "national_status_code", "unit", "due_at"}
    assert body["code"] == received.code
    assert body["status"] == "received" and body["national_status_code"] == 2
    assert body["unit"] == received.handling_unit.name
    assert datetime.fromisoformat(body["due_at"]) == received.due_at


@WITH_TRACK_API
def test_the_tracking_api_ignores_credentials(received, people):
    client = client_for(people["079190004567"])
    response = client.get(f"/api/v1/track/{received.code}/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 200


@WITH_TRACK_API
def test_the_tracking_api_404_is_json(client, units):
    response = client.get("/api/v1/track/HCM-NOPE/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@WITH_TRACK_API
def test_the_tracking_api_is_throttled(client, received):
    url = f"/api/v1/track/{received.code}/"
    for _ in range(limit_of("track")[0]):
        assert client.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


# --- the appointment slip ---------------------------------------------------------------


def test_the_slip_has_the_code_the_due_date_and_a_qr_code(citizen_client, received, citizen):
    response = citizen_client.get(reverse("dossier-slip", kwargs={"code": received.code}))
    assert response.status_code == 200
    html = response.content.decode()
    assert received.code in html and "<svg" in html
    assert citizen.full_name in html
    tracking_url = "http://testserver" + reverse("track", kwargs={"code": received.code})
    assert response.context["tracking_url"] == tracking_url
    assert "<?xml" not in html


def test_officers_of_the_unit_print_the_slip_too(officer_client, received):
    assert officer_client.get(reverse("dossier-slip", kwargs={"code": received.code})).status_code == 200


def test_no_slip_before_receipt(citizen_client, dossier):
    response = citizen_client.get(reverse("dossier-slip", kwargs={"code": dossier.code}))
    assert response.status_code == 404
    assert "<svg" not in response.content.decode()


def test_another_citizen_gets_no_slip(people, received):
    other = client_for(people["079190004567"], eid_level=2)
    assert other.get(reverse("dossier-slip", kwargs={"code": received.code})).status_code == 404


def test_the_qr_code_encodes_the_tracking_url():
    from procedures.qr import qr_svg

    svg = qr_svg("http://testserver/track/HCM-1/", label='a "label" <b>')
    assert svg.startswith("<svg ") and 'role="img"' in svg
    assert "&quot;label&quot; &lt;b&gt;" in svg

"""Open311 GeoReport v2: services, their definition, requests (read, filters, post with an app key), errors, XML."""

import json
from datetime import timedelta
from io import StringIO
from xml.etree import ElementTree

import pytest
import time_machine
from django.core.management import CommandError, call_command

from feedback.models import Category, Open311Client, Report
from feedback.open311.keys import key_hash
from feedback.workflow import ReportStatus as S
from govportal.tiers.models import Tier, Unit
from tests.feedback.test_board import CONTACT_EMAIL, CONTACT_NAME, CONTACT_PHONE, ORIGINAL_TEXT, finished
from tests.feedback.test_photos import phone_jpeg, upload
from tests.feedback.test_reports import OTHER_WARD, PLACE, TUESDAY_MORNING, file_report

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def issue_key(name: str = "Ứng dụng Phản ánh") -> str:
    out = StringIO()
    call_command("open311_key", "--name", name, "--contact", "dev@example.vn", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def commune_category() -> Category:
    return Category.objects.filter(tier=Tier.COMMUNE).order_by("code").first()


def city_category() -> Category:
    return Category.objects.filter(tier=Tier.CITY).order_by("code").first()


def post_request(client, key, **fields):
    data = {
        "api_key": key,
        "service_code": commune_category().code,
        "attribute[ward]": PLACE,
        "description": "Cống bị tắc, nước tràn lên vỉa hè.",
        "address_string": "45 Pasteur",
        "first_name": "Lê",
        "last_name": "Văn Ứng Dụng",
        "phone": "0912345678",
        "email": "ung.dung@example.vn",
    }
    data.update(fields)
    return client.post(f"{BASE}/requests.json", {k: v for k, v in data.items() if v is not None})


def assert_error(response, status: int) -> str:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and body[0]["description"]
    return " ".join(error["description"] for error in body)


# --- services ------------------------------------------------------------------------------------


def test_services_list_one_service_per_active_category(client, categories):
    Category.objects.filter(code=city_category().code).update(is_active=False)
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    services = response.json()
    active = Category.objects.filter(is_active=True)
    assert {s["service_code"] for s in services} == set(active.values_list("code", flat=True))
    service = next(s for s in services if s["service_code"] == commune_category().code)
    assert set(service) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert service["service_name"] == commune_category().name_vi
    assert service["metadata"] is True and service["type"] == "realtime"


@pytest.mark.parametrize("how", [{"locale": "en"}, {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}])
def test_services_in_english(client, categories, how):
    params = {"locale": how["locale"]} if "locale" in how else {}
    headers = {k: v for k, v in how.items() if k.startswith("HTTP_")}
    services = client.get(f"{BASE}/services.json", params, **headers).json()
    service = next(s for s in services if s["service_code"] == commune_category().code)
    assert service["service_name"] == commune_category().name_en


def test_service_definition_has_the_required_ward_attribute(client, categories):
    category = commune_category()
    definition = client.get(f"{BASE}/services/{category.code}.json").json()
    assert definition["service_code"] == category.code
    (ward,) = definition["attributes"]
    assert ward["code"] == "ward" and ward["datatype"] == "singlevaluelist"
    assert ward["required"] is True and ward["variable"] is True and ward["order"] == 1
    keys = {value["key"]: value["name"] for value in ward["values"]}
    assert keys[PLACE] == Unit.objects.get(code=PLACE).name
    communes = Unit.objects.filter(tier=Tier.COMMUNE, is_active=True)
    assert len(keys) == communes.count() and "79" not in keys  # not the city


def test_unknown_service_definition_is_404_in_the_spec_shape(client, categories):
    assert "nope" in assert_error(client.get(f"{BASE}/services/nope.json"), 404)


# --- keys ----------------------------------------------------------------------------------------


def test_the_command_issues_a_key_shown_once_and_stores_its_hash(categories, monkeypatch):
    from feedback.open311 import keys

    # A random key may start with "-" (1 in 64), which `--revoke PREFIX` would read as an option: never issued.
    drawn = iter(["-starts-with-a-dash-" + "x" * 23, "A" * 43])
    monkeypatch.setattr(keys.secrets, "token_urlsafe", lambda n: next(drawn))
    key = issue_key()
    assert key == "A" * 43
    client = Open311Client.objects.get()
    assert client.key_prefix == key[:8] and client.key_hash == key_hash(key) and key not in client.key_hash
    assert client.contact == "dev@example.vn" and client.is_active
    out = StringIO()
    call_command("open311_key", "--revoke", key[:8], stdout=out)
    client.refresh_from_db()
    assert not client.is_active
    with pytest.raises(CommandError):
        call_command("open311_key", "--revoke", key[:8], stdout=StringIO())


# --- posting -------------------------------------------------------------------------------------


def test_an_app_posts_a_report_routed_to_the_unit_of_the_ward(client, categories, django_capture_on_commit_callbacks):
    key = issue_key()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(client, key)
    assert response.status_code == 201
    (answer,) = response.json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"} and answer["account_id"] is None
    report = Report.objects.get(code=answer["service_request_id"])
    app = Open311Client.objects.get()
    assert report.channel == "open311" and report.via_client == app
    assert report.status == S.ROUTED and report.handling_unit.code == PLACE
    assert report.unit.code == PLACE and report.category == commune_category()
    assert report.contact_name == "Lê Văn Ứng Dụng" and report.contact_phone == "0912345678"
    assert report.contact_email == "ung.dung@example.vn" and report.address == "45 Pasteur"
    assert app.last_used_at is not None


def test_a_city_tier_service_is_routed_to_its_department(client, categories, django_capture_on_commit_callbacks):
    key = issue_key()
    category = city_category()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(
            client, key, service_code=category.code, address_string="", lat="10.7721", long="106.6983"
        )
    assert response.status_code == 201
    report = Report.objects.get(code=response.json()[0]["service_request_id"])
    assert report.handling_unit == category.handling_department
    assert str(report.latitude) == "10.772100" and report.address == "10.7721, 106.6983"


def test_media_url_is_ignored_and_said_so_and_a_media_upload_is_kept(client, categories):
    key = issue_key()
    response = post_request(client, key, media_url="https://example.com/p.jpg", media=upload(phone_jpeg()))
    assert response.status_code == 201
    assert "media_url" in response.json()[0]["service_notice"]
    report = Report.objects.get(code=response.json()[0]["service_request_id"])
    assert report.photos.filter(role="report").count() == 1


@pytest.mark.parametrize("key", [None, "", "not-a-key"])
def test_a_missing_or_invalid_key_is_403(client, categories, key):
    issue_key()
    assert_error(post_request(client, key), 403)
    assert not Report.objects.exists()


def test_a_revoked_key_is_403(client, categories):
    key = issue_key()
    call_command("open311_key", "--revoke", key[:8], stdout=StringIO())
    assert_error(post_request(client, key), 403)
    assert not Report.objects.exists()


def test_unknown_or_missing_service_and_bad_input_are_refused_in_the_spec_shape(client, categories):
    key = issue_key()
    assert "nope" in assert_error(post_request(client, key, service_code="nope"), 404)
    assert "service_code" in assert_error(post_request(client, key, service_code=""), 400)
    assert "attribute[ward]" in assert_error(post_request(client, key, **{"attribute[ward]": "79"}), 400)
    assert "address_string" in assert_error(post_request(client, key, address_string=""), 400)
    assert "description" in assert_error(post_request(client, key, description=""), 400)
    refused = assert_error(post_request(client, key, first_name="", last_name=""), 400)
    assert "first_name" in refused
    assert "phone" in assert_error(post_request(client, key, phone="", email=""), 400)
    assert not Report.objects.exists()


def test_posts_are_limited_per_key(client, categories, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "open311-posts": "2/m"}
    key = issue_key()
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        assert post_request(client, key).status_code == 201
        assert post_request(client, key).status_code == 201
        refused = post_request(client, key)
        assert_error(refused, 429)
        assert 0 < int(refused["Retry-After"]) <= 60
        assert post_request(client, issue_key("Another app")).status_code == 201


def test_posting_needs_no_csrf_token(categories):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_request(strict, issue_key()).status_code == 201


# --- reading requests ----------------------------------------------------------------------------


@pytest.fixture
def requests_data(categories, staff, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    published = finished(capture, staff, publish="Đèn đường hỏng trên đường Lê Lợi")
    Report.objects.filter(pk=published.pk).update(latitude="10.772100", longitude="106.698300")
    unpublished = finished(capture, staff, unit_code=OTHER_WARD)
    with time_machine.travel(TUESDAY_MORNING + timedelta(days=1), tick=False):
        still_open = file_report(Category.objects.filter(tier=Tier.COMMUNE).order_by("code")[1], capture=capture)
    return {"published": published, "unpublished": unpublished, "open": still_open}


def get_requests(client, **params):
    params.setdefault("start_date", "2026-03-01")
    response = client.get(f"{BASE}/requests.json", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_requests_show_published_texts_only_and_no_personal_data(client, requests_data):
    requests = get_requests(client)
    body = json.dumps(requests, ensure_ascii=False)
    for secret in (CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL, ORIGINAL_TEXT, "Đã thay bóng đèn.", "officer"):
        assert secret not in body, secret
    by_id = {request["service_request_id"]: request for request in requests}
    assert list(by_id) == [
        requests_data["open"].code,
        requests_data["unpublished"].code,
        requests_data["published"].code,
    ]
    published = by_id[requests_data["published"].code]
    assert published["status"] == "closed" and published["description"] == "Đèn đường hỏng trên đường Lê Lợi"
    assert published["status_notes"].startswith("Đơn vị đã xử lý")
    assert (
        published["lat"] == 10.7721 and published["long"] == 106.6983 and published["address"] == "Phường Bến Thành"
    )  # the ward, never the typed address
    assert published["agency_responsible"] == Unit.objects.get(code=PLACE).name
    assert published["requested_datetime"] == "2026-03-10T10:00:00+07:00"
    assert (
        published["expected_datetime"]
        == requests_data["published"].due_at.astimezone(published_tz(published["requested_datetime"])).isoformat()
    )
    for field in ("address_id", "zipcode", "media_url"):
        assert published[field] == ""
    unpublished = by_id[requests_data["unpublished"].code]
    assert unpublished["description"] == "" and unpublished["status_notes"] == "" and unpublished["address"] == ""
    assert "lat" not in unpublished and unpublished["status"] == "closed"
    assert by_id[requests_data["open"].code]["status"] == "open"


def published_tz(iso: str):
    from datetime import datetime

    return datetime.fromisoformat(iso).tzinfo


def test_requests_filters(client, requests_data):
    codes = lambda **params: [r["service_request_id"] for r in get_requests(client, **params)]  # noqa: E731
    published, unpublished, still_open = (requests_data[k].code for k in ("published", "unpublished", "open"))
    assert codes(status="open") == [still_open]
    assert codes(status="closed") == [unpublished, published]
    assert codes(status="open,closed") == [still_open, unpublished, published]
    assert codes(service_code=requests_data["open"].category.code) == [still_open]
    assert codes(service_request_id=f"{published},{still_open}") == [still_open, published]
    assert codes(start_date="2026-03-11T00:00:00+07:00") == [still_open]
    assert codes(end_date="2026-03-10T23:59:59+07:00") == [unpublished, published]
    assert codes(start_date="2026-03-11", end_date="2026-03-11") == [still_open]
    # A "+" left unencoded by a client arrives as a space: still read as the offset.
    response = client.get(f"{BASE}/requests.json?start_date=2026-03-11T00:00:00+07:00")
    assert [r["service_request_id"] for r in response.json()] == [still_open]


def test_requests_default_to_the_last_90_days(client, requests_data):
    with time_machine.travel(TUESDAY_MORNING + timedelta(days=92), tick=False):
        assert client.get(f"{BASE}/requests.json").json() == []
    with time_machine.travel(TUESDAY_MORNING + timedelta(days=30), tick=False):
        assert len(client.get(f"{BASE}/requests.json").json()) == 3


def test_bad_request_filters_are_400(client, requests_data):
    assert_error(client.get(f"{BASE}/requests.json", {"status": "pending"}), 400)
    assert_error(client.get(f"{BASE}/requests.json", {"start_date": "yesterday"}), 400)


def test_one_request_is_a_list_and_unknown_is_404(client, requests_data):
    code = requests_data["published"].code
    response = client.get(f"{BASE}/requests/{code}.json")
    assert response.status_code == 200
    (one,) = response.json()
    assert one["service_request_id"] == code and one["description"]
    assert_error(client.get(f"{BASE}/requests/PA-0-000000-0000.json"), 404)


# --- XML ----------------------------------------------------------------------------------------


def test_xml_variants(client, requests_data):
    services = ElementTree.fromstring(client.get(f"{BASE}/services.xml").content)
    assert services.tag == "services" and services.find("service/service_code").text
    assert services.find("service/metadata").text == "true"
    code = commune_category().code
    definition = ElementTree.fromstring(client.get(f"{BASE}/services/{code}.xml").content)
    assert definition.find("attributes/attribute/code").text == "ward"
    assert definition.find("attributes/attribute/values/value/key").text
    requests = ElementTree.fromstring(client.get(f"{BASE}/requests.xml", {"start_date": "2026-03-01"}).content)
    assert requests.tag == "service_requests" and len(requests.findall("request")) == 3
    missing = client.get(f"{BASE}/requests/PA-0.xml")
    assert missing.status_code == 404
    error = ElementTree.fromstring(missing.content)
    assert error.tag == "errors" and error.find("error/code").text == "404"


def test_xml_post(client, categories):
    response = client.post(
        f"{BASE}/requests.xml",
        {
            "api_key": issue_key(),
            "service_code": commune_category().code,
            "attribute[ward]": PLACE,
            "description": "Cống bị tắc.",
            "address_string": "45 Pasteur",
            "first_name": "Lê",
            "email": "a@example.vn",
        },
    )
    assert response.status_code == 201
    root = ElementTree.fromstring(response.content)
    assert Report.objects.filter(code=root.find("request/service_request_id").text, channel="open311").exists()


def test_the_operator_sees_the_apps_read_only_in_the_admin(demo_users, categories):
    from django.test import Client

    from identity.models import User

    key = issue_key()
    operator = Client()
    operator.force_login(User.objects.get(username="operator"))
    page = operator.get("/admin/feedback/open311client/")
    assert page.status_code == 200
    html = page.content.decode()
    assert key[:8] in html and key not in html and key_hash(key) not in html
    assert operator.get("/admin/feedback/open311client/add/").status_code == 403

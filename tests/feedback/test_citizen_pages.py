"""The reporter's pages, driven with the Django test client as a browser would.

Anonymous intake confirms a phone with the one-time code (console SMS
gateway) before the report form; a citizen logged in sends directly, with a
real phone photo whose GPS position must not be stored. Tracking shows no
personal data; another citizen sees neither the report page nor its photos;
rating and reopening go through the reporter's page; wrong input comes back
as form errors, never a 500.
"""

import io
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from feedback.models import Category, Report, ReportPhoto
from feedback.photos import photo_storage
from feedback.services import categories_load, report_transition
from feedback.views.citizen import SESSION_CONFIRMED
from feedback.workflow import ReportStatus as S
from govportal.tiers.models import Tier, Unit
from govportal.tiers.services import posting_ensure
from identity.models import User
from tests.feedback.intake_helpers import sent_code

pytestmark = pytest.mark.django_db

PLACE = "26743"  # Phường Bến Thành
PHONE = "0901234567"
NAME = "Trần Thị Liên Hệ"
TEXT = "Đèn đường trước nhà số 12 bị hỏng từ ba ngày nay."
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (10.0, 46.0, 30.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (106.0, 42.0, 10.0),
}


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # the OTP and tracking counters live in the shared cache


@pytest.fixture
def categories(units):
    categories_load()


@pytest.fixture
def place(units):
    return Unit.objects.get(code=PLACE)


def commune_category() -> Category:
    return Category.objects.filter(tier=Tier.COMMUNE, is_active=True).order_by("code").first()


def english(client: Client) -> Client:
    client.cookies["govportal_language"] = "en"
    return client


@pytest.fixture
def anon():
    return english(Client())


def citizen_client(username: str) -> tuple[Client, User]:
    user = User.objects.create(username=username, personal_id=username, full_name=f"Công Dân {username[-4:]}")
    client = english(Client())
    client.force_login(user)
    return client, user


@pytest.fixture
def citizen(db):
    return citizen_client("079085001111")


@pytest.fixture
def other_citizen(db):
    return citizen_client("079085002222")


@pytest.fixture
def officer(place):
    user = User.objects.create(username="officer.ben-thanh", full_name="Cán Bộ Phường")
    posting_ensure(user=user, unit=place, role="officer")
    return user


def phone_jpeg() -> bytes:
    """A small JPEG as a phone writes it: camera make and GPS position in its EXIF."""
    image = Image.new("RGB", (64, 48), (180, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really has GPS
    return data


def report_fields(place, **overrides) -> dict:
    fields = {
        "category": commune_category().pk,
        "text": TEXT,
        "unit": place.pk,
        "address": "12 Lê Lợi",
        "latitude": "",
        "longitude": "",
        "action": "send",
    }
    fields.update(overrides)
    return fields


def send(client, capture, fields, **files):
    """Post the report form with the routing task run on commit, as the worker would."""
    with capture(execute=True):
        return client.post(reverse("report-new"), {**fields, **files})


def confirm_phone(client, phone=PHONE, name=NAME):
    response = client.post(reverse("report-new-contact"), {"name": name, "phone": phone, "email": ""})
    assert response.status_code == 302 and response.url == reverse("report-new-confirm")
    return sent_code(phone)


def answered(report, officer, note="Đã thay bóng đèn.", photos=()):
    report.refresh_from_db()
    report = report_transition(report=report, action="start", actor=officer)
    return report_transition(report=report, action="answer", actor=officer, note=note, photos=photos)


# --- anonymous intake with the code ---------------------------------------------------------------


def test_anonymous_reporter_confirms_the_phone_then_sends_a_routed_web_report(
    anon, categories, place, django_capture_on_commit_callbacks
):
    # The form is behind the contact step, which "Send a report" opens.
    page = anon.get(reverse("report-new"))
    body = page.content.decode()
    assert page.status_code == 200 and 'for="id_phone"' in body and 'name="text"' not in body
    assert 'for="id_phone"' in anon.get(reverse("report-new-contact")).content.decode()

    code = confirm_phone(anon)
    page = anon.get(reverse("report-new-confirm")).content.decode()
    assert PHONE in page

    wrong = "111111" if code != "111111" else "222222"
    refused = anon.post(reverse("report-new-confirm"), {"code": wrong})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "error-summary" in body and 'id="id_code_error"' in body
    assert 'name="text"' not in anon.get(reverse("report-new")).content.decode()  # still not confirmed

    confirmed = anon.post(reverse("report-new-confirm"), {"code": code})
    assert confirmed.status_code == 302 and confirmed.url == reverse("report-new")
    form = anon.get(reverse("report-new")).content.decode()
    assert NAME in form and PHONE in form and reverse("report-new-contact") in form  # read-only, with "change"

    response = send(anon, django_capture_on_commit_callbacks, report_fields(place))
    assert response.status_code == 302 and response.url == reverse("report-sent")
    report = Report.objects.get()
    assert report.channel == "web" and report.applicant is None
    assert (report.contact_name, report.contact_phone) == (NAME, PHONE)
    assert report.status == S.ROUTED and report.handling_unit == place
    done = anon.get(reverse("report-sent")).content.decode()
    assert report.code in done and reverse("report-track", kwargs={"code": report.code}) in done
    assert reverse("my-report", kwargs={"code": report.code}) not in done  # no account, no "my report"


def test_contact_step_refuses_missing_or_malformed_contact(anon, categories):
    missing = anon.post(reverse("report-new-contact"), {"name": NAME, "phone": "", "email": ""})
    assert missing.status_code == 400 and 'id="id_phone_error"' in missing.content.decode()
    malformed = anon.post(reverse("report-new-contact"), {"name": NAME, "phone": "12345", "email": ""})
    assert malformed.status_code == 400 and 'id="id_phone_error"' in malformed.content.decode()
    assert anon.get(reverse("report-new-confirm")).url == reverse("report-new-contact")


def test_what_was_typed_before_the_contact_step_waits_for_the_reporter(anon, categories, place):
    # A form posted without a confirmed contact (an expired session): nothing typed is lost.
    response = anon.post(reverse("report-new"), report_fields(place, text="Cống bị tắc ở đầu hẻm."))
    assert response.url == reverse("report-new-contact")
    code = confirm_phone(anon)
    anon.post(reverse("report-new-confirm"), {"code": code})
    assert "Cống bị tắc ở đầu hẻm." in anon.get(reverse("report-new")).content.decode()


def test_an_expired_confirmation_sends_back_to_the_contact_step_keeping_the_text(anon, categories, place):
    code = confirm_phone(anon)
    anon.post(reverse("report-new-confirm"), {"code": code})
    session = anon.session
    session[SESSION_CONFIRMED] = {**session[SESSION_CONFIRMED], "proof": "expired-or-forged"}
    session.save()
    response = anon.post(reverse("report-new"), report_fields(place, text="Rác thải đổ trộm ven kênh."))
    assert response.status_code == 302 and response.url == reverse("report-new-contact")
    assert not Report.objects.exists()
    contact_page = anon.get(response.url).content.decode()
    assert "message-error" in contact_page and NAME in contact_page  # the service's reason, the contact kept
    code = confirm_phone(anon)
    anon.post(reverse("report-new-confirm"), {"code": code})
    assert "Rác thải đổ trộm ven kênh." in anon.get(reverse("report-new")).content.decode()


# --- a citizen with a photo -------------------------------------------------------------------------


def test_citizen_sends_a_photo_whose_gps_is_not_stored(citizen, categories, place, django_capture_on_commit_callbacks):
    client, user = citizen
    assert client.get(reverse("report-new")).status_code == 200  # no contact step for account holders
    photo = SimpleUploadedFile("IMG_0001.jpg", phone_jpeg(), content_type="image/jpeg")
    response = send(client, django_capture_on_commit_callbacks, report_fields(place), photos=[photo])
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert report.applicant == user and report.contact_name == "" and report.status == S.ROUTED
    stored = ReportPhoto.objects.get(report=report)
    assert stored.keeps_location is False
    with photo_storage().open(stored.stored_name, "rb") as handle:
        data = handle.read()
    kept = Image.open(io.BytesIO(data))
    assert kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {} and b"PhoneMaker" not in data
    done = client.get(reverse("report-sent")).content.decode()
    assert reverse("my-report", kwargs={"code": report.code}) in done

    # The reporter sees the photo; headers keep it private and typed.
    served = client.get(reverse("report-photo", kwargs={"pk": stored.pk}))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "private" and served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == data


def test_shared_location_keeps_the_gps(citizen, categories, place, django_capture_on_commit_callbacks):
    client, _user = citizen
    photo = SimpleUploadedFile("IMG_0002.jpg", phone_jpeg(), content_type="image/jpeg")
    send(client, django_capture_on_commit_callbacks, report_fields(place, keep_location="on"), photos=[photo])
    stored = ReportPhoto.objects.get()
    with photo_storage().open(stored.stored_name, "rb") as handle:
        gps = Image.open(io.BytesIO(handle.read())).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert stored.keeps_location and gps[ExifTags.GPS.GPSLatitudeRef] == "N"


# --- tracking ------------------------------------------------------------------------------------------


def test_tracking_shows_code_and_status_but_no_personal_data(
    anon, categories, place, django_capture_on_commit_callbacks
):
    code = confirm_phone(anon)
    anon.post(reverse("report-new-confirm"), {"code": code})
    send(anon, django_capture_on_commit_callbacks, report_fields(place))
    report = Report.objects.get()
    viewer = english(Client())
    form = viewer.get(reverse("report-track-form"), {"code": f" {report.code.lower()} "})
    assert form.status_code == 302 and form.url == reverse("report-track", kwargs={"code": report.code})
    page = viewer.get(form.url)
    body = page.content.decode()
    assert page.status_code == 200 and report.code in body and report.get_status_display() in body
    assert NAME not in body and PHONE not in body and TEXT not in body and "12 Lê Lợi" not in body
    assert viewer.get(reverse("report-track", kwargs={"code": "PA-00000-000000-0000"})).status_code == 404
    assert viewer.get(reverse("report-track-form"), {"code": ""}).status_code == 400


def test_tracking_is_rate_limited_per_ip(anon, categories):
    """Unknown codes: the misses' own limit (10 in 10 minutes by default) answers 429 first."""
    url = reverse("report-track", kwargs={"code": "PA-00000-000000-0000"})
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, 5, tzinfo=UTC), tick=False):  # one window
        statuses = [anon.get(url).status_code for _ in range(11)]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429


# --- the reporter's own pages --------------------------------------------------------------------------


@pytest.fixture
def filed(citizen, categories, place, django_capture_on_commit_callbacks):
    client, _user = citizen
    photo = SimpleUploadedFile("IMG_0003.jpg", phone_jpeg(), content_type="image/jpeg")
    send(client, django_capture_on_commit_callbacks, report_fields(place), photos=[photo])
    return Report.objects.get()


def test_another_citizen_gets_404_on_the_report_and_its_photo(filed, citizen, other_citizen, anon):
    client, _user = citizen
    other, _other_user = other_citizen
    photo = filed.photos.get()
    mine = client.get(reverse("my-report", kwargs={"code": filed.code}))
    assert mine.status_code == 200 and TEXT in mine.content.decode()
    assert filed.code in client.get(reverse("my-reports")).content.decode()
    assert other.get(reverse("my-report", kwargs={"code": filed.code})).status_code == 404
    assert filed.code not in other.get(reverse("my-reports")).content.decode()
    assert other.get(reverse("report-photo", kwargs={"pk": photo.pk})).status_code == 404
    assert anon.get(reverse("report-photo", kwargs={"pk": photo.pk})).status_code == 404
    assert anon.get(reverse("my-reports")).status_code == 302  # to the login


def test_a_published_report_shows_its_photos_to_anyone(filed, officer, anon):
    report = answered(filed, officer)
    report_transition(
        report=report, action="publish", actor=officer, public_text="Đèn đường hỏng.", public_answer="Đã sửa."
    )
    assert anon.get(reverse("report-photo", kwargs={"pk": filed.photos.get().pk})).status_code == 200


def test_rate_and_reopen_through_the_reporters_page(filed, citizen, officer):
    client, _user = citizen
    url = reverse("my-report", kwargs={"code": filed.code})
    page = client.get(url).content.decode()
    assert 'value="rate"' not in page and 'value="reopen"' not in page  # nothing to rate before the answer

    fix = SimpleUploadedFile("fixed.jpg", phone_jpeg(), content_type="image/jpeg")
    answered(filed, officer, note="Đã thay bóng đèn mới.", photos=[fix])
    page = client.get(url).content.decode()
    assert "Đã thay bóng đèn mới." in page and 'value="rate"' in page and 'value="reopen"' in page
    assert officer.full_name not in page  # the timeline names no staff
    answer_photo = filed.photos.get(role="answer")
    assert reverse("report-photo", kwargs={"pk": answer_photo.pk}) in page
    assert client.get(reverse("report-photo", kwargs={"pk": answer_photo.pk})).status_code == 200

    refused = client.post(url, {"action": "rate", "rating": "9"})
    assert refused.status_code == 400 and "error-summary" in refused.content.decode()
    rated = client.post(url, {"action": "rate", "rating": "4"})
    assert rated.status_code == 302
    filed.refresh_from_db()
    assert filed.satisfaction == 4

    no_note = client.post(url, {"action": "reopen", "note": ""})
    assert no_note.status_code == 400 and 'id="id_note_error"' in no_note.content.decode()
    reopened = client.post(url, {"action": "reopen", "note": "Đèn lại hỏng sau hai ngày."})
    assert reopened.status_code == 302
    filed.refresh_from_db()
    assert filed.status == S.IN_PROGRESS and filed.reopen_count == 1 and filed.satisfaction is None
    page = client.get(url).content.decode()
    assert "Đèn lại hỏng sau hai ngày." in page and 'value="reopen"' not in page


def test_a_stale_action_is_a_message_not_an_error_page(filed, citizen):
    client, _user = citizen
    url = reverse("my-report", kwargs={"code": filed.code})
    response = client.post(url, {"action": "rate", "rating": "5"}, follow=True)  # not answered yet
    assert response.status_code == 200 and "message-error" in response.content.decode()
    filed.refresh_from_db()
    assert filed.satisfaction is None


# --- invalid input -------------------------------------------------------------------------------------


def test_invalid_input_shows_form_errors_and_keeps_what_was_typed(citizen, categories, place):
    client, _user = citizen
    empty = client.post(reverse("report-new"), {"action": "send"})
    body = empty.content.decode()
    assert empty.status_code == 400 and "error-summary" in body
    for field in ("category", "text", "unit", "address"):
        assert f'id="id_{field}_error"' in body

    half = client.post(reverse("report-new"), report_fields(place, latitude="10.77", text="Cây đổ chắn đường."))
    body = half.content.decode()
    assert half.status_code == 400 and 'id="id_latitude_error"' in body and "Cây đổ chắn đường." in body

    not_a_photo = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    refused = client.post(reverse("report-new"), {**report_fields(place), "photos": [not_a_photo]})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'id="id_photos_error"' in body
    assert TEXT in body and 'id="photos-dropped"' in body  # the text stays; the page says to choose photos again

    too_many = [SimpleUploadedFile(f"p{i}.jpg", phone_jpeg(), content_type="image/jpeg") for i in range(6)]
    assert client.post(reverse("report-new"), {**report_fields(place), "photos": too_many}).status_code == 400
    assert not Report.objects.exists()


def test_the_place_list_can_be_searched_without_diacritics(citizen, categories, place):
    client, _user = citizen
    found = client.get(reverse("report-new"), {"unit_q": "ben thanh"}).content.decode()
    unit_select = re.search(r'<select name="unit".*?</select>', found, re.S).group(0)
    options = re.findall(r'<option value="(\d+)"', unit_select)
    assert str(place.pk) in options and len(options) < 10
    # The search button inside the form keeps what was typed.
    kept = client.post(reverse("report-new"), report_fields(place, action="find_unit", unit_q="ben thanh"))
    body = kept.content.decode()
    assert kept.status_code == 200 and TEXT in body and f'<option value="{place.pk}" selected' in body
    assert not Report.objects.exists()


def test_nav_offers_sending_to_everyone_and_my_reports_to_citizens(anon, citizen):
    client, _user = citizen
    anonymous = anon.get(reverse("home")).content.decode()
    assert reverse("report-new") in anonymous and reverse("my-reports") not in anonymous
    assert reverse("my-reports") in client.get(reverse("home")).content.decode()

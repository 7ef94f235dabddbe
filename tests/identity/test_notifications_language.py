"""Notifications read in the recipient's language (issue 8 item 4): Vietnamese by default, else the
language chosen in the profile, with the Vietnamese (the text with legal weight) below it.

The steps are driven as users take them: the officer asks for a supplement on the workbench, users
choose their language on the profile page. Dates are dd/mm/yyyy HH:MM in Ho Chi Minh City time.
"""

# ruff: noqa: F811  (the procedures fixtures are imported, and test arguments name them)

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from identity.models import Notification
from identity.notifications import BODY_SEPARATOR
from procedures import services
from tests.procedures.conftest import (  # noqa: F401  (fixtures)
    citizen,
    client_for,
    dossier,
    people,
    procedure,
)

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SUBJECT = "Dossier %(code)s: please send a supplement"
PAUSED = "The processing time is paused until you send the supplement."


@pytest.fixture
def officer(people):
    return people["officer.benthanh"]


@pytest.fixture
def reachable(citizen):
    citizen.email = "an.nguyen@example.vn"
    citizen.notify_by_email = True
    citizen.save(update_fields=["email", "notify_by_email"])
    return citizen


@pytest.fixture
def vietnamese():
    """Vietnamese for two texts, put in the catalogue for this test (locale/ is maintained apart)."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("vi")._catalog
    texts = {
        SUBJECT: "Hồ sơ %(code)s: đề nghị bổ sung",
        PAUSED: "Thời hạn giải quyết tạm dừng cho đến khi ông/bà gửi bổ sung.",
    }
    saved = {msgid: catalog.get(msgid) for msgid in texts}
    for msgid, text in texts.items():
        catalog[msgid] = text
    yield texts
    for msgid, text in saved.items():
        if text is None:
            del catalog._catalogs[0][msgid]
        else:
            catalog[msgid] = text


@pytest.fixture
def ask_for_a_supplement(officer, django_capture_on_commit_callbacks):
    """The officer receives the dossier and asks for a supplement on the workbench page."""

    def ask(dossier):
        services.dossier_transition(dossier=dossier, action="receive", actor=officer)
        dossier.refresh_from_db()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(officer).post(
                reverse("workbench-action", args=[dossier.code, "request_supplement"]),
                {
                    "request_supplement-version": dossier.version,
                    "request_supplement-note": "Thiếu bản sao giấy khai sinh",
                },
            )
        assert response.status_code == 302
        return Notification.objects.filter(user=dossier.applicant).first()  # newest first

    return ask


def choose_language(user, language: str):
    """The user picks the language of their notifications on the profile page."""
    response = client_for(user).post(
        reverse("profile"),
        {
            "phone": "",
            "email": user.email,
            "notify_by_email": "on" if user.notify_by_email else "",
            "language": language,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.language == language


def test_a_citizen_reads_the_notification_and_the_email_in_vietnamese_only(
    dossier, reachable, ask_for_a_supplement, vietnamese
):
    notification = ask_for_a_supplement(dossier)
    assert notification.subject == f"Hồ sơ {dossier.code}: đề nghị bổ sung"
    assert "please send a supplement" not in notification.subject
    assert vietnamese[PAUSED] in notification.body and PAUSED not in notification.body
    assert BODY_SEPARATOR not in notification.body  # no English copy below
    (email,) = mail.outbox
    assert email.subject == notification.subject
    assert vietnamese[PAUSED] in email.body and PAUSED not in email.body
    with translation.override("vi"):
        details = gettext("Details")
    assert f"{details}: http" in email.body


def test_the_subject_is_rendered_with_the_vietnamese_catalogue(dossier, reachable, ask_for_a_supplement):
    notification = ask_for_a_supplement(dossier)
    with translation.override("vi"):
        expected = gettext(SUBJECT) % {"code": dossier.code}
    assert notification.subject == expected
    assert mail.outbox[0].subject == expected


def test_the_real_vietnamese_catalogue_translates_the_supplement_request(dossier, reachable, ask_for_a_supplement):
    """Literal Vietnamese from locale/vi: passes once the coordinator has translated the new msgids."""
    notification = ask_for_a_supplement(dossier)
    assert notification.subject.startswith(f"Hồ sơ {dossier.code}")
    assert "bổ sung" in notification.subject
    assert "please send a supplement" not in notification.subject


def test_a_citizen_who_chose_english_reads_english_with_the_vietnamese_below(
    dossier, reachable, ask_for_a_supplement, vietnamese
):
    choose_language(reachable, "en")
    notification = ask_for_a_supplement(dossier)
    assert notification.subject == f"Dossier {dossier.code}: please send a supplement"
    english, legal = notification.body.split(BODY_SEPARATOR)
    assert PAUSED in english and "Marriage registration" in english
    assert vietnamese[PAUSED] in legal and "Đăng ký kết hôn" in legal
    (email,) = mail.outbox
    assert email.subject == notification.subject
    assert "Details: http" in email.body


def test_an_officer_who_chose_english_is_told_in_english(
    dossier, citizen, officer, people, django_capture_on_commit_callbacks
):
    choose_language(officer, "en")
    services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    services.dossier_transition(dossier=dossier, action="claim", actor=officer)
    services.dossier_transition(dossier=dossier, action="request_supplement", actor=officer, note="Thiếu giấy tờ")
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_transition(dossier=dossier, action="supplement", actor=citizen, note="Đã bổ sung")
    notification = Notification.objects.get(user=officer)
    assert notification.subject == f"Dossier {dossier.code}: the citizen sent the supplement"
    assert notification.body.startswith(f"The citizen sent the supplement to dossier {dossier.code}")


def test_dates_are_day_month_year_in_ho_chi_minh_city_time(
    dossier, reachable, officer, django_capture_on_commit_callbacks
):
    # 02:30 UTC is 09:30 in Ho Chi Minh City (UTC+7).
    with (
        time_machine.travel(datetime(2026, 3, 2, 2, 30, tzinfo=ZoneInfo("UTC")), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    notification = Notification.objects.get(user=reachable)
    assert "02/03/2026 09:30" in notification.body
    assert "2026-03-02" not in notification.body

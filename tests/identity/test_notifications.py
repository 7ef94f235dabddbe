"""Notifications: each citizen-facing step tells the citizen once, in the portal and by email, in their language."""

# ruff: noqa: F811  (the procedures fixtures are imported, and test arguments name them)

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from govportal.tiers.models import Unit
from identity.context_processors import unread_notifications
from identity.models import Notification
from identity.notifications import notification_send
from procedures import services
from procedures.models import DossierEvent
from procedures.tasks import notify_dossier_event
from tests.procedures.conftest import (  # noqa: F401  (fixtures)
    citizen,
    client_for,
    dossier,
    pdf_upload,
    people,
    procedure,
)

pytestmark = pytest.mark.django_db

SEPARATOR = "\n\n---\n\n"


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
def act(django_capture_on_commit_callbacks):
    """Apply a transition and run what it queued on commit (the notification task, eagerly)."""

    def run(dossier, action, actor, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.dossier_transition(dossier=dossier, action=action, actor=actor, **kwargs)

    return run


def only_email():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == ["an.nguyen@example.vn"]
    return message


def assert_vietnamese(body: str) -> str:
    """A citizen who reads Vietnamese (the default) gets Vietnamese only (names here: catalogue data)."""
    assert SEPARATOR not in body
    assert "Đăng ký kết hôn" in body and "Marriage registration" not in body
    return body


def test_receipt_tells_the_due_date_and_links_the_slip(dossier, reachable, officer, act):
    dossier = act(dossier, "receive", officer)
    notification = Notification.objects.get(user=reachable)
    assert notification.source == f"dossier-event:{dossier.events.get(action='receive').pk}"
    assert notification.link == f"/dossiers/{dossier.code}/slip/"
    due = timezone.localtime(dossier.due_at).strftime("%d/%m/%Y %H:%M")
    vi = assert_vietnamese(notification.body)
    assert due in vi
    message = only_email()
    assert dossier.code in message.subject
    assert notification.body in message.body
    assert f"/dossiers/{dossier.code}/slip/" in message.body
    assert notification.email_sent_at is not None


@pytest.fixture
def vietnamese():
    """Two Vietnamese texts put in the catalogue for this test (locale/ is maintained apart)."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("vi")._catalog
    texts = {
        "Dossier %(code)s has been received": "Hồ sơ %(code)s đã được tiếp nhận",
        "The result is due on %(due)s.": "Ngày hẹn trả kết quả: %(due)s.",
    }
    saved = {msgid: catalog.get(msgid) for msgid in texts}
    for msgid, text in texts.items():
        catalog[msgid] = text
    yield
    for msgid, text in saved.items():
        if text is None:
            del catalog._catalogs[0][msgid]
        else:
            catalog[msgid] = text


def test_texts_are_in_vietnamese_by_default(dossier, reachable, officer, act, vietnamese):
    dossier = act(dossier, "receive", officer)
    message = only_email()
    assert message.subject == f"Hồ sơ {dossier.code} đã được tiếp nhận"
    assert "Ngày hẹn trả kết quả:" in message.body and "The result is due on" not in message.body


def test_supplement_request_carries_the_note(dossier, reachable, officer, act):
    act(dossier, "receive", officer)
    mail.outbox.clear()
    act(dossier, "request_supplement", officer, note="Thiếu bản sao giấy khai sinh")
    notification = Notification.objects.filter(user=reachable).first()  # newest first
    vi = assert_vietnamese(notification.body)
    assert "Thiếu bản sao giấy khai sinh" in vi
    assert "Thiếu bản sao giấy khai sinh" in only_email().body
    assert Notification.objects.filter(user=reachable).count() == 2


def test_decision_and_result_each_notify_once(dossier, reachable, officer, act):
    act(dossier, "receive", officer)
    act(dossier, "start_processing", officer)  # not a citizen-facing step: no message
    assert Notification.objects.filter(user=reachable).count() == 1
    mail.outbox.clear()
    act(dossier, "decide", officer, result_upload=pdf_upload("ket-qua.pdf"))
    assert_vietnamese(only_email().body)
    mail.outbox.clear()
    act(dossier, "return_result", officer)
    assert_vietnamese(only_email().body)
    subjects = list(Notification.objects.filter(user=reachable).values_list("subject", flat=True))
    assert len(subjects) == 3 and all(dossier.code in s for s in subjects)


def test_apology_gives_the_reason_and_the_new_date(dossier, reachable, officer, act):
    dossier = act(dossier, "receive", officer)
    mail.outbox.clear()
    new_due = dossier.due_at + timedelta(days=1)  # within the bound (the procedure's limit again)
    act(dossier, "apologise", officer, note="Cần xác minh thêm tại địa phương", new_due_at=new_due)
    message = only_email()
    vi = assert_vietnamese(Notification.objects.filter(user=reachable).first().body)
    shown = timezone.localtime(new_due).strftime("%d/%m/%Y %H:%M")
    assert "Cần xác minh thêm tại địa phương" in vi and shown in vi
    assert shown in message.subject


def test_running_the_task_twice_notifies_once(dossier, reachable, officer, act):
    act(dossier, "receive", officer)
    event = DossierEvent.objects.get(dossier=dossier, action="receive")
    assert notify_dossier_event.delay(event.pk).get() == 0
    assert notify_dossier_event(event.pk) == 0
    assert Notification.objects.filter(user=reachable).count() == 1
    assert len(mail.outbox) == 1


def test_a_citizen_without_email_gets_only_the_in_app_notification(dossier, citizen, officer, act):
    citizen.email = ""
    citizen.save(update_fields=["email"])
    act(dossier, "receive", officer)
    assert Notification.objects.filter(user=citizen).count() == 1
    assert mail.outbox == []


def test_a_citizen_who_declined_email_gets_no_email(dossier, reachable, officer, act):
    reachable.notify_by_email = False
    reachable.save(update_fields=["notify_by_email"])
    act(dossier, "receive", officer)
    assert Notification.objects.filter(user=reachable).count() == 1
    assert mail.outbox == []


def test_steps_the_citizen_does_not_hear_about_send_nothing(dossier, reachable, officer):
    event = DossierEvent.objects.get(dossier=dossier, action="submit")
    assert notify_dossier_event(event.pk) == 0
    assert notify_dossier_event(999_999) == 0
    assert not Notification.objects.exists()


def test_a_failed_email_is_sent_by_the_retry_without_a_second_row(dossier, reachable, officer):
    services.dossier_transition(dossier=dossier, action="receive", actor=officer)  # on_commit not run here
    event = DossierEvent.objects.get(dossier=dossier, action="receive")
    with (
        mock.patch("identity.notifications.send_mail", side_effect=ConnectionRefusedError),
        pytest.raises(ConnectionRefusedError),
    ):
        notify_dossier_event(event.pk)
    notification = Notification.objects.get(user=reachable)
    assert notification.email_sent_at is None
    assert notify_dossier_event(event.pk) == 1
    assert Notification.objects.filter(user=reachable).count() == 1
    assert len(mail.outbox) == 1


def test_notifications_without_a_source_are_not_deduplicated(citizen):
    notification_send(user=citizen, subject="A", body="a")
    notification_send(user=citizen, subject="B", body="b")
    assert Notification.objects.filter(user=citizen).count() == 2


# --- the page and the header count ----------------------------------------------------


def test_the_page_shows_only_ones_own_notifications_newest_first(citizen, people):
    other = people["079190004567"]
    notification_send(user=citizen, subject="Older message", body="first")
    notification_send(user=citizen, subject="Newer message", body="second")
    notification_send(user=other, subject="Someone else's message", body="private")
    response = client_for(citizen).get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else" not in html
    assert html.index("Newer message") < html.index("Older message")


def test_posting_marks_read(citizen, people):
    first = notification_send(user=citizen, subject="One", body="1")
    notification_send(user=citizen, subject="Two", body="2")
    theirs = notification_send(user=people["079190004567"], subject="Three", body="3")
    client = client_for(citizen)
    # Someone else's notification cannot be marked through this page.
    assert client.post("/notifications/", {"notification": theirs.pk}).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post("/notifications/", {"notification": first.pk})
    assert list(Notification.objects.filter(user=citizen, read_at__isnull=True).values_list("subject", flat=True)) == [
        "Two"
    ]
    response = client.post("/notifications/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert not Notification.objects.filter(user=citizen, read_at__isnull=True).exists()


def test_the_page_needs_a_login(client, db):
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_unread_count_for_the_header(citizen):
    from django.contrib.auth.models import AnonymousUser

    notification_send(user=citizen, subject="One", body="1")
    request = RequestFactory().get("/")
    request.user = citizen
    assert unread_notifications(request) == {"unread_notifications": 1}
    request.user = AnonymousUser()
    assert unread_notifications(request) == {"unread_notifications": 0}


def test_every_action_the_citizen_hears_about_has_a_message():
    from procedures.notifications import MESSAGES

    assert set(MESSAGES) == services.CITIZEN_NOTIFY_ACTIONS


def test_transfer_names_the_new_unit_and_the_reason(dossier, reachable, officer, act):
    act(
        dossier,
        "transfer",
        officer,
        unit=Unit.objects.get(code="26740"),
        note="Thuộc thẩm quyền phường Sài Gòn",
        reason="wrong_area",
    )
    assert not Notification.objects.filter(user=reachable).exists()  # told once the new unit accepts
    from identity.models import User

    act(dossier, "accept_transfer", User.objects.get(username="officer.saigon"))
    vi = assert_vietnamese(Notification.objects.get(user=reachable).body)
    assert "Phường Sài Gòn" in vi and "Thuộc thẩm quyền phường Sài Gòn" in vi

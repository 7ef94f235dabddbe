"""Officers hear about their work, in the portal and by email (issue 8 item 5).

Each step is driven as its user takes it: the citizen sends the supplement on
their dossier's page, the head assigns and the officers transfer or return on
the workbench, beat runs the clocks. The one recipient rule: the assignee, or
(nobody assigned) every officer and head of the unit; nobody hears of their
own action.
"""

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as BrokerError

from govportal.tiers.models import Unit
from identity.models import Notification
from procedures import clocks, services
from procedures.models import DossierEvent
from procedures.notifications import STAFF_MESSAGES, STAFF_SOURCE_PREFIX
from procedures.tasks import notify_dossier_event, sweep_unnotified_events
from tests.procedures.conftest import client_for, pdf_upload

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STAFF = ("officer.benthanh", "head.benthanh", "officer.saigon", "head.saigon")


@pytest.fixture
def staff(people):
    """The demo staff of Bến Thành and Sài Gòn, each with an email address and email notices on."""
    for username in STAFF:
        user = people[username]
        user.email = f"{username}@hcm.gov.vn"
        user.notify_by_email = True
        user.save(update_fields=["email", "notify_by_email"])
    return {username: people[username] for username in STAFF}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a request queued on commit (the notification task, eagerly), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def subject_of(msgid: str, dossier, **values) -> str:
    """The subject a Vietnamese reader gets (the coordinator's translation, once locale/vi has it)."""
    with translation.override("vi"):
        return gettext(msgid) % {"code": dossier.code, **values}


def staff_notices(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, source__startswith=STAFF_SOURCE_PREFIX))


def told(*users) -> set[str]:
    """Usernames among `users` with a staff notice."""
    return {u.username for u in users if staff_notices(u)}


def emails_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def action_url(dossier, action):
    return reverse("workbench-action", args=[dossier.code, action])


def ask_for_a_supplement(dossier, officer, *, claim: bool):
    services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    if claim:
        services.dossier_transition(dossier=dossier, action="claim", actor=officer)
    return services.dossier_transition(
        dossier=dossier, action="request_supplement", actor=officer, note="Thiếu bản sao giấy khai sinh"
    )


def send_supplement(citizen_client, dossier, committed):
    with committed():
        response = citizen_client.post(
            reverse("my-dossier-supplement", kwargs={"code": dossier.code}),
            {"files": [pdf_upload("khai-sinh.pdf")], "note": "Đã bổ sung bản sao giấy khai sinh"},
        )
    assert response.status_code == 302
    return response


def test_the_citizens_supplement_reaches_the_assigned_officer_in_the_portal_and_by_email(
    dossier, staff, citizen, citizen_client, committed
):
    officer, head = staff["officer.benthanh"], staff["head.benthanh"]
    ask_for_a_supplement(dossier, officer, claim=True)
    mail.outbox.clear()

    send_supplement(citizen_client, dossier, committed)

    expected = subject_of("Dossier %(code)s: the citizen sent the supplement", dossier)
    page = client_for(officer).get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert escape(expected) in html
    assert f'href="/workbench/dossiers/{dossier.code}/"' in html
    (email,) = emails_to(officer)
    assert email.subject == expected
    assert f"/workbench/dossiers/{dossier.code}/" in email.body
    # The resumed clock's due date, as the city writes dates.
    due = timezone.localtime(DossierEvent.objects.get(dossier=dossier, action="supplement").dossier.due_at, TZ)
    assert due.strftime("%d/%m/%Y %H:%M") in email.body
    # Assigned: only the assignee; the citizen is not told of their own supplement.
    assert told(*staff.values()) == {"officer.benthanh"}
    assert not emails_to(head)
    assert not Notification.objects.filter(user=citizen, subject=expected).exists()


def test_an_unassigned_dossiers_supplement_reaches_the_units_officers_and_head(
    dossier, staff, citizen_client, committed
):
    ask_for_a_supplement(dossier, staff["officer.benthanh"], claim=False)
    send_supplement(citizen_client, dossier, committed)
    assert told(*staff.values()) == {"officer.benthanh", "head.benthanh"}
    assert len(mail.outbox) >= 2


def test_the_head_assigns_on_the_workbench_and_the_officer_is_told(dossier, staff, committed):
    officer, head = staff["officer.benthanh"], staff["head.benthanh"]
    with committed():
        response = client_for(head).post(
            action_url(dossier, "assign"), {"assign-version": dossier.version, "assign-assignee": officer.pk}
        )
    assert response.status_code == 302
    (notice,) = staff_notices(officer)
    assert notice.subject == subject_of("Dossier %(code)s was assigned to you", dossier)
    assert notice.link == f"/workbench/dossiers/{dossier.code}/"
    assert "Võ Quốc Huy" in notice.body  # who assigned it
    assert [m.subject for m in emails_to(officer)] == [notice.subject]
    assert not staff_notices(head)  # nobody hears of their own action


def test_an_officer_who_takes_a_dossier_is_not_told(dossier, staff, committed):
    officer = staff["officer.benthanh"]
    with committed():
        response = client_for(officer).post(action_url(dossier, "claim"), {"claim-version": dossier.version})
    assert response.status_code == 302
    assert told(*staff.values()) == set()
    assert mail.outbox == []


def transfer_to_saigon(dossier, officer, committed):
    saigon = Unit.objects.get(code="26740")
    dossier.refresh_from_db()  # the page shows the current version
    with committed():
        response = client_for(officer).post(
            action_url(dossier, "transfer"),
            {
                "transfer-version": dossier.version,
                "transfer-note": "Thuộc thẩm quyền phường Sài Gòn",
                "transfer-unit": saigon.pk,
                "transfer-reason": "wrong_area",
            },
        )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.pending_transfer_unit == saigon
    return dossier


def test_a_transfer_arrives_at_the_target_units_staff(dossier, staff, committed):
    officer = staff["officer.benthanh"]
    services.dossier_transition(dossier=dossier, action="claim", actor=officer)
    transfer_to_saigon(dossier, officer, committed)
    assert told(*staff.values()) == {"officer.saigon", "head.saigon"}
    (notice,) = staff_notices(staff["officer.saigon"])
    assert notice.subject == subject_of("Dossier %(code)s transferred to your unit: accept or return it", dossier)
    assert "Thuộc thẩm quyền phường Sài Gòn" in notice.body
    assert "Phường Sài Gòn" in notice.body and "Phường Bến Thành" in notice.body  # to whom, from whom
    assert len(emails_to(staff["head.saigon"])) == 1


def test_a_returned_transfer_reaches_the_sending_officer(dossier, staff, committed):
    officer = staff["officer.benthanh"]
    services.dossier_transition(dossier=dossier, action="claim", actor=officer)
    dossier = transfer_to_saigon(dossier, officer, committed)
    mail.outbox.clear()
    with committed():
        response = client_for(staff["officer.saigon"]).post(
            action_url(dossier, "return_transfer"),
            {"return_transfer-version": dossier.version, "return_transfer-note": "Địa chỉ thuộc phường Bến Thành"},
        )
    assert response.status_code == 302
    (notice,) = staff_notices(officer)
    assert notice.subject == subject_of("Dossier %(code)s: the transfer was returned", dossier)
    assert "Địa chỉ thuộc phường Bến Thành" in notice.body
    assert [m.subject for m in emails_to(officer)] == [notice.subject]
    assert not emails_to(staff["head.benthanh"])  # assigned: the assignee hears, not the whole unit
    assert len(staff_notices(staff["officer.saigon"])) == 1  # the transfer's notice only, not their own return


def test_a_clock_warning_reaches_the_assignee_in_the_portal_and_by_email(dossier, staff, committed):
    officer, head = staff["officer.benthanh"], staff["head.benthanh"]
    # Received Monday 2 March 2026 09:00 with a 3-working-day limit: 80% used on Wednesday 4 March 13:42.
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=TZ), tick=False):
        services.dossier_transition(dossier=dossier, action="receive", actor=officer)
        services.dossier_transition(dossier=dossier, action="assign", actor=head, assignee=officer)
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=TZ), tick=False), committed():
        assert clocks.clocks_run()["due_soon"] == 1
    (notice,) = staff_notices(officer)  # (the set-up above ran no on-commit task: no assignment notice)
    assert notice.subject == subject_of("Dossier %(code)s is due soon: %(due)s", dossier, due="05/03/2026 09:00")
    assert [m.subject for m in emails_to(officer)] == [notice.subject]
    assert not emails_to(head) and told(head, staff["officer.saigon"]) == set()
    assert escape(notice.subject) in client_for(officer).get("/notifications/").content.decode()


def test_a_lost_staff_notification_is_sent_by_the_sweep(dossier, staff, citizen_client, committed):
    officer = staff["officer.benthanh"]
    with committed():
        ask_for_a_supplement(dossier, officer, claim=True)  # the citizen is told of these steps
    with mock.patch.object(notify_dossier_event, "delay", side_effect=BrokerError("Error 111 connecting to redis")):
        send_supplement(citizen_client, dossier, committed)
    assert not staff_notices(officer)  # the broker lost it: the supplement is saved all the same
    later = timezone.now() + timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS + 1)
    with time_machine.travel(later):
        assert sweep_unnotified_events() == 1
        assert len(staff_notices(officer)) == 1
        assert sweep_unnotified_events() == 0  # told once


def test_a_transfer_to_a_unit_without_staff_is_not_queued_again_by_every_sweep(dossier, staff, people):
    nobody_there = Unit.objects.filter(kind="ward", is_active=True, postings__isnull=True).exclude(code="26743").first()
    services.dossier_transition(
        dossier=dossier,
        action="transfer",
        actor=staff["officer.benthanh"],
        unit=nobody_there,
        note="Thuộc thẩm quyền nơi khác",
        reason="wrong_area",
    )  # its on-commit task is not run here: as if lost
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS + 1)):
        assert sweep_unnotified_events() == 0


def test_every_step_the_staff_hear_about_has_a_message():
    assert set(STAFF_MESSAGES) == services.STAFF_NOTIFY_ACTIONS | set(clocks.KINDS)
    assert not services.STAFF_NOTIFY_ACTIONS & services.CITIZEN_NOTIFY_ACTIONS


def test_clock_notices_sent_before_the_upgrade_count_as_told(dossier, staff):
    """identity migration 0006 renames the clock notices' old per-user sources to the staff form."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("identity.migrations.0006_notification_language")
    officer = staff["officer.benthanh"]
    event = services.dossier_event_append(
        dossier=dossier, actor=None, action="due_soon", from_status=dossier.status, to_status=dossier.status
    )
    Notification.objects.create(user=officer, subject="s", body="b", source=f"dossier-clock:{event.pk}:{officer.pk}")
    migration.staff_sources(apps, None)
    assert [n.source for n in staff_notices(officer)] == [f"{STAFF_SOURCE_PREFIX}{event.pk}"]
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS + 1)):
        assert sweep_unnotified_events() == 0

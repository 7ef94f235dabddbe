"""Personal data kept only as long as needed (govportal.operations.retention): report contacts, drafts never submitted."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedback.models import Report, ReportEvent, ReportNotice
from govportal.celery import app
from govportal.operations.models import RetentionRun
from govportal.operations.retention import retention_run
from identity.models import OneTimeCode
from procedures import uploads
from procedures.models import Dossier, DossierDocument, DossierEvent
from tests.conftest import require
from tests.procedures.conftest import pdf_upload
from tests.security.audit_world import draft, report, world

CONTACT = ("contact_name", "contact_phone", "contact_email")


@pytest.fixture
def cases(db, settings):
    """Reports, dossiers and one-time codes on each side of the retention periods (365, 90 and 30 days)."""
    require("postgres")
    settings.RETENTION_REPORT_CONTACT_DAYS, settings.RETENTION_DRAFT_DAYS = 365, 90
    settings.RETENTION_ONE_TIME_CODE_DAYS = 30
    w = world()
    open_original = report(w, "PA-99901-250101-0005", status="in_progress", closed_days_ago=None)
    old_draft = draft(w, days_ago=120)
    stored = uploads.store_upload(pdf_upload())
    document = DossierDocument.objects.create(
        dossier=old_draft,
        key="to-khai",
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=w["citizen"],
    )
    DossierDocument.objects.filter(pk=document.pk).update(uploaded_at=timezone.now() - timedelta(days=120))
    recently_touched = draft(w, days_ago=120)
    DossierEvent.objects.create(
        dossier=recently_touched, action="update_draft", to_status="draft", at=timezone.now() - timedelta(days=3)
    )
    old_closed = report(w, "PA-99901-250101-0001")
    first_event = ReportEvent.objects.get(report=old_closed)
    for recipient in ("sms:0901234567", "email:lien.he@example.vn", f"user:{w['citizen'].pk}"):
        ReportNotice.objects.create(event=first_event, recipient=recipient)
    for days, address in ((40, "0901234567"), (1, "0907654321")):
        code = OneTimeCode.objects.create(
            channel="sms", address=address, purpose="report", code_hash="0" * 64, expires_at=timezone.now()
        )
        OneTimeCode.objects.filter(pk=code.pk).update(created_at=timezone.now() - timedelta(days=days))
    return {
        "old_closed": old_closed,
        "old_rejected": report(w, "PA-99901-250101-0002", status="rejected", contact_name="", contact_email=""),
        "recent_closed": report(w, "PA-99901-250101-0003", closed_days_ago=30),
        "open": report(w, "PA-99901-250101-0004", status="in_progress", closed_days_ago=None),
        # A duplicate is answered with its original: kept while the original is open.
        "duplicate_of_open": report(
            w, "PA-99901-250101-0006", status="rejected", rejection_reason="duplicate", duplicate_of=open_original
        ),
        "old_draft": old_draft,
        "stored_name": stored.stored_name,
        "recent_draft": draft(w, days_ago=10),
        "recently_touched": recently_touched,
        "old_submitted": draft(
            w,
            days_ago=400,
            status="submitted",
            code="HCM-99901-250101-0001",
            submitted_at=timezone.now() - timedelta(days=400),
        ),
    }


def _contact(report: Report) -> tuple:
    report.refresh_from_db()
    return tuple(getattr(report, name) for name in CONTACT)


def test_old_closed_contacts_are_erased_and_old_drafts_deleted_with_their_files(
    cases, django_capture_on_commit_callbacks
):
    before = {key: _contact(cases[key]) for key in ("recent_closed", "open", "duplicate_of_open")}
    version = cases["old_closed"].version
    assert uploads.stored_exists(cases["stored_name"])

    with django_capture_on_commit_callbacks(execute=True):
        summary = retention_run()

    assert summary["reports"] == ["PA-99901-250101-0001", "PA-99901-250101-0002"]
    for key in ("old_closed", "old_rejected"):
        assert _contact(cases[key]) == ("", "", "")
    assert cases["old_closed"].version == version + 1
    erased = ReportEvent.objects.get(report=cases["old_closed"], action="contact_erased")
    assert erased.data == {"fields": list(CONTACT), "retention_days": 365}
    assert ReportEvent.objects.get(report=cases["old_rejected"], action="contact_erased").data["fields"] == [
        "contact_phone"
    ]
    assert ReportEvent.objects.filter(report=cases["old_closed"], action="create").exists()  # the trail stays
    assert {key: _contact(cases[key]) for key in before} == before
    recipients = set(ReportNotice.objects.values_list("recipient", flat=True))
    assert not any("0901234567" in r or "lien.he" in r for r in recipients)
    assert sorted(r.split(":")[0] for r in recipients if r.endswith("(erased)")) == ["email", "sms"]
    assert len([r for r in recipients if r.startswith("user:")]) == 1  # an account is no contact to erase
    assert list(OneTimeCode.objects.values_list("address", flat=True)) == ["0907654321"]

    assert summary["drafts"] == [str(cases["old_draft"].uuid)] and summary["files"] == 1
    assert not Dossier.objects.filter(pk=cases["old_draft"].pk).exists()
    assert not DossierEvent.objects.filter(dossier_id=cases["old_draft"].pk).exists()
    assert not DossierDocument.objects.filter(dossier_id=cases["old_draft"].pk).exists()
    assert not uploads.stored_exists(cases["stored_name"])
    for key in ("recent_draft", "recently_touched", "old_submitted"):
        assert Dossier.objects.filter(pk=cases[key].pk).exists(), key
    assert DossierEvent.objects.filter(dossier=cases["old_submitted"]).exists()

    run = RetentionRun.objects.get()
    assert (run.reports_erased, run.drafts_deleted, run.files_deleted, run.codes_deleted) == (2, 1, 1, 1)
    assert run.detail == {"reports": summary["reports"], "drafts": summary["drafts"]}

    # Idempotent: a second run finds nothing, and says so in its own record.
    again = retention_run()
    assert again["reports"] == [] and again["drafts"] == [] and again["codes"] == 0
    assert ReportEvent.objects.filter(action="contact_erased").count() == 2
    assert RetentionRun.objects.count() == 2


def test_a_dry_run_changes_nothing(cases):
    events, dossiers = ReportEvent.objects.count(), Dossier.objects.count()
    out = StringIO()
    call_command("retention_run", "--dry-run", stdout=out)
    assert "PA-99901-250101-0001" in out.getvalue() and str(cases["old_draft"].uuid) in out.getvalue()
    assert _contact(cases["old_closed"]) == ("Trần Thị Liên Hệ", "0901234567", "lien.he@example.vn")
    assert "One-time codes that would be deleted: 1" in out.getvalue()
    assert (ReportEvent.objects.count(), Dossier.objects.count(), OneTimeCode.objects.count()) == (events, dossiers, 2)
    assert uploads.stored_exists(cases["stored_name"])
    assert not RetentionRun.objects.exists()
    uploads.discard(cases["stored_name"])  # this test's own file


def test_the_periods_are_settings_and_the_beat_runs_the_registered_task(
    cases, settings, django_capture_on_commit_callbacks
):
    settings.RETENTION_REPORT_CONTACT_DAYS = 10  # the recent closed report (30 days) is now past it
    assert "PA-99901-250101-0003" in retention_run(dry_run=True)["reports"]
    app.loader.import_default_modules()  # the worker's autodiscovery
    task = app.tasks[settings.CELERY_BEAT_SCHEDULE["retention-run"]["task"]]
    with django_capture_on_commit_callbacks(execute=True):
        result = task.apply().get()
    assert result == {
        "dry_run": False,
        "report_contact_days": 10,
        "draft_days": 90,
        "reports": 3,
        "drafts": 1,
        "files": 1,
        "codes": 1,
    }
    assert not uploads.stored_exists(cases["stored_name"])

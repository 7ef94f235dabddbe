"""A small world for the audit and retention tests, built directly (no 168 units): fast to set up."""

from datetime import timedelta

from django.utils import timezone

from feedback.models import Category, Report, ReportEvent
from govportal.tiers.models import Unit
from identity.models import User
from procedures.models import Dossier, DossierEvent
from tests.procedures.conftest import make_procedure


def world() -> dict:
    unit = Unit.objects.create(code="99901", filing_code="99901", name="Phường Thử", kind="ward", tier="commune")
    category = Category.objects.create(
        code="den-duong-thu", name_vi="Đèn đường", name_en="Street lights", tier="commune", time_limit_working_days=5
    )
    citizen = User.objects.create(username="079085001111", personal_id="079085001111", full_name="Nguyễn Thị Thử")
    return {"unit": unit, "category": category, "citizen": citizen, "procedure": make_procedure(code="9.999001")}


def report(w: dict, code: str, *, status="closed", closed_days_ago: int | None = 400, **fields) -> Report:
    now = timezone.now()
    values = {
        "contact_name": "Trần Thị Liên Hệ",
        "contact_phone": "0901234567",
        "contact_email": "lien.he@example.vn",
    }
    values.update(fields)
    created = Report.objects.create(
        code=code,
        category=w["category"],
        text="Đèn đường hỏng.",
        unit=w["unit"],
        receiving_unit=w["unit"],
        address="12 Lê Lợi",
        status=status,
        submitted_at=now - timedelta(days=500),
        closed_at=None if closed_days_ago is None else now - timedelta(days=closed_days_ago),
        **values,
    )
    ReportEvent.objects.create(report=created, action="create", to_status="new", at=now - timedelta(days=500))
    return created


def draft(w: dict, *, days_ago: int, **fields) -> Dossier:
    """A dossier (a draft unless told otherwise) last changed `days_ago` days ago, with its first event."""
    at = timezone.now() - timedelta(days=days_ago)
    dossier = Dossier.objects.create(
        procedure=w["procedure"], applicant=w["citizen"], receiving_unit=w["unit"], **fields
    )
    Dossier.objects.filter(pk=dossier.pk).update(created_at=at, updated_at=at)
    DossierEvent.objects.create(dossier=dossier, actor=w["citizen"], action="create_draft", to_status="draft", at=at)
    return dossier

"""Fixtures for procedures: a procedure built directly, the actors as logged-in clients, dossiers at each step."""

from decimal import Decimal

import pytest
from django.test import Client

from govportal.tiers.models import Unit
from identity.models import User
from procedures import services
from procedures.models import FeeLine, Procedure, RequiredDocument

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf_upload(name="giay-to.pdf", content=PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def people(demo_users, population):
    """Demo citizens and staff (with TOTP set up, as seeded) and the mock registry."""
    return {u.username: u for u in User.objects.all()}


def make_procedure(*, code="1.000656", tier="commune", department=None, days=3, min_eid_level=2) -> Procedure:
    procedure = Procedure.objects.create(
        code=code,
        national_code=code,
        name_vi="Đăng ký kết hôn",
        name_en="Marriage registration",
        field="civil_status",
        tier=tier,
        handling_department=department,
        time_limit_value=Decimal(days),
        time_limit_unit="working_days",
        min_eid_level=min_eid_level,
        online_level="full",
        form_fields=[
            {
                "name": "full_name",
                "label_vi": "Họ và tên",
                "label_en": "Full name",
                "type": "text",
                "required": True,
                "prefill": "full_name",
            },
            {
                "name": "partner_name",
                "label_vi": "Họ tên người kết hôn",
                "label_en": "Partner's full name",
                "type": "text",
                "required": True,
            },
        ],
    )
    FeeLine.objects.create(procedure=procedure, kind="fee", name_vi="Lệ phí", name_en="Fee", amount_vnd=0)
    RequiredDocument.objects.create(procedure=procedure, key="to-khai", name_vi="Tờ khai", name_en="Form")
    RequiredDocument.objects.create(
        procedure=procedure,
        key="giay-to-tuy-than",
        name_vi="Giấy tờ tùy thân",
        name_en="ID paper",
        replaceable_by_registry=True,
    )
    return procedure


@pytest.fixture
def procedure(units):
    return make_procedure()


@pytest.fixture
def city_procedure(units):
    return make_procedure(code="HCM-LLTP", tier="city", department=Unit.objects.get(code="so-tu-phap"), days=10)


def client_for(user, *, eid_level=None) -> Client:
    client = Client()
    client.force_login(user)
    if eid_level is not None:
        session = client.session
        session["eid_level"] = eid_level
        session.save()
    return client


@pytest.fixture
def citizen(people):
    return people["079085001234"]


@pytest.fixture
def citizen_client(citizen):
    return client_for(citizen, eid_level=2)


@pytest.fixture
def officer_client(people):
    return client_for(people["officer.benthanh"])


def submitted_dossier(procedure, citizen, *, unit_code="26743", route=True):
    """A dossier filed the way the services file it: draft, prefill, upload, submit (and routed,
    as the on-commit task would, unless `route=False`)."""
    dossier = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=Unit.objects.get(code=unit_code), eid_level=2
    )
    services.dossier_prefill_from_registry(dossier=dossier, actor=citizen)
    services.dossier_draft_update(dossier=dossier, actor=citizen, form_data={"partner_name": "Phạm Thị Hoa"})
    services.document_attach(dossier=dossier, actor=citizen, upload=pdf_upload(), key="to-khai")
    submitted = services.dossier_transition(dossier=dossier, action="submit", actor=citizen, eid_level=2)
    if route:
        # Routing runs in a task on commit; tests roll back instead of committing, so route here.
        from procedures.routing import dossier_route

        dossier_route(dossier_id=submitted.pk)
        submitted.refresh_from_db()
    return submitted


@pytest.fixture
def dossier(procedure, citizen):
    return submitted_dossier(procedure, citizen)

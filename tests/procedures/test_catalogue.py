"""The procedure catalogue: loading it, the citizen pages, the API and the admin."""

import dataclasses
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from govportal.tiers.models import Unit, UnitKind
from identity.registry.base import RegistryRecord
from procedures.catalogue import CATALOGUE_PATH, PREFILL_SOURCES, CatalogueError, catalogue_load, form_fields_errors
from procedures.models import FeeLine, Procedure, RequiredDocument
from procedures.views.catalogue import time_limit_text

pytestmark = pytest.mark.django_db

BIRTH = "1.001193"
JUDICIAL_RECORD = "HCM-LY-LICH-TU-PHAP"


@pytest.fixture
def catalogue(units):
    return catalogue_load()


@pytest.fixture
def english():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def listed_codes(response) -> list[str]:
    return [p.code for p in response.context["procedures"]]


# --- loading -------------------------------------------------------------------------


def test_the_catalogue_has_at_least_25_procedures_of_both_tiers(catalogue):
    assert catalogue["created"] == catalogue["total"] == Procedure.objects.count() >= 25
    assert Procedure.objects.filter(tier="city").count() >= 5
    assert Procedure.objects.filter(tier="commune").count() >= 20
    assert Procedure.objects.values("field").distinct().count() >= 8


def test_every_city_tier_procedure_is_decided_by_a_department_unit(catalogue):
    for procedure in Procedure.objects.filter(tier="city"):
        assert procedure.handling_department is not None, procedure.code
        assert procedure.handling_department.kind == UnitKind.DEPARTMENT
        assert procedure.handling_department.tier == "city"
    assert not Procedure.objects.filter(tier="commune", handling_department__isnull=False).exists()
    assert Procedure.objects.get(code=JUDICIAL_RECORD).handling_department.code == "cong-an-thanh-pho"


def test_a_second_load_changes_nothing(catalogue):
    fee_ids = sorted(FeeLine.objects.values_list("id", flat=True))
    document_ids = sorted(RequiredDocument.objects.values_list("id", flat=True))
    again = catalogue_load()
    assert again == {"created": 0, "updated": 0, "unchanged": catalogue["total"], "total": catalogue["total"]}
    assert sorted(FeeLine.objects.values_list("id", flat=True)) == fee_ids
    assert sorted(RequiredDocument.objects.values_list("id", flat=True)) == document_ids


def test_a_load_puts_back_what_differs_from_the_file_and_counts_it(catalogue):
    procedure = Procedure.objects.get(code=JUDICIAL_RECORD)
    procedure.fee_lines.update(amount_vnd=1)
    procedure.time_limit_value = Decimal(99)
    procedure.save()
    result = catalogue_load()
    assert result["updated"] == 1 and result["created"] == 0
    procedure.refresh_from_db()
    assert procedure.time_limit_value == 10 and procedure.total_fee == 200_000


def test_keep_existing_adds_missing_procedures_and_leaves_admin_edits(catalogue):
    Procedure.objects.filter(code=BIRTH).update(time_limit_value=Decimal(2))
    Procedure.objects.get(code="1.000656").delete()
    result = catalogue_load(keep_existing=True)
    assert result["created"] == 1 and result["updated"] == 0
    assert Procedure.objects.get(code=BIRTH).time_limit_value == 2


def test_loading_without_the_departments_fails_and_creates_nothing(db):
    with pytest.raises(CatalogueError, match="load_units"):
        catalogue_load()
    assert Procedure.objects.count() == 0


def test_admin_added_procedures_and_is_active_survive_a_load(catalogue):
    Procedure.objects.filter(code=BIRTH).update(is_active=False)
    catalogue_load()
    assert Procedure.objects.get(code=BIRTH).is_active is False


def test_some_documents_are_taken_from_the_registry(catalogue):
    replaceable = RequiredDocument.objects.filter(replaceable_by_registry=True)
    assert replaceable.count() >= 10
    assert replaceable.filter(procedure__code=BIRTH, key="giay-to-tuy-than").exists()
    assert RequiredDocument.objects.filter(replaceable_by_registry=False).exists()


def test_conditional_documents_are_not_required(catalogue):
    authorisation = RequiredDocument.objects.get(procedure__code=JUDICIAL_RECORD, key="giay-uy-quyen")
    assert authorisation.is_required is False


def test_form_fields_are_well_formed_and_prefill_from_registry_attributes(catalogue):
    record_attributes = {f.name for f in dataclasses.fields(RegistryRecord)}
    assert set(PREFILL_SOURCES) <= record_attributes
    for procedure in Procedure.objects.all():
        assert 2 <= len(procedure.form_fields) <= 5, procedure.code
        assert form_fields_errors(procedure.form_fields) == [], procedure.code
        assert all(f["label_vi"] and f["label_en"] for f in procedure.form_fields)
    assert any(f.get("prefill") for p in Procedure.objects.all() for f in p.form_fields)


def test_form_field_errors_are_reported():
    errors = form_fields_errors([{"name": "x", "label_vi": "X", "type": "colour", "prefill": "salary"}])
    assert len(errors) == 2


def test_the_file_keeps_sources_confidence_and_the_caveat():
    data = json.loads(CATALOGUE_PATH.read_text())
    assert data["caveat"] == "illustrative demo data, not legal advice"
    assert len(data["procedures"]) == 34
    for entry in data["procedures"]:
        assert entry["sources"] and entry["confidence"] in {"high", "medium", "low"}
        if entry["national_code"]:
            assert entry["code"] == entry["national_code"]
        else:
            assert entry["code"].startswith("HCM-")


def test_calendar_day_limits_stay_calendar_days(catalogue):
    assert Procedure.objects.get(code=JUDICIAL_RECORD).time_limit_unit == "days"
    assert Procedure.objects.get(code=BIRTH).time_limit_unit == "working_days"


# --- time limit text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        ("1", "working_days", "1 working day"),
        ("3.00", "working_days", "3 working days"),
        ("15", "days", "15 calendar days"),
        ("4", "working_hours", "4 working hours"),
        ("0.5", "working_days", "0.5 working days"),
    ],
)
def test_time_limit_text(value, unit, text):
    from django.utils import translation

    with translation.override("en"):
        assert time_limit_text(Procedure(time_limit_value=Decimal(value), time_limit_unit=unit)) == text


# --- citizen pages ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["khai sinh", "Khai sinh", "dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "1.001193"])
def test_search_with_or_without_diacritics_finds_birth_registration(client, catalogue, query):
    response = client.get("/procedures/", {"q": query})
    assert response.status_code == 200
    assert BIRTH in listed_codes(response)
    assert f'href="/procedures/{BIRTH}/"' in response.content.decode()


def test_search_finds_nothing_for_nonsense(english, catalogue):
    response = english.get("/procedures/", {"q": "xyzzy"})
    assert listed_codes(response) == []
    assert "No procedure matches" in response.content.decode()


def test_the_list_without_filters_shows_everything_with_fee_and_time_limit(english, catalogue):
    response = english.get("/procedures/")
    assert len(listed_codes(response)) == catalogue["total"]
    body = response.content.decode()
    assert "200.000 ₫" in body and "0 ₫" in body
    assert "10 calendar days" in body and "1 working day" in body
    assert '<th scope="col">' in body


def test_browse_by_field(client, catalogue):
    codes = listed_codes(client.get("/procedures/", {"field": "justice"}))
    assert codes == [JUDICIAL_RECORD]
    civil = listed_codes(client.get("/procedures/", {"field": "civil_status"}))
    assert BIRTH in civil and JUDICIAL_RECORD not in civil


def test_browse_by_tier(client, catalogue):
    city = listed_codes(client.get("/procedures/", {"tier": "city"}))
    assert set(city) == set(Procedure.objects.filter(tier="city").values_list("code", flat=True))
    commune = listed_codes(client.get("/procedures/", {"tier": "commune", "q": "khai sinh"}))
    assert BIRTH in commune and JUDICIAL_RECORD not in commune


def test_unknown_filter_values_are_ignored(client, catalogue):
    response = client.get("/procedures/", {"field": "nonsense", "tier": "galaxy"})
    assert response.status_code == 200
    assert len(listed_codes(response)) == catalogue["total"]


def test_the_filter_form_is_a_labelled_get_form(client, catalogue):
    body = client.get("/procedures/", {"field": "land"}).content.decode()
    assert 'method="get"' in body
    for name in ("procedure-q", "procedure-field", "procedure-tier"):
        assert f'<label for="{name}">' in body
    assert '<option value="land" selected>' in body


def test_detail_of_a_commune_procedure(english, catalogue):
    response = english.get(f"/procedures/{BIRTH}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Birth registration</h1>" in body
    assert "0 ₫" in body
    assert "1 working day" in body
    assert "The ward/commune that receives your dossier" in body
    assert "Taken from the population registry: not asked of you" in body
    assert f'href="/procedures/{BIRTH}/file/"' in body and "File online" in body
    assert "Illustrative demo data, not legal advice" in body
    assert "Level 2" in body


def test_detail_marks_exactly_the_replaceable_documents(english, catalogue):
    body = english.get(f"/procedures/{BIRTH}/").content.decode()
    procedure = Procedure.objects.get(code=BIRTH)
    assert body.count('class="from-registry"') == procedure.documents.filter(replaceable_by_registry=True).count() == 2


def test_detail_of_a_city_procedure_names_the_department_and_fee(english, catalogue):
    body = english.get(f"/procedures/{JUDICIAL_RECORD}/").content.decode()
    assert Unit.objects.get(code="cong-an-thanh-pho").name_en in body
    assert "200.000 ₫" in body
    assert "10 calendar days" in body
    assert "local code" in body


def test_detail_in_vietnamese_shows_the_vietnamese_name(client, catalogue):
    body = client.get(f"/procedures/{BIRTH}/").content.decode()
    assert "Đăng ký khai sinh" in body
    assert "0 ₫" in body


def test_unknown_procedure_is_404(client, catalogue):
    assert client.get("/procedures/9.999999/").status_code == 404


def test_inactive_procedure_is_404(client, catalogue):
    Procedure.objects.filter(code=BIRTH).update(is_active=False)
    assert client.get(f"/procedures/{BIRTH}/").status_code == 404
    assert BIRTH not in listed_codes(client.get("/procedures/"))


# --- API ------------------------------------------------------------------------------


def test_api_list_is_public_and_paginated(client, catalogue):
    response = client.get("/api/v1/procedures/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == catalogue["total"]
    assert {"next", "previous", "results"} <= set(data)
    expected = {"code", "name_vi", "name_en", "field", "tier", "handling_department", "time_limit", "fee_total"}
    assert expected <= set(data["results"][0])


def test_api_list_filters(client, catalogue):
    city = client.get("/api/v1/procedures/", {"tier": "city"}).json()
    assert city["count"] == Procedure.objects.filter(tier="city").count()
    assert all(p["tier"] == "city" and p["handling_department"] for p in city["results"])
    justice = client.get("/api/v1/procedures/", {"field": "justice"}).json()
    assert [p["code"] for p in justice["results"]] == [JUDICIAL_RECORD]


def test_api_list_rejects_an_unknown_filter_value(client, catalogue):
    response = client.get("/api/v1/procedures/", {"tier": "galaxy"})
    assert response.status_code == 400


@pytest.mark.parametrize("search", ["dang ky khai sinh", "Đăng ký khai sinh", "khai sinh"])
def test_api_search_with_or_without_diacritics(client, catalogue, search):
    codes = [p["code"] for p in client.get("/api/v1/procedures/", {"search": search}).json()["results"]]
    assert BIRTH in codes


def test_api_detail(client, catalogue):
    response = client.get(f"/api/v1/procedures/{JUDICIAL_RECORD}/")
    assert response.status_code == 200
    data = response.json()
    assert data["handling_department"] == "cong-an-thanh-pho"
    assert data["time_limit"] == {"value": 10.0, "unit": "days"}
    assert data["fee_total"] == 200_000
    assert data["fee_lines"][0]["amount_vnd"] == 200_000
    assert {d["key"]: d["replaceable_by_registry"] for d in data["documents"]}["giay-to-tuy-than"] is True
    fields = {f["name"]: f for f in data["form_fields"]}
    assert fields["full_name"]["prefill"] == "full_name"
    assert fields["purpose"]["prefill"] is None and fields["purpose"]["type"] == "textarea"


def test_api_detail_of_a_commune_procedure_has_no_department(client, catalogue):
    data = client.get(f"/api/v1/procedures/{BIRTH}/").json()
    assert data["handling_department"] is None and data["tier"] == "commune"


def test_api_detail_unknown_is_a_json_404(client, catalogue):
    response = client.get("/api/v1/procedures/9.999999/")
    assert response.status_code == 404
    assert "code" in response.json()


def test_the_schema_documents_the_catalogue(client, catalogue):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/procedures/{code}/" in text and "ProcedureDetailOutput" in text


# --- admin ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(db):
    from allauth.mfa.totp.internal.auth import TOTP

    from identity.models import User

    superuser = User.objects.create_superuser(username="admin.test", password="A-long-enough-pass-42")
    TOTP.activate(superuser, "JBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_procedure_changelist_loads_with_confidence(admin_client, catalogue):
    response = admin_client.get("/admin/procedures/procedure/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "column-confidence" in body
    assert admin_client.get("/admin/procedures/procedure/", {"confidence": "low"}).status_code == 200
    assert admin_client.get("/admin/procedures/procedure/", {"q": "dang ky khai sinh"}).status_code == 200


def test_admin_procedure_change_page_has_the_inlines(admin_client, catalogue):
    procedure = Procedure.objects.get(code=BIRTH)
    response = admin_client.get(f"/admin/procedures/procedure/{procedure.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "fee_lines-TOTAL_FORMS" in body and "documents-TOTAL_FORMS" in body


def test_admin_form_requires_a_department_for_city_tier(catalogue):
    from procedures.admin import ProcedureAdminForm

    procedure = Procedure.objects.get(code=JUDICIAL_RECORD)
    data = {
        "code": procedure.code,
        "national_code": "",
        "name_vi": procedure.name_vi,
        "name_en": procedure.name_en,
        "field": procedure.field,
        "tier": "city",
        "handling_department": "",
        "time_limit_value": "10",
        "time_limit_unit": "days",
        "min_eid_level": "2",
        "online_level": "full",
        "form_fields": json.dumps([{"name": "x", "label_vi": "X", "type": "colour"}]),
        "sources": "[]",
        "is_active": "on",
    }
    form = ProcedureAdminForm(data=data, instance=procedure)
    assert not form.is_valid()
    assert "handling_department" in form.errors and "form_fields" in form.errors


def test_admin_dossiers_and_events_are_read_only(admin_client, catalogue):
    assert admin_client.get("/admin/procedures/dossier/").status_code == 200
    assert admin_client.get("/admin/procedures/dossier/", {"q": "HCM-26743"}).status_code == 200
    assert admin_client.get("/admin/procedures/dossier/add/").status_code == 403
    assert admin_client.get("/admin/procedures/dossierevent/").status_code == 200
    assert admin_client.get("/admin/procedures/dossierevent/add/").status_code == 403


def test_admin_dossier_page_shows_the_timeline_and_edits_nothing(admin_client, dossier):
    response = admin_client.get(f"/admin/procedures/dossier/{dossier.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert dossier.code in body
    assert 'name="status"' not in body and 'name="_save"' not in body
    assert "submit" in body  # the timeline's first event
    assert (
        admin_client.post(f"/admin/procedures/dossier/{dossier.pk}/change/", {"status": "decided"}).status_code == 403
    )
    dossier.refresh_from_db()
    assert dossier.status == "submitted"

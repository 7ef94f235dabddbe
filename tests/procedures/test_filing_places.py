"""Where a dossier may be filed (issue 8, item 1), through the filing pages and the API, and one dossier
code format for every receiving place (docs/0005-filing-places-and-codes.md).

Commune-tier procedures: any of the 168 commune-level units, whatever the residence, and nothing else.
City-tier procedures: their department, the city's Public Administration Service Centre, or any
commune-level unit (which forwards the dossier to the department).
"""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from govportal.tiers.models import Unit
from govportal.tiers.selectors import COORDINATING_UNIT_CODE, receiving_units_for
from procedures import services
from procedures.models import Dossier
from tests.procedures.conftest import client_for, pdf_upload

pytestmark = pytest.mark.django_db

API = "/api/v1/dossiers/"
CODE = re.compile(r"^HCM-(\d{5})-\d{6}-\d{4}$")
COMMUNE_LEVEL = ("ward", "commune", "special_zone")


def offered_unit_ids(response) -> set[int]:
    """The unit ids the page's receiving-unit select offers."""
    html = response.content.decode()
    select = re.search(r'<select name="receiving_unit"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the page has no receiving-unit select"
    return {int(pk) for pk in re.findall(r'<option value="(\d+)"', select.group(1))}


def commune_level_ids() -> set[int]:
    return set(Unit.objects.filter(kind__in=COMMUNE_LEVEL).values_list("pk", flat=True))


def start(client, procedure, **data) -> Dossier:
    response = client.post(reverse("dossier-start", kwargs={"code": procedure.code}), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Dossier.objects.get(uuid=response.url.strip("/").split("/")[-1])


def draft_url(dossier) -> str:
    return reverse("dossier-draft", kwargs={"uuid": dossier.uuid})


def refusal_text(procedure, unit) -> str:
    """The service's message, as the (Vietnamese-first) page renders it."""
    with translation.override("vi"):
        return escape(services.receiving_unit_refusal(procedure, unit).detail)


def file_through_api(client, procedure, unit_code, capture) -> dict:
    response = client.post(
        API,
        {"procedure": procedure.code, "receiving_unit": unit_code, "form_data": {"partner_name": "Phạm Thị Hoa"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    uuid = response.json()["uuid"]
    assert client.post(f"{API}drafts/{uuid}/documents/", {"key": "to-khai", "file": pdf_upload()}).status_code == 201
    with capture(execute=True):  # routing runs on commit
        response = client.post(f"{API}drafts/{uuid}/submit/")
    assert response.status_code == 200, response.json()
    return client.get(f"{API}{response.json()['code']}/").json()


# --- commune-tier procedures -----------------------------------------------------------------------


def test_the_draft_page_offers_the_168_commune_level_units_and_no_department(citizen_client, procedure):
    dossier = start(citizen_client, procedure)
    assert dossier.receiving_unit.code == "26743"  # the residence, preselected
    page = citizen_client.get(draft_url(dossier))
    assert page.status_code == 200
    offered = offered_unit_ids(page)
    assert offered == commune_level_ids() and len(offered) == 168
    assert not offered & set(Unit.objects.filter(tier="city").values_list("pk", flat=True))
    assert f'<option value="{dossier.receiving_unit_id}" selected>' in page.content.decode()


def test_a_citizen_without_residence_is_offered_commune_level_units_only(citizen, procedure):
    citizen.residence_unit = None
    citizen.save(update_fields=["residence_unit"])
    client = client_for(citizen, eid_level=2)
    url = reverse("dossier-start", kwargs={"code": procedure.code})
    assert offered_unit_ids(client.get(url)) == commune_level_ids()

    health = Unit.objects.get(code="so-y-te")
    response = client.post(url, {"receiving_unit": health.pk})
    assert response.status_code == 400
    assert refusal_text(procedure, health) in response.content.decode()
    assert not Dossier.objects.filter(applicant=citizen).exists()

    dossier = start(client, procedure, receiving_unit=Unit.objects.get(code="26740").pk)
    assert dossier.receiving_unit.code == "26740"


def test_posting_a_department_anyway_is_refused_with_the_message_and_the_answers_are_kept(citizen_client, procedure):
    dossier = start(citizen_client, procedure)
    health = Unit.objects.get(code="so-y-te")
    response = citizen_client.post(
        draft_url(dossier), {"receiving_unit": health.pk, "action": "save", "f_partner_name": "Phạm Thị Hoa"}
    )
    assert response.status_code == 400
    assert refusal_text(procedure, health) in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.receiving_unit.code == "26743"
    assert dossier.form_data["partner_name"] == "Phạm Thị Hoa"


def test_the_api_refuses_a_department_with_a_stable_code(citizen_client, procedure):
    response = citizen_client.post(
        API, {"procedure": procedure.code, "receiving_unit": "so-y-te"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "receiving_unit_not_allowed"
    assert "Sở Y tế" in response.json()["detail"]
    assert not Dossier.objects.exists()

    uuid = citizen_client.post(
        API, {"procedure": procedure.code, "receiving_unit": "26740"}, content_type="application/json"
    ).json()["uuid"]
    for place in ("so-tu-phap", COORDINATING_UNIT_CODE, "79"):
        response = citizen_client.patch(
            f"{API}drafts/{uuid}/", {"receiving_unit": place}, content_type="application/json"
        )
        assert response.status_code == 400, place
        assert response.json()["code"] == "receiving_unit_not_allowed"
    assert Dossier.objects.get(uuid=uuid).receiving_unit.code == "26740"


def test_a_commune_tier_dossier_filed_elsewhere_than_the_residence_is_decided_there(
    citizen_client, procedure, django_capture_on_commit_callbacks
):
    detail = file_through_api(citizen_client, procedure, "26740", django_capture_on_commit_callbacks)
    assert CODE.match(detail["code"]).group(1) == "26740"
    assert detail["receiving_unit"]["code"] == detail["handling_unit"]["code"] == "26740"


# --- city-tier procedures ------------------------------------------------------------------------


def test_a_city_tier_draft_offers_its_department_the_centre_and_every_ward(citizen_client, city_procedure):
    dossier = start(citizen_client, city_procedure)
    assert dossier.receiving_unit.code == "26743"  # the residence may receive it too
    offered = offered_unit_ids(citizen_client.get(draft_url(dossier)))
    city = {Unit.objects.get(code="so-tu-phap").pk, Unit.objects.get(code=COORDINATING_UNIT_CODE).pk}
    assert offered == commune_level_ids() | city
    assert Unit.objects.get(code="so-y-te").pk not in offered  # another department does not receive it


def test_a_city_tier_dossier_may_not_be_filed_at_another_department(citizen_client, city_procedure):
    dossier = start(citizen_client, city_procedure)
    health = Unit.objects.get(code="so-y-te")
    response = citizen_client.post(draft_url(dossier), {"receiving_unit": health.pk, "action": "save"})
    assert response.status_code == 400
    assert refusal_text(city_procedure, health) in response.content.decode()
    response = citizen_client.patch(
        f"{API}drafts/{dossier.uuid}/", {"receiving_unit": "so-y-te"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "receiving_unit_not_allowed"


def test_a_city_tier_dossier_filed_at_a_ward_is_routed_to_its_department(
    citizen_client, city_procedure, django_capture_on_commit_callbacks
):
    detail = file_through_api(citizen_client, city_procedure, "26740", django_capture_on_commit_callbacks)
    assert CODE.match(detail["code"]).group(1) == "26740"
    assert detail["receiving_unit"]["code"] == "26740"
    assert detail["handling_unit"]["code"] == "so-tu-phap"


def test_a_city_tier_dossier_filed_at_the_centre_is_routed_to_its_department(
    citizen_client, city_procedure, django_capture_on_commit_callbacks
):
    detail = file_through_api(
        citizen_client, city_procedure, COORDINATING_UNIT_CODE, django_capture_on_commit_callbacks
    )
    assert CODE.match(detail["code"]).group(1) == Unit.objects.get(code=COORDINATING_UNIT_CODE).filing_code
    assert detail["handling_unit"]["code"] == "so-tu-phap"


def test_a_dossier_filed_at_a_department_has_a_five_digit_code(citizen_client, city_procedure):
    dossier = start(citizen_client, city_procedure)
    justice = Unit.objects.get(code="so-tu-phap")
    response = citizen_client.post(
        draft_url(dossier),
        {"receiving_unit": justice.pk, "action": "save", "f_partner_name": "Phạm Thị Hoa", "doc_to-khai": pdf_upload()},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    review = reverse("dossier-review", kwargs={"uuid": dossier.uuid})
    response = citizen_client.post(review, {"version": Dossier.objects.get(pk=dossier.pk).version})
    dossier.refresh_from_db()
    assert response.status_code == 302 and dossier.status == "submitted", dossier.status
    assert CODE.match(dossier.code).group(1) == justice.filing_code == "79003"


def test_submission_checks_the_place_again_when_the_catalogue_changed(citizen_client, city_procedure):
    """Filed at the department while the procedure was city-tier; an admin then made it commune-tier."""
    response = citizen_client.post(
        API,
        {"procedure": city_procedure.code, "receiving_unit": "so-tu-phap", "form_data": {"partner_name": "Hoa"}},
        content_type="application/json",
    )
    uuid = response.json()["uuid"]
    citizen_client.post(f"{API}drafts/{uuid}/documents/", {"key": "to-khai", "file": pdf_upload()})
    city_procedure.tier, city_procedure.handling_department = "commune", None
    city_procedure.save()
    response = citizen_client.post(f"{API}drafts/{uuid}/submit/")
    assert response.status_code == 400
    assert response.json()["code"] == "receiving_unit_not_allowed"
    dossier = Dossier.objects.get(uuid=uuid)
    assert dossier.status == "draft" and dossier.code is None


# --- what the API offers ------------------------------------------------------------------------------


def receiving_unit_codes(client, procedure) -> list[str]:
    codes, url = [], f"/api/v1/procedures/{procedure.code}/receiving-units/"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        codes += [unit["code"] for unit in response.json()["results"]]
        url = response.json()["next"]
    return codes


def test_the_api_lists_where_each_procedure_may_be_filed(client, procedure, city_procedure):
    communes = set(Unit.objects.filter(kind__in=COMMUNE_LEVEL).values_list("code", flat=True))
    assert set(receiving_unit_codes(client, procedure)) == communes
    city = receiving_unit_codes(client, city_procedure)
    assert city[:2] == ["so-tu-phap", COORDINATING_UNIT_CODE]  # the city agencies first
    assert set(city[2:]) == communes and len(city) == 170


# --- one code format --------------------------------------------------------------------------------


def test_every_receiving_place_has_a_five_digit_filing_code(units):
    commune = type("P", (), {"tier": "commune", "handling_department_id": None})()
    city = type("P", (), {"tier": "city", "handling_department_id": Unit.objects.get(code="so-y-te").pk})()
    for procedure in (commune, city):
        for unit in receiving_units_for(procedure):
            assert re.fullmatch(r"\d{5}", unit.filing_code), unit
    for unit in Unit.objects.filter(kind__in=COMMUNE_LEVEL):
        assert unit.filing_code == unit.code  # the national code
    for unit in Unit.objects.filter(kind="department"):
        assert unit.filing_code.startswith("79") and int(unit.filing_code) > 33000  # outside the national range
    assert Unit.objects.get(code="79").filing_code is None  # the city as a whole receives nothing


def test_the_migration_gives_units_already_loaded_their_filing_codes(units):
    Unit.objects.update(filing_code=None)
    migration = importlib.import_module("govportal.tiers.migrations.0003_filing_codes")
    migration.fill_filing_codes(apps, None)
    assert Unit.objects.get(code="26743").filing_code == "26743"
    assert Unit.objects.get(code="so-tu-phap").filing_code == "79003"
    assert Unit.objects.get(code=COORDINATING_UNIT_CODE).filing_code == "79020"
    assert Unit.objects.filter(filing_code__isnull=True).count() == 1  # the city itself


def test_the_units_api_shows_the_filing_code(client, units):
    assert client.get("/api/v1/units/so-tu-phap/").json()["filing_code"] == "79003"

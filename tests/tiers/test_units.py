"""Units: the official list, an idempotent load, the API and its search."""

import pytest

from govportal.tiers.models import Unit
from govportal.tiers.services import units_load

pytestmark = pytest.mark.django_db


def test_168_commune_level_units_with_the_113_54_1_split(units):
    communes = Unit.objects.filter(tier="commune")
    assert communes.count() == 168
    assert communes.filter(kind="ward").count() == 113
    assert communes.filter(kind="commune").count() == 54
    assert communes.filter(kind="special_zone").count() == 1
    assert Unit.objects.get(code="26743").name == "Phường Bến Thành"
    assert Unit.objects.get(code="26740").name == "Phường Sài Gòn"


def test_city_and_departments_are_city_tier(units):
    city = Unit.objects.get(code="79")
    assert (city.tier, city.kind) == ("city", "city")
    justice = Unit.objects.get(code="so-tu-phap")
    assert (justice.tier, justice.kind, justice.parent) == ("city", "department", city)
    assert Unit.objects.filter(kind="department").count() == 21


def test_second_load_changes_nothing(units):
    before = list(Unit.objects.order_by("code").values_list("id", "code", "name", "kind", "tier", "parent_id"))
    result = units_load()
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == len(before)
    after = list(Unit.objects.order_by("code").values_list("id", "code", "name", "kind", "tier", "parent_id"))
    assert after == before


def test_reload_restores_an_edited_name_and_keeps_admin_deactivation(units):
    Unit.objects.filter(code="26743").update(name="typo", is_active=False)
    result = units_load()
    assert result.updated == 1
    unit = Unit.objects.get(code="26743")
    assert unit.name == "Phường Bến Thành"
    assert unit.is_active is False


def test_load_units_command_is_idempotent(db, capsys):
    from django.core.management import call_command

    call_command("load_units")
    first = capsys.readouterr().out
    call_command("load_units")
    second = capsys.readouterr().out
    assert "190 created" in first
    assert "0 created, 0 updated, 190 unchanged" in second


class TestUnitsApi:
    def test_commune_tier_counts_168_and_is_public(self, client, units):
        response = client.get("/api/v1/units/", {"tier": "commune"})
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 168
        assert len(body["results"]) == 50
        assert body["next"]

    def test_filter_by_kind(self, client, units):
        body = client.get("/api/v1/units/", {"kind": "special_zone"}).json()
        assert [u["name"] for u in body["results"]] == ["Đặc khu Côn Đảo"]

    @pytest.mark.parametrize("search", ["ben thanh", "Bến Thành", "BEN THANH", "bến thanh", "thanh ben"])
    def test_search_with_or_without_diacritics_finds_ben_thanh(self, client, units, search):
        body = client.get("/api/v1/units/", {"search": search}).json()
        codes = [u["code"] for u in body["results"]]
        assert "26743" in codes

    def test_search_folds_d_with_stroke(self, client, units):
        body = client.get("/api/v1/units/", {"search": "con dao"}).json()
        assert [u["code"] for u in body["results"]] == [Unit.objects.get(kind="special_zone").code]

    def test_search_narrows(self, client, units):
        body = client.get("/api/v1/units/", {"search": "ben thanh", "tier": "commune"}).json()
        assert all("thanh" in u["name"].lower() or "thành" in u["name"].lower() for u in body["results"])
        assert body["count"] < 10

    def test_detail_by_code(self, client, units):
        body = client.get("/api/v1/units/26743/").json()
        assert body == {
            "code": "26743",
            "filing_code": "26743",
            "name": "Phường Bến Thành",
            "name_en": body["name_en"],
            "kind": "ward",
            "tier": "commune",
            "parent": "79",
        }

    def test_unknown_unit_is_json_404_with_code(self, client, units):
        response = client.get("/api/v1/units/99999/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_bad_filter_value_is_json_400_with_code(self, client, units):
        response = client.get("/api/v1/units/", {"tier": "province"})
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert "tier" in body["errors"]


def test_unit_finder_page_works_without_javascript(client, units):
    response = client.get("/units/", {"q": "ben thanh"})
    assert response.status_code == 200
    assert "Phường Bến Thành" in response.content.decode()

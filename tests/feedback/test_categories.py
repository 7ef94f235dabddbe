"""The 1022 report categories: loaded from feedback/data/categories.json, edited by city admins in the admin."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from feedback.models import Category
from feedback.selectors import categories_active, category_get
from feedback.services import CATEGORIES_PATH, CategoryDataError, categories_load
from govportal.tiers.models import Unit, UnitKind
from identity.models import User

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DATA = json.loads(CATEGORIES_PATH.read_text(encoding="utf-8"))
SHARED = ROOT.parent / "shared" / "data" / "feedback_categories.json"


@pytest.fixture
def categories(units):
    categories_load()


def snapshot() -> list[dict]:
    return list(Category.objects.order_by("code").values())


def load_command(*args) -> str:
    out = StringIO()
    call_command("load_feedback_categories", *args, stdout=out)
    return out.getvalue()


# --- loading ---------------------------------------------------------------------------


def test_loading_creates_every_category_with_its_department_time_limit_and_photo_flag(units):
    output = load_command()

    assert "16 created" in output
    assert Category.objects.count() == len(DATA["categories"]) == 16
    for entry in DATA["categories"]:
        category = category_get(entry["code"])
        assert category.name_vi == entry["name_vi"] and category.name_en == entry["name_en"]
        assert category.tier == entry["tier"]
        assert category.time_limit_working_days == entry["time_limit_working_days"]
        assert category.photo_expected is entry["photo_expected"]
        assert category.sources == entry["sources"] and category.confidence == entry["confidence"]
        assert len(category.examples_en) == len(category.examples_vi) >= 2
        if entry["tier"] == "city":
            assert category.handling_department.code == entry["handling_department"]
            assert category.handling_department.kind == UnitKind.DEPARTMENT
        else:
            assert category.handling_department is None
    assert category_get("thoat-nuoc-ngap").handling_department.name == "Sở Xây dựng"
    assert category_get("y-te").handling_department.name == "Sở Y tế"
    assert category_get("du-lich").handling_department.name == "Sở Du lịch"
    assert category_get("dien-luc").handling_department.name == "Sở Công Thương"
    assert category_get("chieu-sang").photo_expected and not category_get("tieng-on").photo_expected
    assert not category_get("hanh-chinh-cong-cap-xa").photo_expected
    assert categories_active().count() == 16


def test_the_file_keeps_the_research_and_says_what_the_portal_added():
    shared = {entry["code"]: entry for entry in json.loads(SHARED.read_text(encoding="utf-8"))}
    assert "../shared/data/feedback_categories.json" in DATA["source"]
    assert set(shared) == {entry["code"] for entry in DATA["categories"]}
    for entry in DATA["categories"]:
        research = shared[entry["code"]]
        for key in ("name_vi", "name_en", "tier", "handling_agency_vi", "time_limit_working_days", "sources"):
            assert entry[key] == research[key], (entry["code"], key)
        assert entry["confidence"] == research["confidence"]
        assert entry["photo_reason"]  # every photo decision is written down


def test_a_second_load_changes_nothing(categories):
    before = snapshot()

    counts = categories_load()

    assert counts == {"created": 0, "updated": 0, "unchanged": 16, "total": 16}
    assert snapshot() == before


def test_keep_existing_keeps_an_admins_edit_and_a_plain_load_puts_the_file_back(categories):
    category = Category.objects.get(code="cay-xanh")
    category.time_limit_working_days = 5
    category.name_vi = "Cây xanh (quản trị sửa)"
    category.is_active = False
    category.save()
    Category.objects.get(code="du-lich").delete()

    output = load_command("--keep-existing")

    assert "1 created, 0 updated, 15 unchanged" in output
    category.refresh_from_db()
    assert (category.time_limit_working_days, category.name_vi) == (5, "Cây xanh (quản trị sửa)")
    assert Category.objects.filter(code="du-lich").exists()

    assert categories_load()["updated"] == 1
    category.refresh_from_db()
    assert (category.time_limit_working_days, category.name_vi) == (10, "Cây xanh đô thị")
    assert category.is_active is False  # not a field the file owns: switching off survives
    assert "cay-xanh" not in set(categories_active().values_list("code", flat=True))


def test_a_category_an_admin_added_survives_a_load(categories):
    Category.objects.create(
        code="thu-nghiem", name_vi="Thử nghiệm", name_en="Trial", tier="commune", time_limit_working_days=7
    )
    categories_load()
    assert Category.objects.filter(code="thu-nghiem").exists()


def test_loading_without_the_departments_fails_and_creates_nothing(db):
    with pytest.raises(CommandError, match="load_units"):
        load_command()
    assert Category.objects.count() == 0


def test_a_file_with_a_city_tier_category_without_department_is_refused(units, tmp_path):
    broken = json.loads(json.dumps(DATA))
    broken["categories"][0]["handling_department"] = None
    path = tmp_path / "categories.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CategoryDataError, match="handling_department"):
        categories_load(path=path)
    assert Category.objects.count() == 0


# --- model validation ------------------------------------------------------------------


def test_a_city_tier_category_without_department_is_refused(units):
    category = Category(code="moi", name_vi="Mới", name_en="New", tier="city", time_limit_working_days=10)
    with pytest.raises(ValidationError) as error:
        category.full_clean()
    assert "handling_department" in error.value.message_dict

    category.handling_department = Unit.objects.get(code="so-xay-dung")
    category.full_clean()  # with its department it is fine


def test_a_commune_level_category_with_a_department_or_a_ward_as_department_is_refused(units):
    commune = Category(
        code="moi",
        name_vi="Mới",
        name_en="New",
        tier="commune",
        time_limit_working_days=10,
        handling_department=Unit.objects.get(code="so-xay-dung"),
    )
    with pytest.raises(ValidationError) as error:
        commune.full_clean()
    assert "handling_department" in error.value.message_dict
    city = Category(
        code="moi2",
        name_vi="Mới",
        name_en="New",
        tier="city",
        time_limit_working_days=10,
        handling_department=Unit.objects.get(code="26743"),  # a ward is not a department
    )
    with pytest.raises(ValidationError) as error:
        city.full_clean()
    assert "handling_department" in error.value.message_dict


# --- admin -----------------------------------------------------------------------------


def client_as(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def change_form(category: Category, **changes) -> dict:
    data = {
        "name_vi": category.name_vi,
        "name_en": category.name_en,
        "tier": category.tier,
        "is_active": "on",
        "handling_department": category.handling_department_id or "",
        "handling_agency_vi": category.handling_agency_vi,
        "time_limit_working_days": category.time_limit_working_days,
        "examples_vi": json.dumps(category.examples_vi, ensure_ascii=False),
        "examples_en": json.dumps(category.examples_en),
        "sources": json.dumps(category.sources),
        "confidence": category.confidence,
        "_save": "Save",
    }
    if category.photo_expected:
        data["photo_expected"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_city_admin_changes_a_category_in_the_admin(demo_users, categories):
    client = client_as("admin.city")
    category = Category.objects.get(code="tieng-on")
    url = f"/admin/feedback/category/{category.pk}/change/"
    assert 'href="/admin/feedback/category/"' in client.get("/admin/").content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert "Sở Xây dựng" in client.get("/admin/feedback/category/").content.decode()

    response = client.post(url, change_form(category, time_limit_working_days=15, photo_expected="on"))

    assert response.status_code == 302, response.content.decode()[:2000]
    category.refresh_from_db()
    assert category.time_limit_working_days == 15 and category.photo_expected is True
    # Switched off, never deleted: reports refer to categories.
    assert client.get(f"/admin/feedback/category/{category.pk}/delete/").status_code == 403


def test_the_admin_refuses_a_city_tier_category_without_department(demo_users, categories):
    client = client_as("admin.city")
    category = Category.objects.get(code="y-te")

    response = client.post(
        f"/admin/feedback/category/{category.pk}/change/", change_form(category, handling_department="")
    )

    assert response.status_code == 200  # the form again, with the error
    assert "handling_department" in response.context["adminform"].form.errors
    category.refresh_from_db()
    assert category.handling_department.code == "so-y-te"


@pytest.mark.parametrize("username", ["officer.benthanh", "officer.tuphap", "head.saigon"])
def test_officers_cannot_open_or_change_categories(demo_users, categories, username):
    client = client_as(username)
    category = Category.objects.get(code="tieng-on")
    url = f"/admin/feedback/category/{category.pk}/change/"

    assert client.get(url).status_code in (302, 403)
    response = client.post(url, change_form(category, time_limit_working_days=15))

    assert response.status_code in (302, 403)
    assert response.status_code == 403 or "/login" in response["Location"]
    category.refresh_from_db()
    assert category.time_limit_working_days == 10


def test_a_staff_member_outside_the_city_cannot_edit_even_with_the_permission(demo_users, categories):
    """The admin checks identity.access "catalogue.edit" too: a permission given by mistake opens nothing."""
    from django.contrib.auth.models import Permission

    user = User.objects.get(username="officer.benthanh")
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="feedback"))
    client = client_as("officer.benthanh")
    category = Category.objects.get(code="tieng-on")

    response = client.post(
        f"/admin/feedback/category/{category.pk}/change/", change_form(category, time_limit_working_days=15)
    )

    assert response.status_code == 403
    category.refresh_from_db()
    assert category.time_limit_working_days == 10

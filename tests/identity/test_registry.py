"""The citizen registry: the demo population, the local lookup and the audited read path."""

from collections import Counter, defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.test import override_settings

from govportal.tiers.models import Unit
from identity.demo import DEMO_CITIZENS
from identity.models import User
from identity.personal_id import parse_personal_id
from identity.registry import get_registry
from identity.registry.base import CitizenRegistry, HouseholdMember, RegistryRecord
from identity.registry.local import LocalRegistry
from identity.registry.models import RegistryAccessLog, RegistryPerson
from identity.registry.selectors import demo_pick_people
from identity.registry.services import registry_lookup, registry_population_seed

AN, BINH, CHAU = "079085001234", "079190004567", "079201112233"
UNKNOWN = "079085999999"


@pytest.fixture
def population(units):
    return registry_population_seed()


@pytest.fixture
def officer(db):
    return User.objects.create_user(username="officer.test", password="x", full_name="Phạm Thu Hà")


# --- The seed -----------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_creates_the_requested_size_and_a_second_run_creates_nothing(population):
    assert population["created"] == 400
    assert population["people"] == 400
    assert RegistryPerson.objects.count() == 400

    again = registry_population_seed()
    assert again["created"] == 0
    assert again["existing"] == 400
    assert RegistryPerson.objects.count() == 400


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_people_and_another_seed_other_people(units):
    first = registry_population_seed(size=200)
    people = set(RegistryPerson.objects.values_list("personal_id", "full_name", "birth_date", "household_id"))
    RegistryPerson.objects.all().delete()
    assert registry_population_seed(size=200)["created"] == first["created"]
    assert set(RegistryPerson.objects.values_list("personal_id", "full_name", "birth_date", "household_id")) == people
    registry_population_seed(size=200, seed=7)
    assert RegistryPerson.objects.count() > 200  # the demo households are shared, the rest differ


@pytest.mark.django_db
def test_every_commune_level_unit_has_residents(population):
    communes = set(Unit.objects.filter(tier="commune").values_list("code", flat=True))
    assert len(communes) == 168
    resident_units = set(RegistryPerson.objects.values_list("permanent_residence_unit__code", flat=True))
    assert resident_units == communes
    assert population["units"] == 168


@pytest.mark.django_db
def test_every_personal_id_is_valid_and_matches_sex_and_birth_date(population):
    province_codes = Counter()
    for number, sex, born in RegistryPerson.objects.values_list("personal_id", "sex", "birth_date"):
        parsed = parse_personal_id(number, birth_date=born)
        assert parsed.sex == sex, number
        province_codes[parsed.province_code] += 1
    assert province_codes.most_common(1)[0][0] == "079"
    assert len(province_codes) > 3  # some people were born elsewhere


@pytest.mark.django_db
def test_households_are_consistent(population):
    households = defaultdict(list)
    for person in RegistryPerson.objects.select_related("permanent_residence_unit"):
        households[person.household_id].append(person)
    assert len(households) == population["households"]
    for household_id, people in households.items():
        heads = [p for p in people if p.relation_to_head == "head"]
        assert len(heads) == 1, household_id
        head = heads[0]
        assert head.birth_date.year <= 2007, household_id  # heads are adults
        assert len({p.permanent_residence_unit_id for p in people}) == 1
        assert len({p.permanent_address for p in people}) == 1
        assert head.permanent_address.endswith(head.permanent_residence_unit.name)
        spouses = [p for p in people if p.relation_to_head == "spouse"]
        assert len(spouses) <= 1
        if spouses:
            assert head.marital_status == spouses[0].marital_status == "married"
            assert head.sex != spouses[0].sex
        else:
            assert head.marital_status != "married", household_id
        for child in (p for p in people if p.relation_to_head == "child"):
            assert child.marital_status == "single"
            assert child.birth_date.year >= head.birth_date.year + 14 or spouses, household_id
        for parent in (p for p in people if p.relation_to_head == "parent"):
            assert parent.birth_date < head.birth_date


@pytest.mark.django_db
def test_names_are_vietnamese_with_family_middle_and_given_name(population):
    family_names = Counter(name.split()[0] for name in RegistryPerson.objects.values_list("full_name", flat=True))
    assert family_names.most_common(1)[0][0] == "Nguyễn"
    assert set(family_names) <= {
        "Nguyễn",
        "Trần",
        "Lê",
        "Phạm",
        "Hoàng",
        "Huỳnh",
        "Phan",
        "Vũ",
        "Võ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
    }
    assert all(len(name.split()) == 3 for name in RegistryPerson.objects.values_list("full_name", flat=True))


@pytest.mark.django_db
def test_the_demo_citizens_are_exactly_as_specified(population):
    an = RegistryPerson.objects.select_related("permanent_residence_unit").get(personal_id=AN)
    assert (an.full_name, an.sex, an.birth_date, an.permanent_residence_unit.code) == (
        "Nguyễn Văn An",
        "male",
        date(1985, 3, 12),
        "26743",
    )
    assert (an.marital_status, an.relation_to_head, an.is_demo_pick) == ("married", "head", True)
    assert an.permanent_address == "12 Lê Lợi, Phường Bến Thành"

    binh = RegistryPerson.objects.select_related("permanent_residence_unit").get(personal_id=BINH)
    assert (binh.full_name, binh.sex, binh.birth_date, binh.permanent_residence_unit.code) == (
        "Trần Thị Bình",
        "female",
        date(1990, 7, 4),
        "26740",
    )
    assert (binh.marital_status, binh.is_demo_pick) == ("single", True)
    assert binh.permanent_residence_unit.name == "Phường Sài Gòn"

    chau = RegistryPerson.objects.select_related("permanent_residence_unit").get(personal_id=CHAU)
    assert (chau.full_name, chau.sex, chau.birth_date, chau.permanent_residence_unit.code) == (
        "Lê Minh Châu",
        "male",
        date(2001, 11, 23),
        "26743",
    )
    assert (chau.marital_status, chau.relation_to_head, chau.is_demo_pick) == ("single", "head", True)
    assert RegistryPerson.objects.filter(household_id=chau.household_id).count() == 1  # living alone


@pytest.mark.django_db
def test_the_registry_agrees_with_the_demo_users(population):
    for citizen in DEMO_CITIZENS:
        person = RegistryPerson.objects.select_related("permanent_residence_unit").get(personal_id=citizen.personal_id)
        assert person.full_name == citizen.full_name
        assert person.birth_date == citizen.birth_date
        assert person.permanent_residence_unit.code == citizen.residence_unit_code


@pytest.mark.django_db
def test_about_five_more_demo_picks_spread_over_units(population):
    picks = list(demo_pick_people())
    assert {AN, BINH, CHAU} <= {p.personal_id for p in picks}
    generated = [p for p in picks if p.personal_id not in {AN, BINH, CHAU}]
    assert 4 <= len(generated) <= 6
    assert len({p.permanent_residence_unit_id for p in generated}) == len(generated)
    assert not {p.permanent_residence_unit.code for p in generated} & {"26743", "26740"}
    assert all(p.birth_date.year <= 2007 for p in picks)  # adults only: they log in with an e-ID
    assert population["demo_picks"] == len(picks)


@pytest.mark.django_db
def test_seed_is_refused_without_demo_mode(units):
    with override_settings(DEMO_ENABLED=False), pytest.raises(RuntimeError):
        registry_population_seed()
    assert not RegistryPerson.objects.exists()


@pytest.mark.django_db
def test_seed_needs_the_units_loaded():
    with pytest.raises(RuntimeError, match="load_units"):
        registry_population_seed()


@pytest.mark.django_db
def test_seed_registry_command_is_idempotent(units, capsys):
    call_command("seed_registry")
    assert "400 people created" in capsys.readouterr().out
    call_command("seed_registry")
    assert "0 people created, 400 already there" in capsys.readouterr().out


# --- The local registry --------------------------------------------------------------


def test_the_default_backend_is_the_local_registry():
    assert isinstance(get_registry(), LocalRegistry)
    assert isinstance(get_registry(), CitizenRegistry)


@pytest.mark.django_db
def test_lookup_returns_a_frozen_record_with_the_other_household_members(population):
    record = LocalRegistry().lookup(AN)
    assert isinstance(record, RegistryRecord)
    assert record == RegistryRecord(
        personal_id=AN,
        full_name="Nguyễn Văn An",
        birth_date=date(1985, 3, 12),
        sex="male",
        permanent_residence_unit_code="26743",
        permanent_address="12 Lê Lợi, Phường Bến Thành",
        marital_status="married",
        household_id=record.household_id,
        relation_to_head="head",
        household_members=record.household_members,
    )
    assert [(m.relation, m.full_name) for m in record.household_members] == [
        ("spouse", "Phạm Thị Hoa"),
        ("child", "Nguyễn Minh Khang"),
    ]
    assert all(isinstance(m, HouseholdMember) for m in record.household_members)
    assert AN not in {m.personal_id for m in record.household_members}
    with pytest.raises(AttributeError):
        record.full_name = "Someone else"

    spouse = LocalRegistry().lookup(record.household_members[0].personal_id)
    assert spouse.marital_status == "married"
    assert [(m.personal_id, m.relation) for m in spouse.household_members][0] == (AN, "head")


@pytest.mark.django_db
def test_lookup_of_someone_living_alone_has_no_members(population):
    assert LocalRegistry().lookup(CHAU).household_members == ()


@pytest.mark.django_db
def test_lookup_makes_at_most_two_queries(population, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        LocalRegistry().lookup(AN)
    with django_assert_max_num_queries(1):
        assert LocalRegistry().lookup(UNKNOWN) is None


# --- The audited read path -----------------------------------------------------------


@pytest.mark.django_db
def test_each_registry_lookup_writes_exactly_one_log_row(population, officer):
    record = registry_lookup(
        personal_id=AN, actor=officer, purpose="dossier prefill", case_ref="dossier:HCM-26743-260115-0042"
    )
    assert record.full_name == "Nguyễn Văn An"
    assert RegistryAccessLog.objects.count() == 1
    log = RegistryAccessLog.objects.get()
    assert (log.actor, log.personal_id, log.purpose, log.case_ref, log.found) == (
        officer,
        AN,
        "dossier prefill",
        "dossier:HCM-26743-260115-0042",
        True,
    )
    assert log.at is not None

    registry_lookup(personal_id=BINH, actor=None, purpose="e-ID login")
    assert RegistryAccessLog.objects.count() == 2
    system = RegistryAccessLog.objects.get(personal_id=BINH)
    assert (system.actor, system.case_ref, system.found) == (None, "", True)


@pytest.mark.django_db
def test_unknown_person_returns_none_and_is_still_logged(population, officer):
    assert registry_lookup(personal_id=UNKNOWN, actor=officer, purpose="profile") is None
    log = RegistryAccessLog.objects.get()
    assert (log.actor, log.personal_id, log.purpose, log.found) == (officer, UNKNOWN, "profile", False)


@pytest.mark.django_db
def test_registry_lookup_costs_the_lookup_and_one_insert(population, officer, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        registry_lookup(personal_id=AN, actor=officer, purpose="profile")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"personal_id": "12345", "purpose": "profile"}, "12-digit"),
        ({"personal_id": AN, "purpose": "  "}, "purpose"),
        ({"personal_id": AN, "purpose": "x" * 101}, "purpose"),
        ({"personal_id": AN, "purpose": "profile", "case_ref": "x" * 101}, "case reference"),
    ],
)
def test_bad_requests_are_refused_before_reading(kwargs, message):
    with pytest.raises(ValueError, match=message):
        registry_lookup(actor=None, **kwargs)
    assert not RegistryAccessLog.objects.exists()


@pytest.mark.django_db
def test_an_anonymous_user_cannot_read_the_registry():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValueError, match="anonymous"):
        registry_lookup(personal_id=AN, actor=AnonymousUser(), purpose="profile")
    assert not RegistryAccessLog.objects.exists()


@pytest.mark.django_db
def test_the_access_log_is_append_only(population, officer):
    registry_lookup(personal_id=AN, actor=officer, purpose="profile")
    log = RegistryAccessLog.objects.get()
    log.purpose = "something else"
    with pytest.raises(PermissionError):
        log.save()
    with pytest.raises(PermissionError):
        log.delete()
    with pytest.raises(PermissionError):
        RegistryAccessLog.objects.update(found=False)
    with pytest.raises(PermissionError):
        RegistryAccessLog.objects.all().delete()
    assert RegistryAccessLog.objects.get().purpose == "profile"


class _DownRegistry(CitizenRegistry):
    def lookup(self, personal_id):
        raise ConnectionError("national registry unreachable")


@pytest.mark.django_db
def test_a_registry_that_cannot_answer_raises_and_nothing_is_logged():
    with override_settings(CITIZEN_REGISTRY_BACKEND=f"{__name__}._DownRegistry"):
        with pytest.raises(ConnectionError):
            registry_lookup(personal_id=AN, actor=None, purpose="profile")
    assert not RegistryAccessLog.objects.exists()


@pytest.mark.django_db
def test_admin_shows_the_registry_read_only(rf, admin_user):
    from django.contrib import admin

    import identity.registry.admin  # noqa: F401  (imported by identity/admin.py)

    request = rf.get("/")
    request.user = admin_user
    log_admin = admin.site._registry[RegistryAccessLog]
    assert log_admin.check() == []
    assert not log_admin.has_add_permission(request)
    assert not log_admin.has_change_permission(request)
    assert not log_admin.has_delete_permission(request)
    person_admin = admin.site._registry[RegistryPerson]
    assert person_admin.check() == []
    assert not person_admin.has_add_permission(request)
    assert "personal_id" in person_admin.get_readonly_fields(request)

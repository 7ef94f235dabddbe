"""Writes for the citizen registry: the audited read path, and the demo population.

``registry_lookup`` is the only way portal code reads the registry. Reading a
citizen's registry record is processing of personal data (Decree
13/2023/ND-CP), so every read leaves a RegistryAccessLog row saying who read
which number, for what purpose and case, when, and whether anyone was found.

``registry_population_seed`` fills the local registry with a deterministic,
plausible population so that e-ID login, profile pages and dossier prefill can
be tried on every one of the 168 commune-level units.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from govportal.tiers.models import Tier, Unit, UnitKind
from govportal.tiers.unit_data import load_id_province_codes
from identity.personal_id import parse_personal_id
from identity.registry import get_registry
from identity.registry.base import RegistryRecord
from identity.registry.models import (
    HouseholdRelation,
    MaritalStatus,
    RegistryAccessLog,
    RegistryPerson,
    Sex,
)

# --- The audited read path -------------------------------------------------------

_PURPOSE_MAX = RegistryAccessLog._meta.get_field("purpose").max_length
_CASE_REF_MAX = RegistryAccessLog._meta.get_field("case_ref").max_length


def registry_lookup(*, personal_id: str, actor, purpose: str, case_ref: str = "") -> RegistryRecord | None:
    """Read one citizen's record from the configured registry and log the read.

    `actor` is the user on whose behalf the registry is read (the citizen
    themself, or the officer handling a case), or None when the portal itself
    reads it (e.g. completing a profile at e-ID login). An anonymous user is
    refused: nobody reads the registry without being identified.

    Exactly one RegistryAccessLog row is written per call, found or not. The
    row is written after the backend answered: a registry that cannot be
    reached raises and nothing was read. The row is part of the caller's
    transaction, so call this outside any transaction that may still roll
    back after the record has been shown (requests are not atomic here).

    Raises ValueError for a number that is not 12 digits (validate user input
    with ``identity.personal_id.parse_personal_id`` first), an empty purpose,
    or an over-long purpose or case reference.
    """
    number = (personal_id or "").strip()
    if len(number) != 12 or not number.isdigit():
        raise ValueError("A registry lookup needs a 12-digit personal ID number.")
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > _PURPOSE_MAX:
        raise ValueError(f"A registry lookup needs a purpose of 1 to {_PURPOSE_MAX} characters.")
    case_ref = (case_ref or "").strip()
    if len(case_ref) > _CASE_REF_MAX:
        raise ValueError(f"A case reference has at most {_CASE_REF_MAX} characters.")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        raise ValueError("An anonymous user cannot read the citizen registry.")

    record = get_registry().lookup(number)
    RegistryAccessLog.objects.create(
        actor=actor, personal_id=number, purpose=purpose, case_ref=case_ref, found=record is not None
    )
    return record


# --- The demo population -----------------------------------------------------------

# Generated people are born no later than this year, so that the population is
# the same whatever day the seed runs (and no ID number is "born in the future").
REFERENCE_YEAR = 2025
ADULT_BORN_BY = REFERENCE_YEAR - 18

# Family names with rough shares in Viet Nam (Nguyễn about 38 %).
FAMILY_NAMES = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9.5),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 5),
    ("Phan", 4.5),
    ("Vũ", 3.9),
    ("Võ", 3.9),
    ("Đặng", 2.1),
    ("Bùi", 2),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1),
    ("Lý", 0.5),
]
MIDDLE_NAMES = {
    Sex.MALE: ["Văn", "Văn", "Văn", "Minh", "Quốc", "Hữu", "Gia", "Thanh", "Đức", "Công", "Hoàng", "Tuấn"],
    Sex.FEMALE: ["Thị", "Thị", "Thị", "Ngọc", "Thanh", "Minh", "Gia", "Thu", "Mỹ", "Kim", "Bảo", "Phương"],
}
GIVEN_NAMES = {
    Sex.MALE: [
        "An",
        "Bảo",
        "Cường",
        "Dũng",
        "Duy",
        "Đạt",
        "Đức",
        "Hải",
        "Hiếu",
        "Hòa",
        "Hùng",
        "Huy",
        "Khang",
        "Khoa",
        "Kiên",
        "Long",
        "Lộc",
        "Nam",
        "Nghĩa",
        "Nhân",
        "Phát",
        "Phong",
        "Phúc",
        "Quang",
        "Sơn",
        "Tài",
        "Tâm",
        "Thắng",
        "Thành",
        "Thịnh",
        "Tiến",
        "Toàn",
        "Trí",
        "Trung",
        "Tuấn",
        "Vinh",
        "Vũ",
    ],
    Sex.FEMALE: [
        "Anh",
        "Bích",
        "Bình",
        "Châu",
        "Chi",
        "Diễm",
        "Dung",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hoa",
        "Hương",
        "Lan",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Ngân",
        "Nhung",
        "Oanh",
        "Phương",
        "Quyên",
        "Tâm",
        "Thảo",
        "Thư",
        "Trang",
        "Trâm",
        "Tuyết",
        "Uyên",
        "Vy",
        "Yến",
    ],
}
# Streets for wards and the special zone ("12 Lê Lợi, Phường Bến Thành") ...
STREETS = [
    "Lê Lợi",
    "Nguyễn Huệ",
    "Trần Hưng Đạo",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Nguyễn Trãi",
    "Cách Mạng Tháng Tám",
    "Điện Biên Phủ",
    "Võ Văn Tần",
    "Nguyễn Thị Minh Khai",
    "Lê Văn Sỹ",
    "Phan Đình Phùng",
    "Nguyễn Văn Cừ",
    "Quang Trung",
    "Lê Duẩn",
    "Phạm Văn Đồng",
    "Nguyễn Văn Linh",
    "Lê Văn Việt",
    "Huỳnh Tấn Phát",
    "Âu Cơ",
    "Lạc Long Quân",
    "Hùng Vương",
    "An Dương Vương",
    "Tôn Đức Thắng",
    "Nguyễn Đình Chiểu",
    "Bạch Đằng",
    "Phan Văn Trị",
    "Nguyễn Oanh",
    "Lũy Bán Bích",
    "Kinh Dương Vương",
    "30 Tháng 4",
    "Trần Phú",
]
# ... and roads and hamlets for communes ("215 Tỉnh lộ 8, Ấp 3, Xã Củ Chi").
ROADS = [
    "Tỉnh lộ 8",
    "Tỉnh lộ 10",
    "Tỉnh lộ 15",
    "Hương lộ 2",
    "Quốc lộ 22",
    "Quốc lộ 51",
    "Quốc lộ 55",
    "Đường liên ấp",
    "Đường số 1",
    "Đường số 5",
    "Đường Nguyễn Văn Khạ",
    "Đường Bà Triệu",
]
HAMLETS = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "Bình Thạnh",
    "Tân Phú",
    "Phú Hòa",
    "Long Thới",
    "Mỹ Hòa",
    "An Bình",
    "Tân Định",
    "Phước Lợi",
    "Hòa Bình",
]

# Household sizes: weights keep the default 400 people over 168 units (about
# 2.4 a household, so every unit gets at least one household) while still
# giving three-generation households.
HOUSEHOLD_SIZES = [(1, 30), (2, 30), (3, 22), (4, 12), (5, 4), (6, 2)]
MAX_HOUSEHOLD = max(size for size, _ in HOUSEHOLD_SIZES)

# Province codes of birth registration that the natives of each part of the
# city carry: since 1 July 2025 the city includes the former Bình Dương (074,
# unit codes below 26500) and Bà Rịa - Vũng Tàu (077, 26500 to 26733); earlier
# numbers keep those codes.
HCMC_ID_CODE = "079"


def _home_id_code(unit_code: str) -> str:
    code = int(unit_code) if unit_code.isdigit() else 0
    if code < 26500:
        return "074"
    if code < 26734:
        return "077"
    return HCMC_ID_CODE


@dataclass
class _Person:
    personal_id: str
    full_name: str
    birth_date: date
    sex: str
    unit: Unit
    address: str
    marital_status: str
    household_id: str
    relation: str
    is_demo_pick: bool = False


@dataclass(frozen=True)
class _DemoMember:
    personal_id: str
    full_name: str
    birth_date: date
    sex: str
    marital_status: str
    relation: str
    is_demo_pick: bool = False


@dataclass(frozen=True)
class _DemoHousehold:
    household_id: str
    unit_code: str
    street_address: str
    members: tuple[_DemoMember, ...] = field(default=())


# The demo citizens of identity/demo.py, with their households. Fixed, so that
# the README and the tests can name them.
DEMO_HOUSEHOLDS = (
    _DemoHousehold(
        "HH-26743-00001",
        "26743",
        "12 Lê Lợi",
        (
            _DemoMember(
                "079085001234",
                "Nguyễn Văn An",
                date(1985, 3, 12),
                Sex.MALE,
                MaritalStatus.MARRIED,
                HouseholdRelation.HEAD,
                is_demo_pick=True,
            ),
            _DemoMember(
                "079187005678",
                "Phạm Thị Hoa",
                date(1987, 9, 8),
                Sex.FEMALE,
                MaritalStatus.MARRIED,
                HouseholdRelation.SPOUSE,
            ),
            _DemoMember(
                "079215006789",
                "Nguyễn Minh Khang",
                date(2015, 5, 20),
                Sex.MALE,
                MaritalStatus.SINGLE,
                HouseholdRelation.CHILD,
            ),
        ),
    ),
    _DemoHousehold(
        "HH-26740-00001",
        "26740",
        "134 Hai Bà Trưng",
        (
            _DemoMember(
                "079062003456",
                "Trần Văn Hùng",
                date(1962, 2, 14),
                Sex.MALE,
                MaritalStatus.MARRIED,
                HouseholdRelation.HEAD,
            ),
            _DemoMember(
                "079164007890",
                "Lê Thị Lan",
                date(1964, 10, 2),
                Sex.FEMALE,
                MaritalStatus.MARRIED,
                HouseholdRelation.SPOUSE,
            ),
            _DemoMember(
                "079190004567",
                "Trần Thị Bình",
                date(1990, 7, 4),
                Sex.FEMALE,
                MaritalStatus.SINGLE,
                HouseholdRelation.CHILD,
                is_demo_pick=True,
            ),
        ),
    ),
    _DemoHousehold(
        "HH-26743-00002",
        "26743",
        "88 Lê Thánh Tôn",
        (
            _DemoMember(
                "079201112233",
                "Lê Minh Châu",
                date(2001, 11, 23),
                Sex.MALE,
                MaritalStatus.SINGLE,
                HouseholdRelation.HEAD,
                is_demo_pick=True,
            ),
        ),
    ),
)


def _check_personal_id(number: str, *, sex: str, birth_date: date) -> None:
    """Refuse to seed a number that the portal itself would reject or that contradicts the person."""
    try:
        parsed = parse_personal_id(number, birth_date=birth_date)
    except ValidationError as error:
        raise RuntimeError(f"Seed data bug: {number} is not a valid personal ID ({error.messages}).") from error
    if parsed.sex != sex:
        raise RuntimeError(f"Seed data bug: {number} says {parsed.sex}, the person is {sex}.")


class _PopulationBuilder:
    """Deterministic households: the same seed and size give the same people, whatever the database holds."""

    def __init__(self, *, rng: random.Random, used_ids: set[str], household_counters: Counter):
        self.rng = rng
        self.used_ids = used_ids
        self.household_counters = household_counters
        self.other_id_codes = sorted(set(load_id_province_codes()) - {HCMC_ID_CODE})
        self.family_names = [name for name, _ in FAMILY_NAMES]
        self.family_weights = [weight for _, weight in FAMILY_NAMES]

    # -- one person's attributes --

    def birth_date(self, year: int) -> date:
        year = min(year, REFERENCE_YEAR)
        start = date(year, 1, 1)
        return start + timedelta(days=self.rng.randrange((date(year + 1, 1, 1) - start).days))

    def id_province_code(self, unit: Unit) -> str:
        home = _home_id_code(unit.code)
        draw = self.rng.random()
        if home == HCMC_ID_CODE:
            return HCMC_ID_CODE if draw < 0.85 else self.rng.choice(self.other_id_codes)
        if draw < 0.5:
            return home
        return HCMC_ID_CODE if draw < 0.8 else self.rng.choice(self.other_id_codes)

    def personal_id(self, *, unit: Unit, sex: str, birth_date: date) -> str:
        province = self.id_province_code(unit)
        century = 0 if birth_date.year < 2000 else 2
        digit = century + (1 if sex == Sex.FEMALE else 0)
        while True:
            number = f"{province}{digit}{birth_date.year % 100:02d}{self.rng.randrange(1_000_000):06d}"
            if number not in self.used_ids:
                break
        _check_personal_id(number, sex=sex, birth_date=birth_date)
        self.used_ids.add(number)
        return number

    def family_name(self) -> str:
        return self.rng.choices(self.family_names, weights=self.family_weights)[0]

    def full_name(self, sex: str, family: str | None = None) -> str:
        family = family or self.family_name()
        return f"{family} {self.rng.choice(MIDDLE_NAMES[sex])} {self.rng.choice(GIVEN_NAMES[sex])}"

    def address(self, unit: Unit) -> str:
        rng = self.rng
        number = str(rng.randint(1, 350))
        if unit.kind == UnitKind.COMMUNE:
            return f"{number} {rng.choice(ROADS)}, Ấp {rng.choice(HAMLETS)}, {unit.name}"
        if rng.random() < 0.3:  # a house in an alley (hẻm): 45/12
            number = f"{number}/{rng.randint(1, 60)}"
        return f"{number} {rng.choice(STREETS)}, {unit.name}"

    def household_id(self, unit: Unit) -> str:
        self.household_counters[unit.code] += 1
        return f"HH-{unit.code}-{self.household_counters[unit.code]:05d}"

    # -- one household --

    def household(self, unit: Unit, max_size: int) -> list[_Person]:
        rng = self.rng
        size = min(rng.choices([s for s, _ in HOUSEHOLD_SIZES], weights=[w for _, w in HOUSEHOLD_SIZES])[0], max_size)
        spouse = parents = children = siblings = others = 0
        if size == 2:
            kind = rng.choices(
                ["couple", "single_parent", "with_parent", "siblings", "grandchild"], weights=[60, 15, 10, 8, 7]
            )[0]
            spouse, children, parents, siblings, others = (
                {"couple": 1}.get(kind, 0),
                {"single_parent": 1}.get(kind, 0),
                {"with_parent": 1}.get(kind, 0),
                {"siblings": 1}.get(kind, 0),
                {"grandchild": 1}.get(kind, 0),
            )
        elif size >= 3:
            kind = rng.choices(["family", "single_parent", "three_generations"], weights=[65, 10, 25])[0]
            if kind == "single_parent":
                children = size - 1
            elif kind == "family" or size == 3:
                spouse, children = 1, size - 2
                if kind == "three_generations":  # size 3: a couple and one parent of the head
                    children, parents = 0, 1
            else:
                parents = 1 if size == 4 or rng.random() < 0.6 else 2
                spouse, children = 1, size - 2 - parents

        # The head's birth year leaves room for the generations around them.
        if parents:
            head_year = rng.randint(1960, 1995)
        elif children:
            head_year = rng.randint(1958, 1998)
        elif others:
            head_year = rng.randint(1940, 1962)
        elif siblings:
            head_year = rng.randint(1988, 2004)
        elif spouse:
            head_year = rng.randint(1945, 2000)
        else:
            head_year = rng.randint(1940, 2005)
        if spouse:
            head_sex = Sex.MALE if rng.random() < 0.8 else Sex.FEMALE
        elif children:
            head_sex = Sex.FEMALE if rng.random() < 0.75 else Sex.MALE
        else:
            head_sex = rng.choice([Sex.MALE, Sex.FEMALE])

        household_id = self.household_id(unit)
        address = self.address(unit)
        people: list[_Person] = []

        def add(*, sex: str, year: int, relation: str, marital: str, family: str | None = None) -> _Person:
            born = self.birth_date(year)
            person = _Person(
                personal_id=self.personal_id(unit=unit, sex=sex, birth_date=born),
                full_name=self.full_name(sex, family),
                birth_date=born,
                sex=sex,
                unit=unit,
                address=address,
                marital_status=marital,
                household_id=household_id,
                relation=relation,
            )
            people.append(person)
            return person

        head_marital = self.head_marital(
            head_year,
            spouse=bool(spouse),
            children=bool(children),
            parents=bool(parents),
            others=bool(others),
            siblings=bool(siblings),
        )
        head_family = self.family_name()
        add(sex=head_sex, year=head_year, relation=HouseholdRelation.HEAD, marital=head_marital, family=head_family)
        father_family = head_family if head_sex == Sex.MALE else None
        mother_year = head_year if head_sex == Sex.FEMALE else None
        if spouse:
            spouse_sex = Sex.FEMALE if head_sex == Sex.MALE else Sex.MALE
            wife_younger_by = rng.randint(-3, 8)
            spouse_year = head_year + wife_younger_by if spouse_sex == Sex.FEMALE else head_year - wife_younger_by
            spouse_year = max(1925, min(spouse_year, REFERENCE_YEAR - 20))
            spouse_family = self.family_name()
            add(
                sex=spouse_sex,
                year=spouse_year,
                relation=HouseholdRelation.SPOUSE,
                marital=MaritalStatus.MARRIED,
                family=spouse_family,
            )
            if spouse_sex == Sex.MALE:
                father_family = spouse_family
            else:
                mother_year = spouse_year
        if parents:
            parent_year = max(1925, head_year - rng.randint(22, 36))
            parent_sexes = [Sex.MALE, Sex.FEMALE] if parents == 2 else [rng.choice([Sex.MALE, Sex.FEMALE, Sex.FEMALE])]
            for sex in parent_sexes:
                # Vietnamese children carry their father's family name, so the head's father shares it.
                add(
                    sex=sex,
                    year=parent_year + (rng.randint(0, 5) if sex == Sex.FEMALE else 0),
                    relation=HouseholdRelation.PARENT,
                    marital=MaritalStatus.MARRIED if parents == 2 else self.widowed_or_divorced(0.85),
                    family=head_family if sex == Sex.MALE else None,
                )
        base = mother_year if mother_year is not None else head_year
        child_years = sorted(rng.randint(base + 20, min(base + 40, REFERENCE_YEAR)) for _ in range(children))
        for year in child_years:
            add(
                sex=rng.choice([Sex.MALE, Sex.FEMALE]),
                year=year,
                relation=HouseholdRelation.CHILD,
                marital=MaritalStatus.SINGLE,
                family=father_family or head_family,
            )
        for _ in range(siblings):
            add(
                sex=rng.choice([Sex.MALE, Sex.FEMALE]),
                year=min(head_year + rng.randint(-4, 6), ADULT_BORN_BY),
                relation=HouseholdRelation.SIBLING,
                marital=MaritalStatus.SINGLE,
                family=head_family,
            )
        for _ in range(others):  # a grandchild raised by a grandparent
            add(
                sex=rng.choice([Sex.MALE, Sex.FEMALE]),
                year=rng.randint(2005, 2020),
                relation=HouseholdRelation.OTHER,
                marital=MaritalStatus.SINGLE,
                family=head_family if rng.random() < 0.5 else None,
            )
        return people

    def widowed_or_divorced(self, widowed_share: float) -> str:
        return MaritalStatus.WIDOWED if self.rng.random() < widowed_share else MaritalStatus.DIVORCED

    def head_marital(
        self, year: int, *, spouse: bool, children: bool, parents: bool, others: bool, siblings: bool
    ) -> str:
        """The head's status, consistent with who else lives in the household."""
        if spouse:
            return MaritalStatus.MARRIED
        if others:
            return self.widowed_or_divorced(0.8)
        if children:  # a single parent
            return self.widowed_or_divorced(0.8 if year < 1965 else 0.4)
        if siblings:
            return MaritalStatus.SINGLE
        draw = self.rng.random()
        if parents or year >= 1990:
            return MaritalStatus.SINGLE if draw < 0.85 else MaritalStatus.DIVORCED
        if year >= 1965:
            return MaritalStatus.SINGLE if draw < 0.4 else self.widowed_or_divorced(0.4)
        return MaritalStatus.SINGLE if draw < 0.2 else self.widowed_or_divorced(0.8)

    # -- the whole population --

    def population(self, *, units: list[Unit], budget: int, covered: set[str]) -> list[_Person]:
        """`budget` people: one household in every unit not yet `covered`, the rest anywhere."""
        people: list[_Person] = []
        uncovered = [unit for unit in units if unit.code not in covered]
        self.rng.shuffle(uncovered)
        for index, unit in enumerate(uncovered):
            left_after = len(uncovered) - index - 1
            household = self.household(unit, min(MAX_HOUSEHOLD, budget - len(people) - left_after))
            people.extend(household)
        while len(people) < budget:
            people.extend(self.household(self.rng.choice(units), min(MAX_HOUSEHOLD, budget - len(people))))
        return people


def _demo_picks(people: list[_Person], *, taken_units: set[str]) -> int:
    """Mark a handful of generated adults for the mock e-ID picker, each in a different unit.

    One per profile, so that a demo can show the portal to different people:
    a woman heading a household in a rural commune, someone on Côn Đảo, a young
    adult with a 2000s number, someone born in another province, a senior.
    """
    profiles = [
        lambda p: p.relation == HouseholdRelation.HEAD and p.sex == Sex.FEMALE and p.unit.kind == UnitKind.COMMUNE,
        lambda p: p.unit.kind == UnitKind.SPECIAL_ZONE,
        lambda p: p.birth_date.year >= 2000,
        lambda p: p.personal_id[:3] not in {HCMC_ID_CODE, _home_id_code(p.unit.code)},
        lambda p: p.birth_date.year < 1960,
    ]
    picked = 0
    for matches in profiles:
        for person in people:
            if person.birth_date.year <= ADULT_BORN_BY and person.unit.code not in taken_units and matches(person):
                person.is_demo_pick = True
                taken_units.add(person.unit.code)
                picked += 1
                break
    return picked


def registry_population_seed(*, size: int = 400, seed: int = 2026) -> dict:
    """Create the demo population of the local registry; idempotent (matched by personal ID number).

    `size` people in households spread over every commune-level unit (the
    demo citizens of identity/demo.py and their households included), drawn
    from random.Random(seed): the same size and seed always give the same
    people, so a second run creates nothing. Refused when DEMO_ENABLED is off:
    a real deployment reads the national population database instead.

    Returns {"created", "existing", "people", "households", "units", "demo_picks"}.
    """
    if not settings.DEMO_ENABLED:
        raise RuntimeError("The demo population is refused when DEMO_ENABLED is off (production).")
    units = list(Unit.objects.filter(tier=Tier.COMMUNE).order_by("code"))
    if not units:
        raise RuntimeError("There are no commune-level units: run `manage.py load_units` first.")
    by_code = {unit.code: unit for unit in units}
    missing = {household.unit_code for household in DEMO_HOUSEHOLDS} - set(by_code)
    if missing:
        raise RuntimeError(f"Units {', '.join(sorted(missing))} are missing: run `manage.py load_units` first.")

    people: list[_Person] = []
    counters: Counter = Counter()
    for household in DEMO_HOUSEHOLDS:
        unit = by_code[household.unit_code]
        counters[unit.code] += 1
        for member in household.members:
            _check_personal_id(member.personal_id, sex=member.sex, birth_date=member.birth_date)
            people.append(
                _Person(
                    personal_id=member.personal_id,
                    full_name=member.full_name,
                    birth_date=member.birth_date,
                    sex=member.sex,
                    unit=unit,
                    address=f"{household.street_address}, {unit.name}",
                    marital_status=member.marital_status,
                    household_id=household.household_id,
                    relation=member.relation,
                    is_demo_pick=member.is_demo_pick,
                )
            )
    covered = {household.unit_code for household in DEMO_HOUSEHOLDS}
    needed = len(people) + len(units) - len(covered)
    if size < needed:
        raise ValueError(f"A population of {size} cannot cover {len(units)} units: ask for at least {needed}.")

    builder = _PopulationBuilder(
        rng=random.Random(seed), used_ids={person.personal_id for person in people}, household_counters=counters
    )
    generated = builder.population(units=units, budget=size - len(people), covered=covered)
    picks = sum(person.is_demo_pick for person in people) + _demo_picks(generated, taken_units=set(covered))
    people.extend(generated)

    existing = set(RegistryPerson.objects.values_list("personal_id", flat=True))
    new = [
        RegistryPerson(
            personal_id=p.personal_id,
            full_name=p.full_name,
            birth_date=p.birth_date,
            sex=p.sex,
            permanent_residence_unit=p.unit,
            permanent_address=p.address,
            marital_status=p.marital_status,
            household_id=p.household_id,
            relation_to_head=p.relation,
            is_demo_pick=p.is_demo_pick,
        )
        for p in people
        if p.personal_id not in existing
    ]
    with transaction.atomic():
        RegistryPerson.objects.bulk_create(new, batch_size=500)
    return {
        "created": len(new),
        "existing": len(people) - len(new),
        "people": len(people),
        "households": len({p.household_id for p in people}),
        "units": len({p.unit.code for p in people}),
        "demo_picks": picks,
    }

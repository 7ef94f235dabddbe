"""Role x resource matrix: who may do what. Later issues add rows for their resources."""

from types import SimpleNamespace

import pytest

from govportal.tiers.models import Unit
from identity.access import acting_roles, can, is_staff_member, roles_of
from identity.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(demo_users):
    named = {u.username: u for u in User.objects.all()}
    return {
        "citizen": named["079085001234"],
        "other_citizen": named["079190004567"],
        "officer_bt": named["officer.benthanh"],
        "head_bt": named["head.benthanh"],
        "officer_sg": named["officer.saigon"],
        "head_sg": named["head.saigon"],
        "officer_justice": named["officer.tuphap"],
        "city_admin": named["admin.city"],
        "operator": named["operator"],
    }


@pytest.fixture
def places(units):
    return {code: Unit.objects.get(code=code) for code in ("26743", "26740", "so-tu-phap", "79")}


def case(applicant, receiving, handling=None, pending=None):
    return SimpleNamespace(
        applicant_id=applicant.pk,
        receiving_unit_id=receiving.pk,
        handling_unit_id=handling.pk if handling else None,
        pending_transfer_unit_id=pending.pk if pending else None,
    )


def test_roles(actors):
    assert roles_of(actors["citizen"]) == {"citizen"}
    assert roles_of(actors["officer_bt"]) == {"officer"}
    assert roles_of(actors["head_bt"]) == {"head"}
    assert roles_of(actors["city_admin"]) == {"city_admin"}
    assert roles_of(actors["operator"]) == {"city_admin", "operator"}
    assert not is_staff_member(actors["citizen"])
    assert all(is_staff_member(actors[k]) for k in actors if "citizen" not in k)


# (actor, action, object key, allowed)
MATRIX = [
    # A citizen sees only their own things.
    ("citizen", "case.view", "case_of_citizen_at_bt", True),
    ("other_citizen", "case.view", "case_of_citizen_at_bt", False),
    ("citizen", "case.act", "case_of_citizen_at_bt", False),
    ("citizen", "profile.view", "citizen", True),
    ("citizen", "profile.view", "other_citizen", False),
    ("citizen", "profile.edit", "other_citizen", False),
    ("citizen", "dashboard.view_unit", "26743", False),
    ("citizen", "catalogue.edit", None, False),
    # An officer sees only their unit's cases.
    ("officer_bt", "case.view", "case_of_citizen_at_bt", True),
    ("officer_bt", "case.act", "case_of_citizen_at_bt", True),
    ("officer_sg", "case.view", "case_of_citizen_at_bt", False),
    ("officer_sg", "case.act", "case_of_citizen_at_bt", False),
    ("officer_bt", "registry.read_for_case", "case_of_citizen_at_bt", True),
    ("officer_sg", "registry.read_for_case", "case_of_citizen_at_bt", False),
    ("officer_bt", "dashboard.view_unit", "26743", False),
    ("officer_bt", "catalogue.edit", None, False),
    # A transferred case: both the receiving ward and the handling department see it; only the handler acts.
    ("officer_bt", "case.view", "case_forwarded_to_justice", True),
    ("officer_bt", "case.act", "case_forwarded_to_justice", False),
    ("officer_justice", "case.act", "case_forwarded_to_justice", True),
    ("officer_justice", "case.view", "case_of_citizen_at_bt", False),
    # A transfer waiting at another ward: its staff see the case as staff and may answer the transfer.
    ("officer_sg", "case.view_as_staff", "case_waiting_at_sg", True),
    ("officer_sg", "case.act", "case_waiting_at_sg", True),
    ("officer_bt", "case.view_as_staff", "case_waiting_at_sg", True),
    ("citizen", "case.view_as_staff", "case_waiting_at_sg", False),
    ("citizen", "case.view", "case_waiting_at_sg", True),
    ("city_admin", "case.view_as_staff", "case_waiting_at_sg", True),
    ("head_sg", "case.view_as_staff", "case_of_citizen_at_bt", False),
    # A head: their unit's cases and dashboard, not another unit's.
    ("head_bt", "case.view", "case_of_citizen_at_bt", True),
    ("head_bt", "dashboard.view_unit", "26743", True),
    ("head_bt", "dashboard.view_unit", "26740", False),
    ("head_sg", "case.view", "case_of_citizen_at_bt", False),
    ("head_bt", "dashboard.view_city", None, False),
    # A city admin reads everything and edits the catalogue, but does not act on a ward's case.
    ("city_admin", "case.view", "case_of_citizen_at_bt", True),
    ("city_admin", "case.act", "case_of_citizen_at_bt", False),
    ("city_admin", "dashboard.view_unit", "26740", True),
    ("city_admin", "dashboard.view_city", None, True),
    ("city_admin", "catalogue.edit", None, True),
    ("city_admin", "posting.manage", None, False),
    ("operator", "posting.manage", None, True),
    # Unknown actions fail closed.
    ("operator", "no.such.action", None, False),
]


@pytest.mark.parametrize(("actor", "action", "target", "allowed"), MATRIX)
def test_access_matrix(actors, places, actor, action, target, allowed):
    objects = {
        **actors,
        **places,
        "case_of_citizen_at_bt": case(actors["citizen"], places["26743"]),
        "case_forwarded_to_justice": case(actors["citizen"], places["26743"], places["so-tu-phap"]),
        "case_waiting_at_sg": case(actors["citizen"], places["26743"], places["26743"], places["26740"]),
        None: None,
    }
    assert can(actors[actor], action, objects[target]) is allowed


def test_anonymous_may_only_view_units(units):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert can(anonymous, "unit.view", Unit.objects.first())
    for action in ("case.view", "case.act", "dashboard.view_city", "catalogue.edit"):
        assert not can(anonymous, action, SimpleNamespace(applicant_id=None, receiving_unit_id=None))


def test_acting_roles_name_the_parts_each_user_plays(actors, places):
    waiting = case(actors["citizen"], places["26743"], places["26743"], places["26740"])
    assert acting_roles(actors["citizen"], waiting) == {"applicant"}
    assert acting_roles(actors["officer_bt"], waiting) == {"staff"}
    assert acting_roles(actors["head_bt"], waiting) == {"staff", "head"}
    assert acting_roles(actors["officer_sg"], waiting) == {"target_staff"}
    assert acting_roles(actors["city_admin"], waiting) == set()
    assert acting_roles(actors["other_citizen"], waiting) == set()

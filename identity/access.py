"""Who may do what: the one place that answers for web pages and the API alike.

Roles: citizen (a user with a personal ID number), officer and head (per unit,
through an active Posting), city_admin (a posting at the city), operator
(Django superuser). `can(user, action, obj)` looks the action up in RULES; an
unknown action is refused, so a forgotten rule fails closed. Later issues add
rules here, each with a row in the role x resource matrix test.
"""

from collections.abc import Callable
from typing import Any

CITIZEN = "citizen"
OFFICER = "officer"
HEAD = "head"
CITY_ADMIN = "city_admin"
OPERATOR = "operator"

_CACHE_ATTR = "_govportal_postings"


def _postings(user) -> list[tuple[int, str]]:
    """(unit_id, role) of the user's active postings, read once per request object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(user.postings.filter(is_active=True).values_list("unit_id", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = {role for _, role in _postings(user)}
    if user.personal_id:
        roles.add(CITIZEN)
    if user.is_superuser:
        roles.add(OPERATOR)
    return roles


def units_where(user, *roles: str) -> set[int]:
    """IDs of the units where the user holds one of `roles` (any role if none given)."""
    return {unit_id for unit_id, role in _postings(user) if not roles or role in roles}


def is_staff_member(user) -> bool:
    """Staff log in with a password and a second factor; citizens only with the e-ID."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or _postings(user))


def is_city_admin(user) -> bool:
    return CITY_ADMIN in roles_of(user) or OPERATOR in roles_of(user)


def _case_units(case) -> set[int]:
    """Units that see a case: where it was received, who handles it, where a transfer waits."""
    fields = ("receiving_unit_id", "handling_unit_id", "pending_transfer_unit_id")
    return {u for u in (getattr(case, f, None) for f in fields) if u}


def _case_acting_unit(case) -> int | None:
    return getattr(case, "handling_unit_id", None) or getattr(case, "receiving_unit_id", None)


def _own_case(user, case) -> bool:
    applicant_id = getattr(case, "applicant_id", None)
    return bool(getattr(user, "is_authenticated", False) and applicant_id is not None and applicant_id == user.pk)


# The parts a user plays on a case, as the case apps' transition tables name their actors.
APPLICANT = "applicant"  # the citizen who filed it
CASE_STAFF = "staff"  # an officer or head of the acting unit
CASE_HEAD = "head"  # the head of the acting unit
TARGET_STAFF = "target_staff"  # an officer or head of the unit a pending transfer waits at


def acting_roles(user, case) -> set[str]:
    """The parts `user` may play on `case` now: a subset of APPLICANT, CASE_STAFF, CASE_HEAD, TARGET_STAFF.

    The one answer to "may this person act on this case, and as whom": the
    transition service checks a rule's actors against it, and the pages and
    the API offer actions from it, so none of them keeps its own copy.
    """
    if not getattr(user, "is_authenticated", False):
        return set()
    roles = set()
    if _own_case(user, case):
        roles.add(APPLICANT)
    acting = _case_acting_unit(case)
    if acting in units_where(user, OFFICER, HEAD):
        roles.add(CASE_STAFF)
    if acting in units_where(user, HEAD):
        roles.add(CASE_HEAD)
    pending = getattr(case, "pending_transfer_unit_id", None)
    if pending and pending in units_where(user, OFFICER, HEAD):
        roles.add(TARGET_STAFF)
    return roles


def _case_staff(user, case) -> bool:
    """Staff of any unit that sees the case (receiving, handling, pending transfer), or the city."""
    return bool(_case_units(case) & units_where(user, OFFICER, HEAD)) or is_city_admin(user)


def _payment_staff(user, payment) -> bool:
    return payment.unit_id in units_where(user, OFFICER, HEAD) or is_city_admin(user)


RULES: dict[str, Callable[[Any, Any], bool]] = {
    # Public reference data.
    "unit.view": lambda user, unit: True,
    # A citizen's own profile and registry record.
    "profile.view": lambda user, other: bool(user.is_authenticated and other.pk == user.pk),
    "profile.edit": lambda user, other: bool(user.is_authenticated and other.pk == user.pk),
    "registry.read_own": lambda user, personal_id: bool(user.is_authenticated and user.personal_id == personal_id),
    # Cases (dossiers, reports): the applicant, the unit's staff, the city.
    "case.view": lambda user, case: _own_case(user, case) or _case_staff(user, case),
    # Staff details of a case (officers' names, event data): staff of a unit that sees it, or the city.
    "case.view_as_staff": lambda user, case: _case_staff(user, case),
    "case.act": lambda user, case: bool(acting_roles(user, case) - {APPLICANT}),
    # Reading the registry for a case: only staff of the unit handling it.
    "registry.read_for_case": lambda user, case: _case_acting_unit(case) in units_where(user, OFFICER, HEAD),
    # Dashboards: a head sees their unit; the city sees everything.
    "dashboard.view_unit": lambda user, unit: unit.pk in units_where(user, HEAD) or is_city_admin(user),
    "dashboard.view_city": lambda user, obj: is_city_admin(user),
    # The procedure catalogue and the calendar: city admins edit them.
    "catalogue.edit": lambda user, obj: is_city_admin(user),
    "calendar.edit": lambda user, obj: is_city_admin(user),
    # A payment (and its receipt): the payer, the staff of the unit that collects the fee, the city.
    "payment.view": lambda user, payment: bool(
        getattr(user, "is_authenticated", False)
        and ((payment.payer_id is not None and payment.payer_id == user.pk) or _payment_staff(user, payment))
    ),
    # Its audit trail and the unit's side (refund requests, reconciliation): the unit's staff and the city.
    "payment.view_as_staff": lambda user, payment: _payment_staff(user, payment),
    # 1022 intake by hotline, email or messaging: any officer or head records it under their own name.
    "report.record": lambda user, obj: bool(units_where(user, OFFICER, HEAD)),
    # Staff postings: operators only (they are part of the security model).
    "posting.manage": lambda user, obj: OPERATOR in roles_of(user),
}


def can(user, action: str, obj: Any = None) -> bool:
    rule = RULES.get(action)
    if rule is None or user is None:
        return False
    return bool(rule(user, obj))

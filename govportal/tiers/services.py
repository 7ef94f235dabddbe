"""Writes for the tiers app: loading the official unit list and the default routing rules."""

from dataclasses import dataclass

from django.db import transaction

from govportal.tiers import routing
from govportal.tiers.models import Posting, RoutingRule, RoutingTarget, Tier, Unit, UnitKind
from govportal.tiers.selectors import CITY_CODE, coordinating_unit
from govportal.tiers.unit_data import load_city_departments, load_hcmc_units

COMMUNE_KINDS = {"ward": UnitKind.WARD, "commune": UnitKind.COMMUNE, "special_zone": UnitKind.SPECIAL_ZONE}


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _upsert(*, code: str, defaults: dict, result: LoadResult) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        unit = Unit(code=code, **defaults)
        unit.full_clean()
        unit.save()
        result.created += 1
        return unit
    changed = {k: v for k, v in defaults.items() if getattr(unit, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(unit, key, value)
        unit.full_clean()
        unit.save()
        result.updated += 1
    else:
        result.unchanged += 1
    return unit


@transaction.atomic
def units_load() -> LoadResult:
    """Create or update the city, its departments and the 168 units from the shipped data.

    Idempotent: a second run changes nothing. Units are matched by code, so
    admin edits to other fields (e.g. is_active) survive a reload.
    """
    result = LoadResult()
    data = load_hcmc_units()
    province = data["province"]
    city = _upsert(
        code=CITY_CODE,
        defaults={
            "name": province["name"],
            "name_en": province["name_en"],
            "kind": UnitKind.CITY,
            "tier": Tier.CITY,
            "parent": None,
            "filing_code": None,  # the city as a whole receives nothing: its agencies do
            "source": "Official list of administrative units",
        },
        result=result,
    )
    source = str(data.get("source", ""))[:300]
    for row in data["units"]:
        _upsert(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row["name_en"],
                "kind": COMMUNE_KINDS[row["kind"]],
                "tier": Tier.COMMUNE,
                "filing_code": row["code"],  # the national code: already five digits
                "parent": city,
                "source": source,
            },
            result=result,
        )
    for row in load_city_departments():
        _upsert(
            code=row["code"],
            defaults={
                "name": row["name_vi"],
                "name_en": row["name_en"],
                "kind": UnitKind.DEPARTMENT,
                "tier": Tier.CITY,
                "filing_code": row["filing_code"],  # "79" + 3 digits, fixed in the data file
                "parent": city,
                "source": f"Researched reference data (confidence: {row.get('confidence', 'unknown')})",
            },
            result=result,
        )
    return result


def posting_ensure(*, user, unit: Unit, role: str) -> Posting:
    """Put `user` in `unit` with `role` (idempotent: an existing posting is reactivated)."""
    posting, created = Posting.objects.get_or_create(user=user, unit=unit, role=role)
    if not created and not posting.is_active:
        posting.is_active = True
        posting.save(update_fields=["is_active"])
    return posting


# The rules the portal ships with (seed_key, priority, tier, target, description). They
# state the two-tier one-stop rules: the receiving unit decides commune-tier procedures,
# the procedure's department decides city-tier ones, and the coordinating unit takes
# whatever is left (e.g. a city-tier procedure whose department is not recorded yet).
DEFAULT_ROUTING_RULES = [
    ("commune-tier", 10, Tier.COMMUNE, RoutingTarget.RECEIVING_UNIT, routing.COMMUNE_TIER_DESCRIPTION),
    ("city-tier-department", 20, Tier.CITY, RoutingTarget.PROCEDURE_DEPARTMENT, routing.CITY_TIER_DESCRIPTION),
    ("fallback", 90, "", RoutingTarget.UNIT, routing.FALLBACK_DESCRIPTION),
]


@dataclass
class RulesSeedResult:
    created: int = 0
    kept: int = 0


@transaction.atomic
def routing_rules_seed() -> RulesSeedResult:
    """Create the default routing rules that are missing (idempotent).

    A shipped rule is recognised by its key, so a rule an admin edited (its
    number, its text, switched off) is kept as it is; a number already taken
    by an admin's own rule is left to that rule and the default gets the next
    free one. Needs the units loaded first (the fallback names a unit).
    """
    result = RulesSeedResult()
    coordinating = coordinating_unit()
    for key, priority, tier, target, description in DEFAULT_ROUTING_RULES:
        if RoutingRule.objects.filter(seed_key=key).exists():
            result.kept += 1
            continue
        if target == RoutingTarget.UNIT and coordinating is None:
            raise ValueError("Load the units first (manage.py load_units): the fallback rule names the city.")
        while RoutingRule.objects.filter(priority=priority).exists():
            priority += 1
        rule = RoutingRule(
            seed_key=key,
            priority=priority,
            tier=tier,
            target=target,
            target_unit=coordinating if target == RoutingTarget.UNIT else None,
            description=description,
        )
        rule.full_clean()
        rule.save()
        result.created += 1
    return result

"""Reads of units, postings, the working calendar and the routing rules, shared by pages, API and tasks."""

from django.db.models import Q, QuerySet

from govportal.tiers import calendar as cal
from govportal.tiers import routing
from govportal.tiers.models import CalendarOverride, RoutingRule, Tier, Unit, UnitKind
from govportal.tiers.unit_data import fold

CITY_CODE = "79"


def unit_list(*, search: str = "", tier: str = "", kind: str = "", active_only: bool = True) -> QuerySet[Unit]:
    """Units matching every word of `search`, with or without Vietnamese diacritics."""
    units = Unit.objects.all()
    if active_only:
        units = units.filter(is_active=True)
    if tier:
        units = units.filter(tier=tier)
    if kind:
        units = units.filter(kind=kind)
    for word in fold(search).split():
        units = units.filter(search_name__contains=word)
    return units.order_by("tier", "name")


COMMUNE_LEVEL_KINDS = (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.SPECIAL_ZONE)


def receiving_units_for(procedure) -> QuerySet[Unit]:
    """Where a dossier of this procedure may be filed: the one-stop rule, in one place (docs/0005).

    A commune-tier procedure is received and decided by a commune-level unit, any
    of the 168 whatever the citizen's residence. A city-tier one is received by
    its handling department, by the city's Public Administration Service Centre,
    or by any commune-level unit, which forwards it (routing rule 20 sends it to
    the department). Only active units with a filing code: the dossier code needs
    one. `procedure` is anything with `tier` and `handling_department_id` (tiers
    never imports procedures). City places come first, then the rest by name.
    """
    places = Q(kind__in=COMMUNE_LEVEL_KINDS)
    if procedure.tier == Tier.CITY:
        places |= Q(code=COORDINATING_UNIT_CODE)
        if procedure.handling_department_id:
            places |= Q(pk=procedure.handling_department_id)
    elif procedure.tier != Tier.COMMUNE:
        return Unit.objects.none()
    return Unit.objects.filter(places, is_active=True, filing_code__isnull=False).order_by("tier", "name")


def city_unit() -> Unit:
    return Unit.objects.get(code=CITY_CODE)


def work_calendar() -> cal.WorkCalendar:
    """The working calendar: Vietnam's holidays plus the overrides admins keep."""
    return cal.WorkCalendar(overrides=[o.as_override() for o in CalendarOverride.objects.all()])


def routing_rules() -> list[routing.RuleData]:
    """The active routing rules, in the order the engine tries them."""
    return [rule.as_rule_data() for rule in RoutingRule.objects.filter(is_active=True).order_by("priority", "pk")]


def unit_name(unit_id: int) -> str:
    return Unit.objects.values_list("name", flat=True).get(pk=unit_id)


COORDINATING_UNIT_CODE = "trung-tam-phuc-vu-hcc"


def coordinating_unit() -> Unit | None:
    """The city's coordinating unit: its Public Administration Service Centre, else the city itself.

    It places cases no rule places, takes over transfers that hopped too often,
    and receives escalations of late dossiers.
    """
    units = {u.code: u for u in Unit.objects.filter(code__in=[COORDINATING_UNIT_CODE, CITY_CODE])}
    return units.get(COORDINATING_UNIT_CODE) or units.get(CITY_CODE)

"""Reads of units, postings, the working calendar and the routing rules, shared by pages, API and tasks."""

from django.db.models import QuerySet

from govportal.tiers import calendar as cal
from govportal.tiers import routing
from govportal.tiers.models import CalendarOverride, RoutingRule, Unit
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

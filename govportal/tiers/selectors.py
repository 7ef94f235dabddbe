"""Reads of units, postings and the working calendar, shared by pages and API."""

from django.db.models import QuerySet

from govportal.tiers import calendar as cal
from govportal.tiers.models import CalendarOverride, Unit
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

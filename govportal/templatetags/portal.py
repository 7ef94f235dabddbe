"""Formatting the way Vietnamese readers expect: 1.250.000 ₫ and dd/mm/yyyy HH:MM."""

from datetime import date

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """1250000 -> '1.250.000 ₫' (0 -> '0 ₫')."""
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    return f"{value:,}".replace(",", ".") + " ₫"


@register.filter
def dmy(value) -> str:
    """A date or datetime as dd/mm/yyyy (datetimes in the portal's time zone).

    An ISO date string (form data keeps dates so) is read first; other text is shown as it is.
    """
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y")


@register.filter
def dmyhm(value) -> str:
    """A datetime as dd/mm/yyyy HH:MM in the portal's time zone."""
    if not value:
        return ""
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")

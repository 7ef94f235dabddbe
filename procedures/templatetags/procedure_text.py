"""Procedure facts as sentences, so every page says "1 ngày làm việc" / "1 working day" the same way."""

from django import template

register = template.Library()


@register.filter
def time_limit(procedure) -> str:
    """The legal time limit with its unit, plural-aware in both languages (see the catalogue)."""
    from procedures.views.catalogue import time_limit_text

    return time_limit_text(procedure)

"""Human labels for registry codes (sex, marital status, household relation), translated."""

from django import template

from identity.registry.models import HouseholdRelation, MaritalStatus, Sex

register = template.Library()


@register.filter
def sex_label(value: str) -> str:
    return dict(Sex.choices).get(value, value)


@register.filter
def marital_label(value: str) -> str:
    return dict(MaritalStatus.choices).get(value, value)


@register.filter
def relation_label(value: str) -> str:
    return dict(HouseholdRelation.choices).get(value, value)

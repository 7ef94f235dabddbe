"""Query-string filters that say when a value is wrong instead of ignoring it.

DRF serializers read `?status=` from a query string as "not given" (their HTML-form rule) and django-filter
treats an empty choice as "all": a client that sent a filter then gets every row, unfiltered, believing
it filtered. Here an empty value of a declared filter is 400 `invalid`, like any other bad value.
"""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ValidationError


def refuse_empty(query_params, names) -> None:
    empty = sorted(name for name in names if name in query_params and query_params.get(name) == "")
    if empty:
        raise ValidationError({name: [_("This field may not be blank.")] for name in empty})


class QuerySerializer(serializers.Serializer):
    """Base of the serializers that read filters from `request.query_params`."""

    def to_internal_value(self, data):
        refuse_empty(data, self.fields)
        return super().to_internal_value(data)


class PortalFilterBackend(DjangoFilterBackend):
    """django-filter, where an empty value of a declared filter is an error, not "all"."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            refuse_empty(request.query_params, filterset.filters)
        return filterset

"""Units API: public, paginated, filterable by tier and kind, searchable by name."""

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from govportal.tiers.models import Tier, Unit, UnitKind
from govportal.tiers.selectors import unit_list


class UnitOutputSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # the city has none

    class Meta:
        model = Unit
        fields = ["code", "filing_code", "name", "name_en", "kind", "tier", "parent"]


class UnitFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)

    class Meta:
        model = Unit
        fields = ["tier", "kind"]


@extend_schema(
    parameters=[
        OpenApiParameter("search", str, description="Name, with or without Vietnamese diacritics ('ben thanh').")
    ]
)
class UnitListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UnitOutputSerializer
    filterset_class = UnitFilter

    def get_queryset(self):
        return unit_list(search=self.request.query_params.get("search", "")).select_related("parent")


class UnitDetailApi(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = UnitOutputSerializer
    lookup_field = "code"

    def get_queryset(self):
        return unit_list().select_related("parent")

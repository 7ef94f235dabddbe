"""Catalogue API under /api/v1/procedures/: public, read-only, the same reads as the pages."""

import django_filters
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from govportal.tiers.api import UnitOutputSerializer
from govportal.tiers.models import Tier, Unit
from govportal.tiers.selectors import receiving_units_for
from procedures.catalogue import FORM_FIELD_TYPES, PREFILL_SOURCES
from procedures.catalogue_cache import cache_key, cached, public_cache_headers
from procedures.models import FeeLine, Field, Procedure, RequiredDocument, TimeLimitUnit
from procedures.selectors import procedure_get, procedure_list


class TimeLimitOutputSerializer(serializers.Serializer):
    value = serializers.DecimalField(source="time_limit_value", max_digits=6, decimal_places=2, coerce_to_string=False)
    unit = serializers.ChoiceField(
        source="time_limit_unit",
        choices=TimeLimitUnit.choices,
        help_text="working_days and working_hours count the city's working calendar; days are calendar days.",
    )


class FeeLineOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeLine
        fields = ["kind", "name_vi", "name_en", "amount_vnd", "note"]


class RequiredDocumentOutputSerializer(serializers.ModelSerializer):
    replaceable_by_registry = serializers.BooleanField(
        help_text="True: not asked of the citizen, the data comes from the population registry."
    )

    class Meta:
        model = RequiredDocument
        fields = ["key", "name_vi", "name_en", "replaceable_by_registry", "is_required"]


class FormFieldOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    label_vi = serializers.CharField()
    label_en = serializers.CharField(required=False, default="")
    type = serializers.ChoiceField(choices=FORM_FIELD_TYPES)
    required = serializers.BooleanField(default=False)
    prefill = serializers.ChoiceField(
        choices=PREFILL_SOURCES,
        allow_null=True,
        required=False,
        help_text="The registry record attribute that fills this field, if any.",
    )


class ProcedureListOutputSerializer(serializers.ModelSerializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    handling_department = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="City-tier procedures: code of the department that decides. Null: the receiving ward or commune.",
    )
    time_limit = TimeLimitOutputSerializer(source="*", read_only=True)
    fee_total = serializers.IntegerField(
        source="total_fee", read_only=True, help_text="Sum of the fee lines in VND (filing online)."
    )

    class Meta:
        model = Procedure
        fields = [
            "code",
            "national_code",
            "name_vi",
            "name_en",
            "field",
            "tier",
            "handling_department",
            "time_limit",
            "fee_total",
            "min_eid_level",
            "online_level",
        ]


class ProcedureDetailOutputSerializer(ProcedureListOutputSerializer):
    fee_lines = FeeLineOutputSerializer(many=True, read_only=True)
    documents = RequiredDocumentOutputSerializer(many=True, read_only=True)
    form_fields = FormFieldOutputSerializer(many=True, read_only=True)

    class Meta(ProcedureListOutputSerializer.Meta):
        fields = [
            *ProcedureListOutputSerializer.Meta.fields,
            "handling_agency_vi",
            "handling_agency_en",
            "legal_basis",
            "fee_lines",
            "documents",
            "form_fields",
        ]


class ProcedureFilter(django_filters.FilterSet):
    field = django_filters.ChoiceFilter(choices=Field.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)

    class Meta:
        model = Procedure
        fields = ["field", "tier"]


def _cached_answer(view, kind: str, compute) -> Response:
    """An answer kept in the shared cache per language and query (procedures/catalogue_cache.py).

    Errors (a bad filter, an unknown code) are raised before anything is stored, so only 200s are cached.
    """
    request = view.request
    params = sorted(request.query_params.lists())
    # The host and scheme too: the pagination links are absolute.
    where = f"{request.scheme}://{request.get_host()}"
    key = cache_key(f"api-{kind}", request.LANGUAGE_CODE, where, repr(params), view.kwargs.get("code", ""))
    return public_cache_headers(request, Response(cached(key, compute)))


@extend_schema(
    tags=["procedures"],
    parameters=[
        OpenApiParameter(
            "search", str, description="Code or name, with or without Vietnamese diacritics ('dang ky khai sinh')."
        )
    ],
)
class ProcedureListApi(generics.ListAPIView):
    """The catalogue (active procedures), paginated; illustrative demo data, not legal advice."""

    permission_classes = [AllowAny]
    serializer_class = ProcedureListOutputSerializer
    filterset_class = ProcedureFilter

    def get_queryset(self):
        return procedure_list(search=self.request.query_params.get("search", "")[:100])

    def list(self, request, *args, **kwargs):
        return _cached_answer(self, "list", lambda: super(ProcedureListApi, self).list(request, *args, **kwargs).data)


@extend_schema(tags=["procedures"])
class ProcedureDetailApi(generics.RetrieveAPIView):
    """One procedure with its fee lines, documents, form fields and time limit."""

    permission_classes = [AllowAny]
    serializer_class = ProcedureDetailOutputSerializer
    queryset = Procedure.objects.none()  # typed path parameter for the schema; reads go through the selector
    lookup_field = "code"

    def get_object(self):
        return procedure_get(code=self.kwargs["code"])

    def retrieve(self, request, *args, **kwargs):
        return _cached_answer(
            self, "one", lambda: super(ProcedureDetailApi, self).retrieve(request, *args, **kwargs).data
        )


@extend_schema(tags=["procedures"])
class ProcedureReceivingUnitListApi(generics.ListAPIView):
    """Where a dossier of this procedure may be filed (docs/0005): city agencies first, then the
    commune-level units. Filing at any other unit is refused with code `receiving_unit_not_allowed`."""

    permission_classes = [AllowAny]
    serializer_class = UnitOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no procedure in the URL
            return Unit.objects.none()
        return receiving_units_for(procedure_get(code=self.kwargs["code"])).select_related("parent")


urlpatterns = [
    path("procedures/", ProcedureListApi.as_view(), name="procedure-list"),
    path("procedures/<str:code>/", ProcedureDetailApi.as_view(), name="procedure-detail"),
    path(
        "procedures/<str:code>/receiving-units/",
        ProcedureReceivingUnitListApi.as_view(),
        name="procedure-receiving-units",
    ),
]

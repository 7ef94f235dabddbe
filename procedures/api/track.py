"""Public tracking API: GET /api/v1/track/{code}/ (no login, no personal data, limited per client with the page).

Include with `*track.urlpatterns` in `procedures/api/urls.py`.
"""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from govportal import ratelimit
from govportal.api.throttling import throttle
from procedures.selectors import dossier_track

# The tracking page's budget (settings.RATE_LIMITS "track", and "track-miss" for unknown codes).
TrackRateThrottle = throttle("track")


class TrackOutputSerializer(serializers.Serializer):
    """What anyone may know about a dossier from its code: nothing personal."""

    code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    national_status_code = serializers.IntegerField(allow_null=True)
    unit = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(allow_null=True)

    def get_unit(self, dossier) -> str:
        unit = dossier.handling_unit or dossier.receiving_unit
        return unit.name if unit else ""


class TrackApi(APIView):
    # No authentication at all: every caller is anonymous, so every caller is throttled,
    # and a stale token or session cannot turn a public read into a 401 or a CSRF error.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TrackRateThrottle]

    @extend_schema(
        operation_id="track_retrieve",
        summary="Track a dossier by its code",
        description="Public: status, acting unit and due date only. 404 for an unknown code; 429 when throttled.",
        responses=TrackOutputSerializer,
    )
    def get(self, request, code: str):
        try:
            dossier = dossier_track(code=code)
        except Http404:
            ratelimit.missed(request, "track")
            raise
        return Response(TrackOutputSerializer(dossier).data)


urlpatterns = [path("track/<str:code>/", TrackApi.as_view(), name="track")]

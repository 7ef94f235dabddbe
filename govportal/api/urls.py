"""/api/v1/: every app adds its resources here."""

from django.urls import include, path

from govportal.tiers.api import UnitDetailApi, UnitListApi
from identity.api import MeApi, MeNoSlashApi

app_name = "api"

urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("me", MeNoSlashApi.as_view()),
    path("units/", UnitListApi.as_view(), name="unit-list"),
    path("units/<str:code>/", UnitDetailApi.as_view(), name="unit-detail"),
    path("", include("procedures.api.urls")),
    path("", include("feedback.api.urls")),
    path("", include("payments.api")),
    path("stats/", include("govportal.dashboard.api_urls")),
]

"""The city admin's read-only overview of open and late dossiers (included at the site root)."""

from django.urls import path

from procedures.views import overview

urlpatterns = [
    path("overview/", overview.city_overview, name="city-overview"),
    path("overview/units/<str:unit_code>/", overview.city_overview_unit, name="city-overview-unit"),
]

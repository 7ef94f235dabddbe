"""The public scorecard: /scorecard/ (no login, no personal data)."""

from django.urls import path

from govportal.dashboard import views_public

urlpatterns = [
    path("", views_public.scorecard, name="scorecard"),
    path("<str:code>/", views_public.scorecard_unit, name="scorecard-unit"),
]

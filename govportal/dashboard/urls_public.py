"""The public scorecard: /scorecard/ (no login, no personal data)."""

from django.urls import path

from govportal.dashboard import views_public
from govportal.db_router import read_from_replica

urlpatterns = [
    path("", views_public.scorecard, name="scorecard"),
    path("<str:code>/", views_public.scorecard_unit, name="scorecard-unit"),
]
# The replica, when one is configured (govportal/db_router.py).
urlpatterns = read_from_replica(urlpatterns)

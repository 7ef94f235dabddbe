"""Staff dashboards: /dashboard/city/ (city admins) and /dashboard/unit/<code>/ (the unit's head, city admins)."""

from django.urls import path

from govportal.dashboard import views
from govportal.db_router import read_from_replica

urlpatterns: list = [
    path("city/", views.city_dashboard, name="dashboard-city"),
    path("city/export.csv", views.city_csv, name="dashboard-city-csv"),
    path("unit/<str:code>/", views.unit_dashboard, name="dashboard-unit"),
    path("unit/<str:code>/late/", views.unit_late, name="dashboard-unit-late"),
    path("unit/<str:code>/export.csv", views.unit_csv, name="dashboard-unit-csv"),
]
# The replica, when one is configured (govportal/db_router.py).
urlpatterns = read_from_replica(urlpatterns)

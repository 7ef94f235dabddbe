"""/api/v1/stats/...: the dashboards' figures for the city's own reporting tools."""

from govportal.dashboard import api

urlpatterns = [*api.urlpatterns]

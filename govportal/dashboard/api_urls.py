"""/api/v1/stats/...: the dashboards' figures for the city's own reporting tools."""

from govportal.dashboard import api
from govportal.db_router import read_from_replica

# The replica, when one is configured (govportal/db_router.py).
urlpatterns = read_from_replica([*api.urlpatterns])

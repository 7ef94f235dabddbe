from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "govportal.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboards")

    def ready(self):
        from govportal.dashboard import signals  # noqa: F401  (connects the stale-day marks)

"""Operations: commands that span the apps (setting a portal up), owning no models.

It sits above every app, as the dashboard does: it calls their management
commands by name and imports none of their models.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "govportal.operations"
    label = "operations"
    verbose_name = _("Operations")

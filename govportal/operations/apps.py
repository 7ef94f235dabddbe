"""Operations: commands that span the apps (setting a portal up, the retention run).

It sits above every app, as the dashboard does: it calls their management
commands by name and their retention services (feedback.retention,
procedures.retention, identity.retention), and imports none of their models.
Its one model is the record of the retention runs.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "govportal.operations"
    label = "operations"
    verbose_name = _("Operations")

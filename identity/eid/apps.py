from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EidConfig(AppConfig):
    name = "identity.eid"
    label = "eid"
    verbose_name = _("Citizen e-ID login")

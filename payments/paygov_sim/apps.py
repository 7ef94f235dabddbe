from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayGovSimConfig(AppConfig):
    name = "payments.paygov_sim"
    label = "paygov_sim"
    verbose_name = _("PayGov simulator")

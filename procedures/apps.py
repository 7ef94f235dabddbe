from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    label = "procedures"
    verbose_name = _("Administrative procedures")

    def ready(self):
        from govportal.cases import kinds
        from procedures import case_kind

        # Dossiers are routed, clocked, transferred and assigned by the shared case machinery.
        kinds.register(case_kind.build())

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    label = "procedures"
    verbose_name = _("Administrative procedures")

    def ready(self):
        from govportal.cases import kinds
        from payments import payables
        from procedures import case_kind, catalogue_cache, payment_kind  # noqa: F401  (catalogue_cache: signals)

        # Dossiers are routed, clocked, transferred and assigned by the shared case machinery.
        kinds.register(case_kind.build())
        # Their fees are paid through payments, which knows a dossier only as "dossier:<code>".
        payables.register(payment_kind.build())

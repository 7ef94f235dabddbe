from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    label = "feedback"
    verbose_name = _("1022 feedback")

    def ready(self):
        from feedback import case_kind
        from govportal.cases import kinds

        # Reports are routed, clocked, transferred and assigned by the shared case machinery.
        kinds.register(case_kind.build())

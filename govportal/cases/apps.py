from django.apps import AppConfig


class CasesConfig(AppConfig):
    """No models of its own: abstract bases, services and the registry of case kinds."""

    name = "govportal.cases"
    label = "cases"

from django.apps import AppConfig


class MockEidConfig(AppConfig):
    name = "identity.mock_eid"
    label = "mock_eid"
    # Not translated on purpose: the mock provider is a separate system with its
    # own fixed bilingual pages (see views.py).
    verbose_name = "Mock VNeID (demo only)"

"""The citizen registry (data reuse): a contract, a local implementation, and the one read path.

Read it only through ``identity.registry.services.registry_lookup``, which logs
every read. ``get_registry()`` returns the configured backend
(``settings.CITIZEN_REGISTRY_BACKEND``, a dotted path to a ``CitizenRegistry``
subclass): the local demo table by default, the national population database
adapter in a real deployment.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from identity.registry.base import CitizenRegistry


def get_registry() -> CitizenRegistry:
    """A new instance of the configured registry backend (read on each call, so tests can override it)."""
    backend = import_string(settings.CITIZEN_REGISTRY_BACKEND)
    registry = backend()
    if not isinstance(registry, CitizenRegistry):
        raise TypeError(f"{settings.CITIZEN_REGISTRY_BACKEND} is not a CitizenRegistry.")
    return registry

"""SMS as a contract, like the e-ID and the citizen registry.

``get_sms_gateway()`` returns the configured gateway (``settings.SMS_BACKEND``,
a dotted path to an ``SmsGateway`` subclass): the console simulator by default
(no SMS gateway is reachable from a developer's machine), the HTTP adapter to
the city's SMS provider in a real deployment. Production refuses the console
unless ALLOW_CONSOLE_SMS_IN_PRODUCTION is set for a staging host.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from identity.sms.base import SmsError, SmsGateway

__all__ = ["SmsError", "SmsGateway", "get_sms_gateway"]


def get_sms_gateway() -> SmsGateway:
    """A new instance of the configured gateway (read on each call, so tests can override it)."""
    backend = import_string(settings.SMS_BACKEND)
    gateway = backend()
    if not isinstance(gateway, SmsGateway):
        raise TypeError(f"{settings.SMS_BACKEND} is not an SmsGateway.")
    return gateway

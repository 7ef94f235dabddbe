"""The payment gateway contract and the configured gateway (settings.PAYMENT_GATEWAY)."""

from django.conf import settings
from django.utils.module_loading import import_string

from payments.gateways.base import (  # noqa: F401  (the contract, importable from here)
    CallbackData,
    GatewayError,
    PaymentGateway,
    QueryResult,
    RefundResult,
)


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()

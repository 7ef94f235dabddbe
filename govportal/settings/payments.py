"""Fee payment through a PayGov-style gateway (payments/, docs/0008)."""

import environ

_env = environ.Env()

# The gateway: the simulator here (payments.gateways.simulator), the HTTP adapter in production.
PAYMENT_GATEWAY = _env("PAYMENT_GATEWAY", default="payments.gateways.simulator.SimulatorGateway")
PAYGOV_ENDPOINT = _env("PAYGOV_ENDPOINT", default="")
PAYGOV_MERCHANT_CODE = _env("PAYGOV_MERCHANT_CODE", default="HCMC-GOVPORTAL")
# The shared secret of the HMAC-SHA256 signatures; the default serves the simulator only (refused in production).
PAYGOV_SECRET = _env("PAYGOV_SECRET", default="paygov-simulator-shared-secret-not-for-production")
PAYGOV_TIMEOUT = _env.float("PAYGOV_TIMEOUT", default=10.0)
# Where the simulator posts its server-to-server notifications (the portal's own callback URL).
PAYGOV_SIM_CALLBACK_URL = _env("PAYGOV_SIM_CALLBACK_URL", default="http://127.0.0.1:8000/payments/paygov/callback/")
PAYGOV_SIM_REACHABLE = _env.bool("PAYGOV_SIM_REACHABLE", default=True)
# An attempt not settled after 15 minutes is asked about; after 90 it expires.
PAYMENT_QUERY_AFTER_MINUTES = _env.int("PAYMENT_QUERY_AFTER_MINUTES", default=15)
PAYMENT_EXPIRE_MINUTES = _env.int("PAYMENT_EXPIRE_MINUTES", default=90)

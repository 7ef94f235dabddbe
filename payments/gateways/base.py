"""What every payment gateway does for the portal (the PayGov-style contract; ../shared/data conventions).

- `start(payment, return_url, client_ip)`: the URL the citizen's browser goes
  to, signed so that nobody can change the amount on the way.
- `verify_callback(params)`: read a server-to-server notification; its
  signature is checked here, its meaning by `payments.services`.
- `query(payment)`: the gateway's own record of a transaction (reconciliation).
- `refund(payment, amount_vnd, operator)`: give money back.

Signatures are HMAC-SHA256 over the canonical form of the fields: every
field except the signature, with a non-empty value, sorted by name, URL-encoded
(`name=value` pairs joined with `&`, values percent-encoded), keyed with the merchant's shared secret. Amounts cross
the wire as whole VND. A gateway that cannot be reached raises GatewayError:
the payment stays as it is and reconciliation asks again later.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import urlencode

SIGNATURE_FIELD = "signature"


class GatewayError(Exception):
    """The gateway did not answer, or answered something unreadable."""


@dataclass(frozen=True)
class CallbackData:
    reference: str
    amount_vnd: int | None
    currency: str
    result_code: str
    transaction_no: str
    bank_code: str
    signature_valid: bool
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class QueryResult:
    found: bool
    result_code: str = ""  # "00" paid, "24" cancelled, other: failed; "" still pending at the gateway
    amount_vnd: int | None = None
    transaction_no: str = ""
    bank_code: str = ""


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    refund_no: str = ""
    message: str = ""


def canonical(params: dict) -> str:
    """The signed text: the non-empty fields sorted by name, URL-encoded as VNPay-style gateways do.

    Encoding the values keeps `{"a": "1&b=2"}` and `{"a": "1", "b": "2"}` apart: without it a holder of one
    signed callback could merge or split fields under the same signature.
    """
    return urlencode(
        [(key, str(params[key])) for key in sorted(params) if key != SIGNATURE_FIELD and params[key] != ""]
    )


def sign(params: dict, secret: str) -> str:
    return hmac.new(secret.encode(), canonical(params).encode(), hashlib.sha256).hexdigest()


def signature_ok(params: dict, secret: str) -> bool:
    given = str(params.get(SIGNATURE_FIELD, ""))
    return bool(given) and hmac.compare_digest(sign(params, secret), given.lower())


class PaymentGateway:
    name = "gateway"

    def start(self, payment, *, return_url: str, client_ip: str) -> str:
        raise NotImplementedError

    def verify_callback(self, params: dict) -> CallbackData:
        raise NotImplementedError

    def query(self, payment) -> QueryResult:
        raise NotImplementedError

    def refund(self, payment, *, amount_vnd: int, operator: str) -> RefundResult:
        raise NotImplementedError


def read_callback(params: dict, secret: str) -> CallbackData:
    """The notification's fields (shared by the simulator and the adapter: one wire format)."""
    raw = {str(key): str(value) for key, value in params.items()}
    try:
        amount = int(raw.get("amount", ""))
    except ValueError:
        amount = None
    return CallbackData(
        reference=raw.get("reference", ""),
        amount_vnd=amount,
        currency=raw.get("currency", ""),
        result_code=raw.get("result_code", ""),
        transaction_no=raw.get("transaction_no", ""),
        bank_code=raw.get("bank_code", ""),
        signature_valid=signature_ok(raw, secret),
        raw=raw,
    )

"""The adapter for a real PayGov-style gateway, configured by settings (endpoint, merchant code, secret).

Same wire format as the simulator (payments.gateways.base): a signed redirect
to `PAYGOV_ENDPOINT`, and signed JSON POSTs to `PAYGOV_ENDPOINT`/query and
/refund. Verify the field names against the platform's own specification
before going live (../shared/data/payment_conventions.md: confidence medium).
"""

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from payments.gateways.base import (
    GatewayError,
    PaymentGateway,
    QueryResult,
    RefundResult,
    read_callback,
    sign,
    signature_ok,
)
from payments.gateways.simulator import redirect_params


class HttpGateway(PaymentGateway):
    name = "paygov"

    def __init__(self):
        if not (settings.PAYGOV_ENDPOINT and settings.PAYGOV_MERCHANT_CODE and settings.PAYGOV_SECRET):
            raise ImproperlyConfigured("PAYGOV_ENDPOINT, PAYGOV_MERCHANT_CODE and PAYGOV_SECRET must be set.")
        self.endpoint = settings.PAYGOV_ENDPOINT.rstrip("/")
        self.timeout = settings.PAYGOV_TIMEOUT

    def start(self, payment, *, return_url: str, client_ip: str) -> str:
        return f"{self.endpoint}/pay?" + urlencode(redirect_params(payment, return_url=return_url, client_ip=client_ip))

    def verify_callback(self, params: dict):
        return read_callback(params, settings.PAYGOV_SECRET)

    def _post(self, path: str, fields: dict) -> dict:
        fields = {"merchant": settings.PAYGOV_MERCHANT_CODE, **{k: str(v) for k, v in fields.items()}}
        fields["signature"] = sign(fields, settings.PAYGOV_SECRET)
        request = urllib.request.Request(
            f"{self.endpoint}/{path}",
            data=json.dumps(fields).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  (URL from settings)
                answer = json.loads(response.read().decode())
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise GatewayError(str(error)) from error
        if not isinstance(answer, dict) or not signature_ok(
            {k: str(v) for k, v in answer.items()}, settings.PAYGOV_SECRET
        ):
            raise GatewayError("unsigned or badly signed answer")
        return answer

    def query(self, payment) -> QueryResult:
        answer = self._post("query", {"reference": payment.reference})
        if answer.get("found") in (False, "false", "0"):
            return QueryResult(found=False)
        try:
            amount = int(answer.get("amount", ""))
        except ValueError:
            amount = None
        return QueryResult(
            found=True,
            result_code=str(answer.get("result_code", "")),
            amount_vnd=amount,
            transaction_no=str(answer.get("transaction_no", "")),
            bank_code=str(answer.get("bank_code", "")),
        )

    def refund(self, payment, *, amount_vnd: int, operator: str) -> RefundResult:
        answer = self._post(
            "refund",
            {
                "reference": payment.reference,
                "transaction_no": payment.gateway_transaction_no,
                "amount": amount_vnd,
                "operator": operator,
            },
        )
        ok = str(answer.get("result_code", "")) == "00"
        return RefundResult(ok=ok, refund_no=str(answer.get("refund_no", "")), message=str(answer.get("message", "")))

"""The PayGov simulator as a gateway: the same contract and wire format as the real adapter, refused in production.

The "bank side" lives in `payments.paygov_sim` (its pages under /paygov-sim/
and its own records of transactions); this class is the portal's side of it.
`PAYGOV_SIM_REACHABLE = False` (or the cache key `paygov-sim:down`) makes the
simulator stop answering queries and refunds, to drill a gateway outage.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from payments.gateways.base import GatewayError, PaymentGateway, QueryResult, RefundResult, read_callback, sign

DOWN_KEY = "paygov-sim:down"


def sim_secret() -> str:
    return settings.PAYGOV_SECRET


def redirect_params(payment, *, return_url: str, client_ip: str) -> dict:
    """The signed fields of the redirect to the gateway (as the real adapter sends them)."""
    params = {
        "merchant": settings.PAYGOV_MERCHANT_CODE,
        "reference": payment.reference,
        "amount": str(payment.amount_vnd),
        "currency": payment.currency,
        "description": payment.description,
        "return_url": return_url,
        "client_ip": client_ip,
        "created": timezone.localtime(payment.started_at or timezone.now()).strftime("%Y%m%d%H%M%S"),
        "expires": timezone.localtime(payment.expires_at).strftime("%Y%m%d%H%M%S"),
    }
    params["signature"] = sign(params, settings.PAYGOV_SECRET)
    return params


class SimulatorGateway(PaymentGateway):
    name = "paygov-sim"

    def start(self, payment, *, return_url: str, client_ip: str) -> str:
        return "/paygov-sim/pay/?" + urlencode(redirect_params(payment, return_url=return_url, client_ip=client_ip))

    def verify_callback(self, params: dict):
        return read_callback(params, settings.PAYGOV_SECRET)

    def _check_reachable(self) -> None:
        if not settings.PAYGOV_SIM_REACHABLE or cache.get(DOWN_KEY):
            raise GatewayError("the PayGov simulator does not answer (drill)")

    def query(self, payment) -> QueryResult:
        self._check_reachable()
        from payments.paygov_sim.models import SimTransaction

        record = SimTransaction.objects.filter(reference=payment.reference).first()
        if record is None:
            return QueryResult(found=False)
        return QueryResult(
            found=True,
            result_code=record.result_code,
            amount_vnd=record.amount_vnd,
            transaction_no=record.transaction_no,
            bank_code=record.bank_code,
        )

    def refund(self, payment, *, amount_vnd: int, operator: str) -> RefundResult:
        self._check_reachable()
        from payments.paygov_sim.models import SimTransaction

        record = SimTransaction.objects.filter(reference=payment.reference, result_code="00").first()
        if record is None or amount_vnd > record.amount_vnd - record.refunded_vnd:
            return RefundResult(ok=False, message="nothing to refund")
        record.refunded_vnd += amount_vnd
        record.save(update_fields=["refunded_vnd"])
        return RefundResult(ok=True, refund_no=f"RF{record.transaction_no}")

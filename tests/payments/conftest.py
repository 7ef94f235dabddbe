"""Payments tests: the demo people and a dossier whose 1.250.000 ₫ fee the unit asked for."""

import pytest

from payments.gateways.base import sign
from procedures import services
from procedures.models import FeeLine
from tests.procedures.conftest import citizen, make_procedure, people, procedure, submitted_dossier  # noqa: F401  (fixtures)


@pytest.fixture
def fee_procedure(units):
    """A procedure whose fee lines add up to 1.250.000 ₫."""
    fee_bearing = make_procedure(code="1.000999")
    fee_bearing.fee_lines.all().delete()
    FeeLine.objects.create(procedure=fee_bearing, kind="fee", name_vi="Lệ phí cấp phép", amount_vnd=1_000_000)
    FeeLine.objects.create(procedure=fee_bearing, kind="charge", name_vi="Phí thẩm định", amount_vnd=250_000)
    return fee_bearing


@pytest.fixture
def officer(people):  # noqa: F811
    return people["officer.benthanh"]


@pytest.fixture
def waiting_dossier(fee_procedure, citizen, officer):  # noqa: F811
    """Received, processed, and now waiting for the citizen's payment (the clock paused)."""
    dossier = submitted_dossier(fee_procedure, citizen)
    for action in ("receive", "start_processing", "require_payment"):
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer)
    return dossier


def gateway_notice(payment, *, result_code="00", amount=None, secret=None, **overrides) -> dict:
    """The server-to-server notification the gateway sends for `payment`, signed as the gateway signs it."""
    from django.conf import settings

    params = {
        "reference": payment.reference,
        "amount": str(payment.amount_vnd if amount is None else amount),
        "currency": "VND",
        "result_code": result_code,
        "transaction_no": f"SIM{payment.pk:010d}",
        "bank_code": "VCB",
        **overrides,
    }
    params["signature"] = sign(params, secret or settings.PAYGOV_SECRET)
    return params

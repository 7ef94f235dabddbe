"""Paying a fee online in a real browser: the dossier page, the simulated bank, back at the portal.

A citizen whose dossier waits for a 1.250.000 ₫ fee (asked for by the officer
of Phường Bến Thành, through the services) logs in with VNeID, presses "Pay
online", and at the PayGov simulator first has the payment fail, then cancels,
then pays. The simulator's notification really crosses HTTP to the portal's
callback (live_server); the portal's return page shows the payment made and the
dossier is back in processing. axe-core checks every portal and bank page.
"""

import pytest

from payments.models import Payment
from tests.browser.test_dossier_journey import citizen_logs_in, new_page
from tests.browser.test_home_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting_dossier(eid_at_live_server, units, settings):
    """Nguyễn Văn An's dossier, received, processed and now waiting for its fee (set up by the services)."""
    from govportal.tiers.models import Unit  # noqa: F401  (units are loaded by the fixture)
    from identity.models import User
    from identity.registry.services import registry_population_seed
    from identity.services import demo_dataset_seed
    from procedures import services
    from procedures.models import FeeLine
    from tests.procedures.conftest import make_procedure, submitted_dossier

    registry_population_seed()
    demo_dataset_seed()
    settings.PAYGOV_SIM_CALLBACK_URL = eid_at_live_server.url + "/payments/paygov/callback/"
    procedure = make_procedure(code="1.000999")
    procedure.fee_lines.all().delete()
    FeeLine.objects.create(procedure=procedure, kind="fee", name_vi="Lệ phí cấp phép", amount_vnd=1_000_000)
    FeeLine.objects.create(procedure=procedure, kind="charge", name_vi="Phí thẩm định", amount_vnd=250_000)
    citizen = User.objects.get(username="079085001234")
    officer = User.objects.get(username="officer.benthanh")
    dossier = submitted_dossier(procedure, citizen)
    for action in ("receive", "start_processing", "require_payment"):
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer)
    assert dossier.status == "payment_required"
    return dossier


def at_the_bank(page, *, bank: str, outcome: str):
    """Step 1 (choose the bank) and step 2 (the outcome button) at the simulator, axe on both pages."""
    page.wait_for_url("**/paygov-sim/tx/*/")
    assert "1.250.000 ₫" in page.locator("#order-amount").inner_text()
    assert serious_violations(page) == []
    page.get_by_label(bank, exact=True).check()
    page.locator("#bank-next").click()
    page.wait_for_url("**/paygov-sim/tx/*/confirm/?bank=*")
    assert page.locator("#chosen-bank").inner_text() == bank
    assert serious_violations(page) == []
    page.locator(f"#outcome-{outcome}").click()
    page.wait_for_url("**/payments/*/return/?*")


def outcome_of(page) -> str:
    return page.locator("#payment-outcome").get_attribute("data-status")


def test_pay_fails_then_cancelled_then_paid(browser, live_server, waiting_dossier):
    dossier = waiting_dossier
    citizen = new_page(browser, live_server)
    citizen_logs_in(citizen)

    # The dossier page asks for the fee and offers to pay online.
    citizen.goto(f"/my/dossiers/{dossier.code}/")
    assert citizen.locator("#payment-amount").inner_text() == "1.250.000 ₫"
    assert serious_violations(citizen) == []
    citizen.locator("#pay-online button[type=submit]").click()

    # First attempt: the bank refuses (insufficient funds). The portal says so and offers to pay again.
    at_the_bank(citizen, bank="Vietcombank", outcome="fail")
    assert outcome_of(citizen) == "failed"
    assert citizen.locator("#payment-reason").inner_text().strip() != ""
    assert serious_violations(citizen) == []
    dossier.refresh_from_db()
    assert dossier.status == "payment_required"

    # Second attempt: the citizen cancels at the bank.
    citizen.locator("#pay-again button[type=submit]").click()
    at_the_bank(citizen, bank="BIDV", outcome="cancel")
    assert outcome_of(citizen) == "cancelled"
    assert serious_violations(citizen) == []
    dossier.refresh_from_db()
    assert dossier.status == "payment_required"

    # Third attempt: paid. The notification reached the portal over HTTP before the browser came back.
    citizen.locator("#pay-again button[type=submit]").click()
    at_the_bank(citizen, bank="Techcombank", outcome="pay")
    assert outcome_of(citizen) == "succeeded"
    paid = Payment.objects.get(subject=f"dossier:{dossier.code}", status="succeeded")
    assert citizen.locator("#payment-amount").inner_text() == "1.250.000 ₫"
    assert citizen.locator("#receipt-link").get_attribute("href") == f"/receipts/{paid.receipt_number}/"
    assert citizen.locator("#pay-again").count() == 0
    assert serious_violations(citizen) == []
    assert list(
        Payment.objects.filter(subject=f"dossier:{dossier.code}")
        .order_by("created_at")
        .values_list("status", "bank_code")
    ) == [("failed", "VCB"), ("cancelled", "BIDV"), ("succeeded", "TCB")]

    # Back to the dossier: in processing again, nothing more to pay.
    citizen.locator("#back-to-dossier").click()
    citizen.wait_for_url(f"**/my/dossiers/{dossier.code}/")
    dossier.refresh_from_db()
    assert dossier.status == "processing" and dossier.paused_at is None
    assert citizen.locator("#pay-online").count() == 0
    assert serious_violations(citizen) == []

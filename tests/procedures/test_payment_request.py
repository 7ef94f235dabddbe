"""Payment requests that can be paid (issue 8, item 7).

"Require payment" is offered and accepted only for fee-bearing procedures (the sum of the fee lines
above 0 ₫), on the workbench page and through the API. While the dossier waits for payment, the
citizen's page and the API detail show the amount from the fee lines (1.250.000 ₫) and where to pay
until online payment arrives (and a "Pay online" button: payments).
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from procedures import services
from procedures.models import DossierEvent, FeeLine
from tests.procedures.conftest import client_for, make_procedure, submitted_dossier

pytestmark = pytest.mark.django_db

API = "/api/v1/dossiers/"


@pytest.fixture
def paid_procedure(units):
    """A procedure whose fee lines add up to 1.250.000 ₫."""
    procedure = make_procedure(code="1.000999")
    procedure.fee_lines.all().delete()
    FeeLine.objects.create(procedure=procedure, kind="fee", name_vi="Lệ phí cấp phép", amount_vnd=1_000_000)
    FeeLine.objects.create(procedure=procedure, kind="charge", name_vi="Phí thẩm định", amount_vnd=250_000)
    return procedure


def in_processing(procedure, citizen, officer):
    dossier = submitted_dossier(procedure, citizen)
    dossier = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    return services.dossier_transition(dossier=dossier, action="start_processing", actor=officer)


def workbench_page(client, dossier):
    return client.get(reverse("workbench-dossier", args=[dossier.code]))


def offered_on_page(response) -> list[str]:
    return [form.rule.action for form in response.context["action_forms"]]


def post_on_page(client, dossier, action):
    return client.post(reverse("workbench-action", args=[dossier.code, action]), {f"{action}-version": dossier.version})


@pytest.fixture
def officer(people):
    return people["officer.benthanh"]


# --- a 0 ₫ procedure ------------------------------------------------------------------------------------


def test_a_free_procedure_is_not_offered_payment_and_a_request_is_refused(procedure, citizen, officer):
    assert procedure.total_fee == 0
    dossier = in_processing(procedure, citizen, officer)
    client = client_for(officer)

    page = workbench_page(client, dossier)
    assert "require_payment" not in offered_on_page(page)
    assert "decide" in offered_on_page(page)  # the officer goes on with the dossier
    assert '/actions/require_payment/"' not in page.content.decode()

    response = post_on_page(client, dossier, "require_payment")
    assert response.status_code == 409
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    dossier.refresh_from_db()
    assert dossier.status == "processing"
    assert not DossierEvent.objects.filter(dossier=dossier, action="require_payment").exists()


def test_the_api_neither_offers_nor_accepts_payment_for_a_free_procedure(procedure, citizen, officer):
    dossier = in_processing(procedure, citizen, officer)
    client = client_for(officer)
    assert "require_payment" not in client.get(f"{API}{dossier.code}/").json()["available_actions"]
    response = client.post(f"{API}{dossier.code}/actions/require_payment/", {}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "no_fee"
    dossier.refresh_from_db()
    assert dossier.status == "processing" and dossier.paused_at is None


# --- a fee-bearing procedure ------------------------------------------------------------------------------


def test_a_fee_bearing_procedure_is_offered_payment_on_the_page_and_in_the_api(paid_procedure, citizen, officer):
    dossier = in_processing(paid_procedure, citizen, officer)
    client = client_for(officer)
    assert "require_payment" in offered_on_page(workbench_page(client, dossier))
    assert "require_payment" in client.get(f"{API}{dossier.code}/").json()["available_actions"]


def test_the_citizen_sees_the_amount_and_where_to_pay_while_payment_is_awaited(
    paid_procedure, citizen, citizen_client, officer
):
    dossier = in_processing(paid_procedure, citizen, officer)
    page = citizen_client.get(reverse("my-dossier", kwargs={"code": dossier.code}))
    assert 'id="payment"' not in page.content.decode()  # nothing to pay yet

    response = post_on_page(client_for(officer), dossier, "require_payment")
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "payment_required"

    html = citizen_client.get(reverse("my-dossier", kwargs={"code": dossier.code})).content.decode()
    assert '<strong id="payment-amount">1.250.000 ₫</strong>' in html
    payment = html[html.index('id="payment"') : html.index("</section>", html.index('id="payment"'))]
    assert "1.000.000 ₫" in payment and "250.000 ₫" in payment  # the fee lines
    assert "Phường Bến Thành" in payment  # where to pay until online payment arrives
    assert (
        'action="/payments/start/"' in payment and f'value="dossier:{dossier.code}"' in payment
    )  # no pretend pay button


def test_the_api_detail_shows_the_amount_while_payment_is_awaited(paid_procedure, citizen, citizen_client, officer):
    dossier = in_processing(paid_procedure, citizen, officer)
    assert citizen_client.get(f"{API}{dossier.code}/").json()["payment_request"] is None

    response = client_for(officer).post(
        f"{API}{dossier.code}/actions/require_payment/", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    body = citizen_client.get(f"{API}{dossier.code}/").json()
    assert body["status"] == "payment_required"
    payment = body["payment_request"]
    assert payment["amount_vnd"] == 1_250_000
    assert payment["amount_display"] == "1.250.000 ₫"
    assert [line["amount_vnd"] for line in payment["lines"]] == [1_000_000, 250_000]
    assert payment["pay_at"]["code"] == "26743"
    assert payment["online"] is False

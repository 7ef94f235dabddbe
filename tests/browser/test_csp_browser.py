"""The Content-Security-Policy in a real browser: the main pages work under it and Chromium reports no violation.

Every page of the context reports `securitypolicyviolation` events (and Chromium's
"Refused to ..." console messages) to the test. A first check proves the listener
hears a violation; then the citizen (VNeID login, dossier, PayGov simulator), the
officer (the htmx queue), the operator (admin) and a visitor (public pages,
Swagger UI rendering its operations) go through their pages with none reported.
"""

import pytest
from django.urls import reverse

from identity.demo import DEMO_STAFF_PASSWORD
from tests.browser.test_dossier_journey import citizen_logs_in, totp_now
from tests.browser.test_payment_journey import waiting_dossier  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${document.location.pathname}`);
});
"""


@pytest.fixture
def watched(browser, live_server):
    """A browser context whose pages report every CSP violation into the returned list."""
    context = browser.new_context(base_url=live_server.url, locale="vi-VN")
    violations = []
    context.expose_function("__cspViolation", lambda text: violations.append(text))
    context.add_init_script(LISTENER)

    def on_console(message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(f"console: {message.text}")

    context.on("console", on_console)
    context.on("page", lambda page: page.on("console", on_console))
    page = context.new_page()
    page.on("console", on_console)
    page.set_default_timeout(15_000)
    yield page, violations
    context.close()


def staff_logs_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("input[name=code]").fill(totp_now(username))
    with page.expect_navigation():
        page.get_by_role("button", name="Xác nhận").click()


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, (path, response.status)
    assert "unsafe-inline" not in response.headers["content-security-policy"]


def test_the_listener_hears_a_violation(watched, live_server):
    page, violations = watched
    visit(page, "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(300)
    assert any("style-src" in violation for violation in violations), violations


def test_main_pages_work_under_the_policy_without_a_violation(watched, live_server, waiting_dossier):  # noqa: F811
    page, violations = watched
    dossier = waiting_dossier

    # A visitor: public pages, and Swagger UI renders its operations from local files.
    for path in ("/", "/procedures/", f"/procedures/{dossier.procedure.code}/", "/track/", f"/track/{dossier.code}/"):
        visit(page, path)
    for path in ("/scorecard/", reverse("report-board"), reverse("report-new"), "/units/", "/accounts/login/"):
        visit(page, path)
    visit(page, "/api/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("govportal API")
    assert violations == []

    # The citizen logs in with VNeID (the mock provider's page), opens the dossier and goes to the bank.
    citizen_logs_in(page)
    visit(page, "/my/dossiers/")
    visit(page, f"/my/dossiers/{dossier.code}/")
    page.locator("#pay-online button[type=submit]").click()
    page.wait_for_url("**/paygov-sim/tx/*/")
    assert page.locator("#order-amount").is_visible()
    assert violations == []
    page.context.clear_cookies()

    # The officer's queue: a filter change is an htmx request that swaps the table in place.
    staff_logs_in(page, "officer.benthanh")
    visit(page, "/workbench/")
    page.wait_for_function("() => window.htmx !== undefined")
    with page.expect_request(lambda request: request.headers.get("hx-request") == "true"):
        page.locator("#queue-filters select").first.select_option(index=1)
    page.wait_for_load_state("networkidle")
    assert page.locator("#queue-region").is_visible()
    visit(page, f"/workbench/dossiers/{dossier.code}/")
    assert violations == []
    page.context.clear_cookies()

    # The operator in the admin: the index, a list with actions and a change form with inlines.
    staff_logs_in(page, "operator")
    for path in (
        "/admin/",
        "/admin/procedures/procedure/",
        f"/admin/procedures/procedure/{dossier.procedure.pk}/change/",
    ):
        visit(page, path)
    page.wait_for_load_state("networkidle")
    assert violations == []

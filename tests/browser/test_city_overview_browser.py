"""The city admin in a real browser: logs in, opens the city overview, drills down to a late dossier."""

from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.utils import timezone

from govportal.tiers.models import Unit
from identity.demo import DEMO_STAFF_PASSWORD, demo_totp_secret
from identity.models import User
from procedures.models import Dossier
from tests.browser.test_home_accessibility import serious_violations
from tests.procedures.conftest import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_city_admin_lands_on_the_overview_and_reads_a_late_dossier(browser, live_server, demo_users):
    unit = Unit.objects.get(code="26743")
    late = Dossier.objects.create(
        code="HCM-26743-260101-0001",
        procedure=make_procedure(),
        applicant=User.objects.get(username="079085001234"),
        receiving_unit=unit,
        handling_unit=unit,
        status="processing",
        submitted_at=timezone.now() - timedelta(days=5),
        due_at=timezone.now() - timedelta(hours=2),
    )
    context = browser.new_context(base_url=live_server.url, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill("admin.city")
        page.get_by_label("Mật khẩu").fill(DEMO_STAFF_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        counters = list(yield_hotp_counters_from_time())
        code = format_hotp_value(hotp_value(demo_totp_secret("admin.city"), counters[len(counters) // 2]))
        page.locator("input[name=code]").fill(code)
        page.get_by_role("button", name="Xác nhận").click()
        page.wait_for_url("**/dashboard/city/")  # the city admin lands on the city dashboard
        page.goto("/overview/")
        assert page.locator("#unit-26743").get_attribute("data-overdue") == "1"
        assert serious_violations(page) == []

        page.locator("#unit-26743 a.error").click()
        page.wait_for_url("**/overview/units/26743/?show=overdue")
        assert serious_violations(page) == []
        page.get_by_role("link", name=late.code).click()
        page.wait_for_url(f"**/workbench/dossiers/{late.code}/")
        assert page.locator("#no-actions").is_visible()  # read-only for the city
    finally:
        context.close()

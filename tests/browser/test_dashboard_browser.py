"""The city dashboard in a real browser: the charts render, their tables open, the CSV downloads, axe finds nothing."""

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from identity.demo import DEMO_STAFF_PASSWORD, demo_totp_secret
from tests.browser.test_home_accessibility import serious_violations
from tests.dashboard.test_city_dashboard import build_city
from tests.procedures.conftest import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARCH = "from=01/03/2026&to=31/03/2026&every=week"


@pytest.fixture
def small_city(demo_users, population):
    """The small city of tests/dashboard/test_city_dashboard.py, counted."""
    from identity.models import User

    return build_city({user.username: user for user in User.objects.all()}, make_procedure())


def all_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in Axe().run(page).response["violations"]]


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    counters = list(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(demo_totp_secret(username), counters[len(counters) // 2]))
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/dashboard/city/")


def test_the_city_admin_reads_the_charts_opens_their_tables_and_downloads_the_csv(browser, live_server, small_city):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, "admin.city")
        # The menu leads to the dashboard.
        page.locator('header a[href="/dashboard/city/"]').click()
        page.wait_for_url("**/dashboard/city/")
        page.goto(f"/dashboard/city/?{MARCH}")

        expected = {
            "#city-scores": ("rect.bar", 2),  # the two units with a score
            "#city-trend-on-time": (".point", 1),  # only the week of 02/03 has judged dossiers
            "#city-trend-volume": (".point", 12),  # six weeks, dossiers and reports
            "#city-by-field": ("rect.bar", 1),  # one procedure field
        }
        for chart, (items, count) in expected.items():
            svg = page.locator(f"svg{chart}")
            assert svg.is_visible(), chart
            assert svg.get_attribute("role") == "img"
            assert svg.locator(items).count() == count, chart
            box = svg.bounding_box()
            assert box["width"] > 200 and box["height"] > 30, chart
        assert page.locator("#city-scores rect.bar").first.bounding_box()["width"] > 10

        # "Numbers as a table": closed at first, open on a click, the same numbers as the chart.
        table = page.locator("#city-trend-table table")
        assert not table.is_visible()
        page.locator("#city-trend-table summary").click()
        assert table.is_visible()
        assert table.locator('tr[data-start="2026-03-02"] td').first.inner_text() == "4"
        page.locator("#city-fields-table summary").click()
        assert page.locator("#city-fields-table table").is_visible()

        # The CSV link downloads the units' figures of the period.
        with page.expect_download() as info:
            page.locator("#city-csv").click()
        download = info.value
        assert download.suggested_filename == "govportal-units-2026-03-01-2026-03-31.csv"
        with open(download.path(), encoding="utf-8") as handle:
            first_line = handle.readline()
        assert first_line.startswith("\ufeffcode,name,name_en,kind,rank,dossier_total,")

        assert serious_violations(page) == []
        assert all_violations(page) == []

        # Sorting works without JavaScript: a header link, and aria-sort follows.
        page.locator('#units-table thead a[href*="sort=-score"]').click()
        page.wait_for_url("**sort=-score**")
        assert page.locator('#units-table th[aria-sort="descending"]').count() == 1

        # Drill-down: a unit, then its late dossiers.
        page.locator("#unit-26743 a").click()
        page.wait_for_url("**/dashboard/unit/26743/**")
        assert page.locator("svg#unit-trend-volume").is_visible()
        assert all_violations(page) == []
        page.locator("#late-dossiers-link").click()
        page.wait_for_url("**/dashboard/unit/26743/late/**")
        assert page.locator("#late-table tbody tr").count() == 1
        assert all_violations(page) == []
    finally:
        context.close()

"""The home page in a real browser: Vietnamese first, English on request, accessible."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_home_in_vietnamese_then_english_without_serious_accessibility_violations(page, units):
    # The browser asks for English (locale en-US), yet the portal speaks Vietnamese first.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Dịch vụ công của Thành phố Hồ Chí Minh, trực tuyến"
    assert serious_violations(page) == []

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Public services of Ho Chi Minh City, online"
    assert serious_violations(page) == []

    # The unit finder works from the home page, without diacritics.
    page.get_by_label("Name of the unit").fill("ben thanh")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("cell", name="Phường Bến Thành").is_visible()
    assert serious_violations(page) == []


def test_skip_link_is_the_first_focus_and_moves_to_main(page, units):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Chuyển đến nội dung chính"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"

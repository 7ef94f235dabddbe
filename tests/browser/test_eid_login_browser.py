"""The citizen's e-ID login in a real browser: portal -> mock VNeID -> back, in Vietnamese."""

import pytest

from tests.browser.test_home_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mock_eid(eid_at_live_server, units):
    from identity.registry.services import registry_population_seed

    registry_population_seed()


def test_citizen_logs_in_with_vneid_and_lands_on_their_profile_in_vietnamese(page, mock_eid, live_server):
    page.goto("/")
    page.get_by_role("link", name="Đăng nhập").click()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Đăng nhập bằng VNeID").click()

    # The mock provider's own page: pick a demo citizen and level 2.
    page.wait_for_url("**/mock-eid/authorize**")
    page.get_by_label("Nguyễn Văn An").check()
    page.get_by_label("Mức 2", exact=False).check()
    page.get_by_role("button", name="Đăng nhập").click()

    page.wait_for_url("**/me/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Thông tin cá nhân"
    facts = page.locator("dl.facts").inner_text()
    assert "079085001234" in facts
    assert "12/03/1985" in facts
    assert "Mức 2" in facts
    assert page.get_by_role("cell", name="Phạm Thị Hoa").is_visible()  # household member from the registry
    assert serious_violations(page) == []

    # Contact details are editable; bad input gets a Vietnamese form error and keeps what was typed.
    page.get_by_label("Số điện thoại").fill("12ab")
    page.get_by_role("button", name="Lưu").click()
    assert page.get_by_text("Nhập số điện thoại từ 9 đến 15 chữ số").is_visible()
    page.get_by_label("Số điện thoại").fill("0901 234 567")
    page.get_by_role("button", name="Lưu").click()
    assert page.get_by_text("Đã lưu thông tin liên hệ.").is_visible()

    # Logging out also ends the session at the provider, then comes home.
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("link", name="Đăng nhập").is_visible()

"""The whole journey in a real browser, two people at two screens.

A citizen logs in with VNeID, files a birth registration with an upload; an
officer of Phường Bến Thành logs in with password and TOTP, receives it and asks
for a supplement; the citizen sends it; the officer decides with a result
document; the citizen downloads the result.
"""

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from identity.demo import DEMO_STAFF_PASSWORD, demo_totp_secret
from procedures.models import Dossier
from tests.browser.test_home_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n% govportal test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def portal(eid_at_live_server, units, tmp_path):
    from django.core.management import call_command

    from identity.registry.services import registry_population_seed
    from identity.services import demo_dataset_seed

    registry_population_seed()
    demo_dataset_seed()
    call_command("load_catalogue", verbosity=0)
    for name in ("to-khai.pdf", "giay-chung-sinh.pdf", "ban-sao-bo-sung.pdf", "giay-khai-sinh.pdf", "nham-file.pdf"):
        (tmp_path / name).write_bytes(PDF)
    return tmp_path


def totp_now(username: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(demo_totp_secret(username), counters[len(counters) // 2]))


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def citizen_logs_in(page):
    page.goto("/login/")
    page.get_by_role("button", name="Đăng nhập bằng VNeID").click()
    page.get_by_label("Nguyễn Văn An").check()
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/me/")


def officer_logs_in(page):
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill("officer.benthanh")
    page.get_by_label("Mật khẩu").fill(DEMO_STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("input[name=code]").fill(totp_now("officer.benthanh"))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url("**/workbench/")  # officers land on their queue


def officer_acts(page, action: str, *, note: str = "", result=None):
    form = page.locator(f"#action-{action}")
    if note:
        form.locator("textarea[name$=note]").fill(note)
    if result is not None:
        form.locator("input[name$=result]").set_input_files(str(result))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_file_supplement_decide_download(browser, live_server, portal):
    citizen = new_page(browser, live_server)
    officer = new_page(browser, live_server)

    # The citizen files a birth registration (Đăng ký khai sinh) from the catalogue.
    citizen_logs_in(citizen)
    citizen.goto("/procedures/1.001193/")
    citizen.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    citizen.get_by_role("button", name="Bắt đầu").click()
    assert serious_violations(citizen) == []
    citizen.locator("input[name=f_child_name]").fill("Nguyễn Minh Khôi")
    citizen.locator("input[name=f_child_birth_date]").fill("2026-11-20")
    citizen.locator("input[name=f_child_birth_place]").fill("Bệnh viện Từ Dũ")
    citizen.locator("input[name=f_relationship]").fill("Cha")
    # A wrong file first: saved with Enter (which must save, not remove), then removed.
    citizen.locator("input[name=doc_giay-chung-sinh]").set_input_files(str(portal / "nham-file.pdf"))
    citizen.locator("input[name=f_relationship]").press("Enter")
    citizen.wait_for_load_state()
    remove = citizen.get_by_role("button", name="Xoá nham-file.pdf")
    assert remove.count() == 1 and citizen.locator("input[name=f_relationship]").input_value() == "Cha"
    remove.click()
    citizen.wait_for_load_state()
    assert citizen.get_by_role("button", name="Xoá nham-file.pdf").count() == 0
    assert "nham-file.pdf" in citizen.locator("[role=status], .message").first.inner_text()
    assert serious_violations(citizen) == []
    citizen.locator("input[name=doc_to-khai]").set_input_files(str(portal / "to-khai.pdf"))
    citizen.locator("input[name=doc_giay-chung-sinh]").set_input_files(str(portal / "giay-chung-sinh.pdf"))
    citizen.get_by_role("button", name="Xem lại trước khi nộp").click()
    assert serious_violations(citizen) == []
    citizen.get_by_role("button", name="Nộp hồ sơ").click()
    dossier = Dossier.objects.get(applicant__personal_id="079085001234")
    assert dossier.status == "submitted" and dossier.code.startswith("HCM-26743-")
    assert sorted(dossier.reused_data["documents"]) == ["giay-to-cu-tru", "giay-to-tuy-than"]
    assert dossier.code in citizen.content()

    # The officer receives it and asks for a supplement.
    officer_logs_in(officer)
    officer.goto("/workbench/")
    officer.get_by_role("link", name=dossier.code).click()
    assert serious_violations(officer) == []
    officer_acts(officer, "receive")
    officer_acts(officer, "request_supplement", note="Thiếu bản sao giấy chứng sinh có chứng thực.")
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested" and dossier.paused_at is not None

    # The citizen sees the request and sends the missing paper.
    citizen.goto(f"/my/dossiers/{dossier.code}/")
    assert "Thiếu bản sao giấy chứng sinh có chứng thực." in citizen.content()
    citizen.locator("input[name=files]").set_input_files(str(portal / "ban-sao-bo-sung.pdf"))
    citizen.get_by_role("button", name="Gửi hồ sơ bổ sung").click()
    dossier.refresh_from_db()
    assert dossier.status == "received" and dossier.paused_at is None

    # The officer processes and decides with the electronic result.
    officer.reload()
    officer_acts(officer, "start_processing")
    officer_acts(officer, "decide", result=portal / "giay-khai-sinh.pdf")
    dossier.refresh_from_db()
    assert dossier.status == "decided"

    # The citizen downloads the result.
    citizen.goto(f"/my/dossiers/{dossier.code}/")
    assert serious_violations(citizen) == []
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name="giay-khai-sinh.pdf").first.click()
    path = download.value.path()
    with open(path, "rb") as handle:
        assert handle.read() == PDF
    assert list(dossier.events.values_list("action", flat=True)) == [
        "create_draft",
        "remove_document",
        "submit",
        "route",  # on commit, by the routing task (eager in tests)
        "receive",
        "request_supplement",
        "supplement",
        "start_processing",
        "decide",
    ]

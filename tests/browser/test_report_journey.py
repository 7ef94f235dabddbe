"""A 1022 report in a real browser, two people at two screens, axe-core on every page.

A citizen logs in with VNeID and reports a pavement taken over by a shop
(a commune-level matter) with a photo from their phone (GPS in its EXIF); the officer of Phường Bến Thành finds it
in the reports tab of the workbench, sees the photo without its location, and
answers with a photo of the fix; the citizen reads the answer with the photo
and rates it.
"""

import io

import pytest
from PIL import Image

from feedback.models import PhotoRole, Report, ReportPhoto
from feedback.photos import photo_storage
from tests.browser.test_dossier_journey import citizen_logs_in, new_page, officer_logs_in
from tests.browser.test_home_accessibility import serious_violations
from tests.feedback.test_photos import phone_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal(eid_at_live_server, units, tmp_path):
    from feedback.services import categories_load
    from identity.registry.services import registry_population_seed
    from identity.services import demo_dataset_seed

    registry_population_seed()
    demo_dataset_seed()
    categories_load()
    (tmp_path / "den-hong.jpg").write_bytes(phone_jpeg())
    fixed = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 140, 60)).save(fixed, "PNG")
    (tmp_path / "da-sua.png").write_bytes(fixed.getvalue())
    return tmp_path


def test_report_with_a_photo_answered_with_a_photo_then_rated(browser, live_server, portal):
    citizen = new_page(browser, live_server)
    officer = new_page(browser, live_server)

    # The citizen reports a pavement taken over, with a photo.
    citizen_logs_in(citizen)
    citizen.goto("/feedback/new/")
    assert serious_violations(citizen) == []
    citizen.locator("select[name=category]").select_option(
        label="Trật tự đô thị (lấn chiếm lòng lề đường, xây dựng trái phép)"
    )
    citizen.locator("textarea[name=text]").fill(
        "Cửa hàng trước số 12 Lê Lợi bày hàng kín vỉa hè, người đi bộ phải xuống lòng đường."
    )
    citizen.locator("input[name=unit_q]").fill("ben thanh")
    citizen.locator("button[name=action][value=find_unit]").click()
    citizen.wait_for_load_state()
    assert citizen.locator("textarea[name=text]").input_value().startswith("Cửa hàng trước số 12")
    citizen.locator("select[name=unit]").select_option(label="Phường Bến Thành")
    citizen.locator("input[name=address]").fill("12 Lê Lợi")
    citizen.locator("input[name=photos]").set_input_files(str(portal / "den-hong.jpg"))
    assert serious_violations(citizen) == []
    citizen.locator("button[name=action][value=send]").click()
    citizen.wait_for_load_state()
    report = Report.objects.get(applicant__personal_id="079085001234")
    assert report.code in citizen.content() and report.status == "routed"
    assert report.handling_unit.code == "26743"
    assert serious_violations(citizen) == []
    photo = ReportPhoto.objects.get(report=report, role=PhotoRole.REPORT)
    with photo_storage().open(photo.stored_name) as handle:
        assert not Image.open(handle).getexif().get_ifd(0x8825)  # the GPS block is gone

    # The officer finds it in the reports tab and answers with a photo of the fix.
    officer_logs_in(officer)
    officer.goto("/workbench/")
    officer.locator("nav.tabs a[href='/workbench/reports/']").click()
    officer.wait_for_load_state()
    assert serious_violations(officer) == []
    officer.get_by_role("link", name=report.code).click()
    officer.wait_for_load_state()
    assert serious_violations(officer) == []
    shown = officer.locator(f"img[src='/feedback/photos/{photo.pk}/']")
    assert shown.count() == 1 and shown.evaluate("img => img.naturalWidth") > 0
    answer = officer.locator("#action-answer")
    answer.locator("textarea[name$=note]").fill("Phường đã nhắc nhở và cửa hàng đã dọn vỉa hè.")
    answer.locator("input[name$=photos]").set_input_files(str(portal / "da-sua.png"))
    answer.locator("button[type=submit]").click()
    officer.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == "answered"
    assert ReportPhoto.objects.filter(report=report, role=PhotoRole.ANSWER).count() == 1
    assert serious_violations(officer) == []

    # The citizen reads the answer with its photo and rates it.
    citizen.goto(f"/feedback/mine/{report.code}/")
    assert "Phường đã nhắc nhở và cửa hàng đã dọn vỉa hè." in citizen.content()
    fix = ReportPhoto.objects.get(report=report, role=PhotoRole.ANSWER)
    assert citizen.locator(f"img[src='/feedback/photos/{fix.pk}/']").evaluate("img => img.naturalWidth") == 320
    assert serious_violations(citizen) == []
    citizen.locator("#rate input[name=rating][value='5']").check()
    citizen.locator("#rate button[type=submit]").click()
    citizen.wait_for_load_state()
    report.refresh_from_db()
    assert report.satisfaction == 5
    assert serious_violations(citizen) == []
    assert list(report.events.values_list("action", flat=True)) == ["create", "route", "answer", "rate"]

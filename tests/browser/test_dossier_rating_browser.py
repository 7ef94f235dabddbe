"""The citizen's rating of a finished dossier in a real browser: accessible, and usable with the keyboard alone."""

import pytest

from procedures.models import Dossier
from procedures.workflow import DossierStatus as S
from tests.procedures.conftest import people, procedure, submitted_dossier  # noqa: F401  (fixtures)
from tests.procedures.test_dossier_rating import page_url, walk


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_rating_form_is_accessible_and_works_with_the_keyboard(browser, eid_at_live_server, people, procedure):  # noqa: F811
    from tests.browser.test_dossier_journey import citizen_logs_in
    from tests.browser.test_home_accessibility import serious_violations

    finished = walk(submitted_dossier(procedure, people["079085001234"]), people, S.RESULT_RETURNED)
    context = browser.new_context(base_url=eid_at_live_server.url, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        citizen_logs_in(page)
        page.goto(page_url(finished))
        assert serious_violations(page) == []
        # The five answers are one named group (fieldset and legend), each radio with its label.
        group = page.locator("#rate fieldset")
        assert group.get_attribute("id") == "id_rating"
        assert page.get_by_role("group", name=group.locator("legend").inner_text()).count() == 1
        assert page.get_by_role("radio").count() == 5
        page.locator("#id_rating_0").focus()
        for _ in range(3):
            page.keyboard.press("ArrowDown")  # arrows move the choice inside a radio group
        assert page.locator("#id_rating_3").is_checked()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{page_url(finished)}")
        page.wait_for_load_state()
        assert "4/5" in page.locator("#dossier-rating").inner_text()
        assert page.locator("#id_rating_3").is_checked()  # offered again, to change it
        assert serious_violations(page) == []
    finally:
        context.close()
    assert Dossier.objects.get(pk=finished.pk).satisfaction == 4

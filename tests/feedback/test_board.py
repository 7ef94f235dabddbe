"""The public board of 1022 reports, its Atom and RSS feeds: published reports only, nothing personal, unit scores."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from django.urls import reverse

from feedback.board_selectors import board_unit_scores
from feedback.models import Category, Report
from feedback.services import report_transition
from govportal.tiers.models import Tier, Unit
from tests.feedback.test_photos import phone_jpeg, upload
from tests.feedback.test_reports import OTHER_WARD, PLACE, TUESDAY_MORNING, routed_report

pytestmark = pytest.mark.django_db

CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL = "Trần Thị Liên Hệ", "0901234567", "lien.he@example.vn"
ORIGINAL_TEXT = "Đèn đường trước nhà số 12 bị hỏng từ ba ngày nay."
ATOM = "{http://www.w3.org/2005/Atom}"


def categories_of_communes() -> list[Category]:
    return list(Category.objects.filter(tier=Tier.COMMUNE).order_by("code")[:2])


def finished(
    capture,
    staff,
    *,
    reporter=None,
    unit_code=PLACE,
    category=None,
    late=False,
    rating=None,
    publish="",
    photos=(),
) -> Report:
    """A report filed, routed, answered (late: 60 days on), rated by its reporter, published with `publish` as text."""
    fields = {"unit_code": unit_code, "category": category or categories_of_communes()[0]}
    if reporter is None:
        fields["contact_email"] = CONTACT_EMAIL
    report = routed_report(capture, reporter=reporter, **fields)
    officer = staff["officer.ward" if unit_code == PLACE else "officer.other"]
    answered_at = TUESDAY_MORNING + (timedelta(days=60) if late else timedelta(hours=2))
    with time_machine.travel(answered_at, tick=False), capture(execute=True):
        report = report_transition(
            report=report, action="answer", actor=officer, note="Đã thay bóng đèn.", photos=photos
        )
        if rating:
            report = report_transition(report=report, action="rate", actor=reporter, rating=rating)
        if publish:
            report = report_transition(
                report=report,
                action="publish",
                actor=officer,
                public_text=publish,
                public_answer=f"Đơn vị đã xử lý: {publish}",
            )
    return Report.objects.get(pk=report.pk)


@pytest.fixture
def board_data(categories, staff, reporter, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    first, second = categories_of_communes()
    published = finished(capture, staff, publish="Đèn đường hỏng trên đường Lê Lợi", category=first)
    other_place = finished(capture, staff, unit_code=OTHER_WARD, category=second, publish="Rác thải tồn đọng ở hẻm chợ")
    hidden = finished(capture, staff, category=first)  # answered, never published
    return {"published": published, "other_place": other_place, "hidden": hidden, "first": first, "second": second}


def personal_data_absent(content: str, staff) -> None:
    for secret in (CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL, ORIGINAL_TEXT, "12 Lê Lợi", "Đã thay bóng đèn."):
        assert secret not in content, secret
    for user in staff.values():
        assert user.full_name not in content


def test_the_board_shows_only_published_reports_and_nothing_personal(client, board_data, staff):
    response = client.get(reverse("report-board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert board_data["published"].code in html and board_data["other_place"].code in html
    assert board_data["hidden"].code not in html
    assert "Đèn đường hỏng trên đường Lê Lợi" in html and "Đơn vị đã xử lý: Đèn đường hỏng" in html
    assert board_data["first"].name_vi in html and "Phường Bến Thành" in html
    assert "10/03/2026" in html  # dates as dd/mm/yyyy
    personal_data_absent(html, staff)
    # The feeds are advertised in the page head.
    assert 'rel="alternate" type="application/atom+xml"' in html and reverse("report-board-rss") in html
    # Newest published first.
    assert html.index(board_data["other_place"].code) < html.index(board_data["published"].code)


def test_the_board_shows_category_names_in_english_when_chosen(client, board_data, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("report-board")).content.decode()
    assert board_data["first"].name_en in html


def test_filters_by_place_and_category(client, board_data):
    url = reverse("report-board")
    by_place = client.get(url, {"unit": OTHER_WARD}).content.decode()
    assert board_data["other_place"].code in by_place and board_data["published"].code not in by_place
    by_category = client.get(url, {"category": board_data["first"].code}).content.decode()
    assert board_data["published"].code in by_category and board_data["other_place"].code not in by_category
    none = client.get(url, {"unit": OTHER_WARD, "category": board_data["first"].code}).content.decode()
    assert board_data["published"].code not in none and board_data["other_place"].code not in none
    # The select lists keep the choice.
    assert f'<option value="{OTHER_WARD}" selected' in by_place


def test_the_board_is_paginated_with_its_filters(client, board_data, monkeypatch):
    monkeypatch.setattr("feedback.views.board.PAGE_SIZE", 1)
    first = client.get(reverse("report-board")).content.decode()
    assert board_data["other_place"].code in first and board_data["published"].code not in first
    second = client.get(reverse("report-board"), {"page": 2}).content.decode()
    assert board_data["published"].code in second


def test_the_detail_page_shows_a_published_report_and_404_otherwise(client, board_data, staff):
    published = client.get(reverse("report-board-detail", kwargs={"code": board_data["published"].code}))
    assert published.status_code == 200
    assert "Đèn đường hỏng trên đường Lê Lợi" in published.content.decode()
    personal_data_absent(published.content.decode(), staff)
    hidden = client.get(reverse("report-board-detail", kwargs={"code": board_data["hidden"].code}))
    assert hidden.status_code == 404
    assert client.get(reverse("report-board-detail", kwargs={"code": "PA-0-0-0"})).status_code == 404


def test_answer_photos_of_a_published_report_are_shown_and_served(
    client, categories, staff, django_capture_on_commit_callbacks
):
    report = finished(
        django_capture_on_commit_callbacks, staff, publish="Cây đổ chắn lối đi", photos=[upload(phone_jpeg())]
    )
    photo = report.photos.get(role="answer")
    html = client.get(reverse("report-board")).content.decode()
    photo_url = reverse("report-photo", args=[photo.pk])
    assert f'src="{photo_url}"' in html
    assert client.get(photo_url).status_code == 200


def test_unit_scores_are_computed_from_finished_reports(
    client, categories, staff, reporter, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    finished(capture, staff, reporter=reporter, rating=4)
    finished(capture, staff, reporter=reporter, rating=5, late=True)
    finished(capture, staff)  # on time, not rated
    rejected = routed_report(capture)
    with capture(execute=True):
        report_transition(report=rejected, action="reject", actor=staff["officer.ward"], note="Rác.", reason="spam")
    finished(capture, staff, unit_code=OTHER_WARD, late=True)
    routed_report(capture)  # still open: counts nowhere

    scores = {score.unit_code: score for score in board_unit_scores()}
    assert set(scores) == {PLACE, OTHER_WARD}
    place = scores[PLACE]
    assert (place.finished, place.answered, place.on_time, place.ratings) == (4, 3, 2, 2)
    assert place.on_time_percent == 67 and place.average_rating == 4.5
    other = scores[OTHER_WARD]
    assert (other.answered, other.on_time, other.ratings, other.average_rating) == (1, 0, 0, None)
    assert other.on_time_percent == 0

    html = client.get(reverse("report-board")).content.decode()
    table = html[html.index('id="unit-score-table"') :]
    assert Unit.objects.get(code=PLACE).name in table
    assert "67% (2/3)" in table and "4,5 (2 lượt đánh giá)" in table  # Vietnamese decimal comma


def test_unit_scores_are_one_aggregate_query(
    categories, staff, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for _ in range(3):
        finished(django_capture_on_commit_callbacks, staff)
    with django_assert_num_queries(1):
        board_unit_scores()


def feed_items(client, name: str, params=None) -> tuple[ElementTree.Element, str]:
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    return ElementTree.fromstring(response.content), response.content.decode()


def test_the_atom_feed_lists_published_reports_with_the_filters(client, board_data, staff):
    root, text = feed_items(client, "report-board-atom")
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert len(entries) == 2
    assert titles[0].startswith(board_data["other_place"].code) and titles[1].startswith(board_data["published"].code)
    assert board_data["first"].name_vi in titles[1]
    link = entries[1].find(f"{ATOM}link").get("href")
    assert link.endswith(reverse("report-board-detail", kwargs={"code": board_data["published"].code}))
    assert "Đèn đường hỏng trên đường Lê Lợi" in entries[1].findtext(f"{ATOM}summary")
    personal_data_absent(text, staff)
    assert board_data["hidden"].code not in text

    filtered, _ = feed_items(client, "report-board-atom", {"unit": OTHER_WARD})
    assert [e.findtext(f"{ATOM}title") for e in filtered.findall(f"{ATOM}entry")] == [titles[0]]


def test_the_rss_feed_lists_published_reports_with_the_filters(client, board_data, staff):
    root, text = feed_items(client, "report-board-rss")
    assert root.tag == "rss"
    items = root.findall("channel/item")
    assert [item.findtext("title").split(" ")[0] for item in items] == [
        board_data["other_place"].code,
        board_data["published"].code,
    ]
    assert "Đơn vị đã xử lý" in items[1].findtext("description")
    personal_data_absent(text, staff)
    filtered, _ = feed_items(client, "report-board-rss", {"category": board_data["first"].code})
    assert [item.findtext("title").split(" ")[0] for item in filtered.findall("channel/item")] == [
        board_data["published"].code
    ]


def test_an_unpublished_report_leaves_the_board_and_the_feeds(
    client, board_data, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_transition(
            report=board_data["published"],
            action="unpublish",
            actor=staff["officer.ward"],
            note="Có thông tin cá nhân.",
        )
    assert board_data["published"].code not in client.get(reverse("report-board")).content.decode()
    assert board_data["published"].code not in client.get(reverse("report-board-rss")).content.decode()


def test_the_nav_links_to_the_board(client, units):
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("report-board")}"' in html

"""Duplicate candidates of a report, on the real PostgreSQL (pg_trgm) and through the word-overlap fallback.

A candidate shares the category and the place, was recorded within 7 days
either side, is not rejected, and has an alike text (trigram similarity ≥ 0.3)
or lies within 150 m.
"""

from datetime import timedelta

import pytest
from django.db import connection

from feedback import duplicates
from feedback.duplicates import duplicate_candidates, haversine_m, jaccard
from feedback.models import Category, Report
from feedback.services import report_create, report_transition
from govportal.tiers.models import Tier, Unit

pytestmark = pytest.mark.django_db

PLACE = "26743"
LAMP = "Đèn đường trước nhà số 12 đường Lê Lợi bị hỏng từ ba ngày nay, buổi tối rất tối."
LAMP_AGAIN = "Đèn đường trước số 12 Lê Lợi bị hỏng ba ngày nay, tối rất tối."
RUBBISH = "Rác thải đổ bừa bãi ở góc chợ, bốc mùi hôi thối suốt cả tuần."
# About 60 m north-east of the first point; the far one is about 1 km away.
HERE = ("10.772100", "106.698300")
NEAR = ("10.772500", "106.698700")
FAR = ("10.781100", "106.698300")


def categories_pair() -> tuple[Category, Category]:
    first, second = Category.objects.filter(tier=Tier.COMMUNE).order_by("code")[:2]
    return first, second


def record(operator, *, text=LAMP, category=None, where=(None, None), unit_code=PLACE) -> Report:
    return report_create(
        category=category or categories_pair()[0],
        text=text,
        unit=Unit.objects.get(code=unit_code),
        address="12 Lê Lợi",
        latitude=where[0],
        longitude=where[1],
        contact_name="Trần Thị Liên Hệ",
        contact_phone="0901234567",
        channel="hotline",
        recorded_by=operator,
    )


def shift(report: Report, days: float) -> Report:
    Report.objects.filter(pk=report.pk).update(created_at=report.created_at + timedelta(days=days))
    return Report.objects.get(pk=report.pk)


def codes(reports) -> list[str]:
    return [r.code for r in reports]


@pytest.fixture
def operator(staff):
    return staff["officer.ward"]


def test_the_database_is_postgresql_with_pg_trgm():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None


def test_a_similar_text_is_found_and_a_different_one_is_not(categories, operator):
    report = record(operator)
    alike = record(operator, text=LAMP_AGAIN)
    other = record(operator, text=RUBBISH)
    found = duplicate_candidates(report)
    assert codes(found) == [alike.code]
    assert other.code not in codes(found)
    assert found[0].similarity >= duplicates.MIN_SIMILARITY and found[0].distance_m is None


def test_another_category_or_another_place_is_not_a_candidate(categories, operator):
    first, second = categories_pair()
    report = record(operator, category=first)
    record(operator, text=LAMP, category=second)
    record(operator, text=LAMP, unit_code="26740")
    assert duplicate_candidates(report) == []


def test_only_within_seven_days_either_side(categories, operator):
    report = record(operator)
    six_days_before = shift(record(operator, text=LAMP_AGAIN), -6)
    eight_days_before = shift(record(operator, text=LAMP_AGAIN), -8)
    eight_days_after = shift(record(operator, text=LAMP), 8)
    found = codes(duplicate_candidates(report))
    assert six_days_before.code in found
    assert eight_days_before.code not in found and eight_days_after.code not in found


def test_nearby_coordinates_are_found_even_with_a_different_text(categories, operator):
    report = record(operator, where=HERE)
    near = record(operator, text=RUBBISH, where=NEAR)
    far = record(operator, text=RUBBISH, where=FAR)
    no_place = record(operator, text=RUBBISH)
    found = duplicate_candidates(report)
    assert codes(found) == [near.code]
    assert 40 < found[0].distance_m < 150
    assert far.code not in codes(found) and no_place.code not in codes(found)


def test_best_first_and_limited(categories, operator):
    report = record(operator, where=HERE)
    text_only = record(operator, text=LAMP_AGAIN)
    both = record(operator, text=LAMP_AGAIN, where=NEAR)
    place_only = record(operator, text=RUBBISH, where=NEAR)
    found = duplicate_candidates(report)
    assert codes(found)[0] == both.code
    assert set(codes(found)) == {both.code, text_only.code, place_only.code}
    assert len(duplicate_candidates(report, limit=2)) == 2
    assert duplicate_candidates(report, limit=0) == []


def test_rejected_reports_and_the_report_itself_are_left_out(categories, operator, staff):
    report = record(operator)
    rejected = record(operator, text=LAMP_AGAIN)
    report_transition(report=rejected, action="reject", actor=staff["officer.ward"], note="Spam.", reason="spam")
    assert duplicate_candidates(report) == []


def test_without_postgresql_word_overlap_decides(categories, operator, monkeypatch):
    report = record(operator)
    alike = record(operator, text=LAMP_AGAIN)
    record(operator, text=RUBBISH)

    class NotPostgres:
        vendor = "sqlite"

    monkeypatch.setattr(duplicates, "connections", {"default": NotPostgres()})
    found = duplicate_candidates(report)
    assert codes(found) == [alike.code]
    assert found[0].similarity == pytest.approx(jaccard(LAMP, LAMP_AGAIN))


def test_jaccard_and_haversine():
    assert jaccard("đèn hỏng", "Đèn hỏng") == 1.0
    assert jaccard("a b", "c d") == 0.0
    assert jaccard("", "") == 0.0
    assert haversine_m(*HERE, *HERE) == 0
    assert 1000 < haversine_m(*HERE, *FAR) < 1010

"""What officers and API clients read is Vietnamese in the Vietnamese interface (issue 8, item 4):
routing reasons, the throttle message, dates in form data, plurals of time limits and paused clocks."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from procedures.models import Dossier
from tests.procedures.conftest import client_for
from tests.procedures.test_tracking import WITH_TRACK_API

pytestmark = pytest.mark.django_db

ENGLISH_COOKIE = {"govportal_language": "en"}


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_routing_reason_reads_in_vietnamese_on_the_workbench(officer_client, dossier):
    # Stored as the router wrote it (English, also for rows routed before this change) ...
    assert dossier.routing_reason == "rule 10: commune-tier procedure, decided by Phường Bến Thành"
    text = visible_text(officer_client.get(reverse("workbench-dossier", args=[dossier.code])))
    # ... and read in the reader's language.
    assert "quy tắc 10: thủ tục cấp xã, do Phường Bến Thành giải quyết" in text
    assert "rule 10" not in text and "decided by" not in text


def test_the_routing_reason_follows_the_language_in_the_api(officer_client, dossier):
    url = f"/api/v1/dossiers/{dossier.code}/"
    assert officer_client.get(url).json()["routing_reason"].startswith("quy tắc 10: thủ tục cấp xã")
    officer_client.cookies.load(ENGLISH_COOKIE)
    assert officer_client.get(url).json()["routing_reason"].startswith("rule 10: commune-tier procedure")


def test_a_kept_unit_and_an_admins_own_rule_text_stay_readable(officer_client, dossier):
    url = reverse("workbench-dossier", args=[dossier.code])
    Dossier.objects.filter(pk=dossier.pk).update(routing_reason="kept: the unit chosen by staff before routing")
    assert "giữ nguyên: đơn vị do cán bộ chọn trước khi điều phối" in visible_text(officer_client.get(url))
    Dossier.objects.filter(pk=dossier.pk).update(routing_reason="rule 15: hồ sơ đất đai về Sở Nông nghiệp")
    assert "quy tắc 15: hồ sơ đất đai về Sở Nông nghiệp" in visible_text(officer_client.get(url))


@WITH_TRACK_API
def test_the_throttled_api_says_so_in_vietnamese(client, dossier):
    cache.clear()
    url = f"/api/v1/track/{dossier.code}/"
    for _ in range(30):
        client.get(url)
    response = client.get(url)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    wait = int(response["Retry-After"])
    assert body["detail"] == f"Quá nhiều yêu cầu. Vui lòng thử lại sau {wait} giây."
    client.cookies.load(ENGLISH_COOKIE)
    detail = client.get(url).json()["detail"]
    assert re.fullmatch(r"Too many requests\. Please try again in \d+ seconds?\.", detail)
    cache.clear()


def test_dates_in_the_form_data_read_dd_mm_yyyy_on_the_workbench(officer_client, dossier):
    procedure = dossier.procedure
    procedure.form_fields = [
        *procedure.form_fields,
        {"name": "wedding_date", "label_vi": "Ngày kết hôn", "label_en": "Wedding date", "type": "date"},
    ]
    procedure.save()
    Dossier.objects.filter(pk=dossier.pk).update(form_data={**dossier.form_data, "wedding_date": "2026-02-14"})
    text = visible_text(officer_client.get(reverse("workbench-dossier", args=[dossier.code])))
    assert "Ngày kết hôn 14/02/2026" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)


@pytest.mark.parametrize(
    ("days", "english", "vietnamese"),
    [(1, "1 working day", "1 ngày làm việc"), (3, "3 working days", "3 ngày làm việc")],
)
def test_the_time_limit_on_the_filing_page_has_the_right_plural(procedure, citizen, days, english, vietnamese):
    procedure.time_limit_value = days
    procedure.save()
    client = client_for(citizen, eid_level=2)
    url = reverse("dossier-start", args=[procedure.code])
    assert f"{vietnamese}" in visible_text(client.get(url))
    client.cookies.load(ENGLISH_COOKIE)
    text = visible_text(client.get(url))
    assert f" {english} " in text and "1 working days" not in text


def test_a_paused_clock_counts_hours_with_the_right_plural(officer_client, dossier, people):
    from procedures import services

    services.dossier_transition(dossier=dossier, action="receive", actor=people["officer.benthanh"])
    Dossier.objects.filter(pk=dossier.pk).update(
        status="supplement_requested", paused_at=dossier.submitted_at, remaining_hours=1
    )
    url = reverse("workbench-dossier", args=[dossier.code])
    assert "(tạm dừng tính thời hạn, còn 1 giờ làm việc)" in visible_text(officer_client.get(url))
    officer_client.cookies.load(ENGLISH_COOKIE)
    assert "(clock paused, 1 working hour left)" in visible_text(officer_client.get(url))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_admin_writes_dates_dd_mm_yyyy_and_24_hour_times(dossier, people, language):
    from django.utils import timezone

    operator = people["operator"]
    client = client_for(operator)
    client.cookies.load({"govportal_language": language})
    text = visible_text(client.get("/admin/procedures/dossier/"))
    submitted = timezone.localtime(dossier.submitted_at)
    assert f"{submitted:%d/%m/%Y %H:%M}" in text
    assert not re.search(r"\b\d{1,2}:\d{2} ?[ap]\.m\.", text)


def test_the_api_refuses_an_anonymous_caller_in_vietnamese(client, units):
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "Chưa cung cấp thông tin xác thực."}

"""A unit's dashboard: its head and the city open it, nobody else; its lines, rank, live parts, late lists, CSV.

The small city of test_city_dashboard.py: Bến Thành (26743) has a dossier
decided on time, one open past its due date and a report answered on time.
"""

import csv
import io
import re

import pytest
from django.urls import reverse

from govportal.dashboard import selectors
from govportal.tiers.models import Unit
from govportal.tiers.services import posting_ensure
from tests.dashboard.test_city_dashboard import MARCH, MARCH_QUERY, attrs, build_city
from tests.procedures.conftest import client_for

pytestmark = pytest.mark.django_db

UNIT = "/dashboard/unit/26743/"
OTHER = "/dashboard/unit/26740/"


@pytest.fixture
def city(people, procedure):
    return build_city(people, procedure)


# --- who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "own", "other"),
    [
        ("admin.city", 200, 200),
        ("operator", 200, 200),
        ("head.benthanh", 200, 403),
        ("officer.benthanh", 403, 403),
        ("079085001234", 403, 403),
    ],
)
def test_the_head_opens_their_unit_and_the_city_every_unit(people, username, own, other):
    client = client_for(people[username])
    for suffix in ("", "late/?kind=dossiers", "late/?kind=reports", "export.csv"):
        assert client.get(UNIT + suffix).status_code == own, suffix
        assert client.get(OTHER + suffix).status_code == other, suffix


def test_a_head_is_refused_the_city_dashboard(people):
    assert client_for(people["head.benthanh"]).get("/dashboard/city/").status_code == 403


def test_an_unknown_unit_is_404_and_an_anonymous_visitor_goes_to_the_login(client, people):
    assert client_for(people["admin.city"]).get("/dashboard/unit/99999/").status_code == 404
    for url in (UNIT, UNIT + "late/", UNIT + "export.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


def test_the_menu_links_each_unit_a_head_heads(people):
    head = people["head.benthanh"]
    html = client_for(head).get("/").content.decode()
    assert f'href="{UNIT}"' in html and f'href="{OTHER}"' not in html
    posting_ensure(user=head, unit=Unit.objects.get(code="26740"), role="head")
    html = client_for(head).get("/").content.decode()
    assert f'href="{UNIT}"' in html and f'href="{OTHER}"' in html
    assert client_for(head).get(OTHER).status_code == 200
    # Officers and citizens get no dashboard link.
    assert "/dashboard/" not in client_for(people["officer.benthanh"]).get("/").content.decode()


# --- the numbers ------------------------------------------------------------------------------


def test_the_indicator_lines_rank_and_status_equal_the_selectors(city, people):
    response = client_for(people["head.benthanh"]).get(UNIT, MARCH_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    board = selectors.scoreboard(MARCH)
    own = next(row for row in board if row.unit.code == "26743")
    for line in own.score.lines:
        cells = attrs(html, f"line-{line.indicator.key}")
        assert int(cells["data-numerator"]) == line.numerator
        assert int(cells["data-denominator"]) == line.denominator
        assert cells["data-ratio"] == ("" if line.ratio is None else str(line.ratio))
    assert attrs(html, "line-on_time")["data-ratio"] == "0.5"
    assert attrs(html, "unit-total")["data-value"] == str(own.score.total)
    assert attrs(html, "unit-green")["data-green"] == ("true" if own.score.green else "false")
    assert attrs(html, "unit-rank")["data-rank"] == str(own.rank)
    # One late dossier (open past due); no late report.
    assert re.search(r'id="late-dossiers-link"[^>]*>1 [^<0-9]+<', html)
    assert re.search(r'id="late-reports-link"[^>]*>0 [^<0-9]+<', html)


def test_the_unit_charts_cover_only_the_unit(city, people):
    html = client_for(people["head.benthanh"]).get(UNIT, {**MARCH_QUERY, "every": "week"}).content.decode()
    for chart_id in ("unit-trend-on-time", "unit-trend-volume", "unit-by-field"):
        assert re.search(rf'<svg [^>]*id="{chart_id}"[^>]*role="img"', html), chart_id
    assert 'data-start="2026-03-02" data-dossiers="2"' in html  # of the city's 4, Bến Thành's 2
    assert 'data-field="civil_status" data-total="2"' in html


def test_what_falls_due_next_and_each_officers_load_are_shown(city, people, procedure):
    from datetime import timedelta

    from django.utils import timezone

    from procedures.models import Dossier

    soon = city["late"]
    Dossier.objects.filter(pk=soon.pk).update(
        due_at=timezone.now() + timedelta(days=2), assigned_to=people["officer.benthanh"]
    )
    html = client_for(people["head.benthanh"]).get(UNIT).content.decode()
    due = html.split('id="due-dossiers"', 1)[1].split("</table>", 1)[0]
    assert f'href="{reverse("workbench-dossier", args=[soon.code])}"' in due
    row = re.search(r'<tr data-username="officer.benthanh"[^>]*>', html).group(0)
    assert 'data-dossiers="1"' in row and 'data-late="0"' in row
    assert re.search(r'<tr data-username="head.benthanh"[^>]*data-dossiers="0"', html)


# --- the late lists ---------------------------------------------------------------------------


def test_the_late_dossiers_list_links_each_to_its_staff_page(city, people):
    client = client_for(people["head.benthanh"])
    response = client.get(UNIT + "late/", {"kind": "dossiers", **MARCH_QUERY})
    assert response.status_code == 200
    html = response.content.decode()
    assert attrs(html, "late-count")["data-count"] == "1"
    late = city["late"]
    link = reverse("workbench-dossier", args=[late.code])
    assert f'href="{link}"' in html
    assert city["on_time"].code not in html
    assert client.get(link).status_code == 200  # the page exists for the head


def test_the_late_reports_list_is_empty_when_every_report_was_on_time(city, people):
    html = client_for(people["admin.city"]).get(UNIT + "late/", {"kind": "reports", **MARCH_QUERY}).content.decode()
    assert attrs(html, "late-count")["data-count"] == "0"
    assert 'id="late-none"' in html


def test_a_late_report_is_listed_with_a_link_to_its_staff_page(city, people):
    from django.utils import timezone

    from feedback.models import Report

    report = city["report"]
    # Reopened and past its legal date: late.
    Report.objects.filter(pk=report.pk).update(
        answered_at=None,
        decided_at=None,
        closed_at=None,
        status="in_progress",
        due_at=timezone.now().replace(year=2026, month=3, day=10),
    )
    html = client_for(people["head.benthanh"]).get(UNIT + "late/", {"kind": "reports", **MARCH_QUERY}).content.decode()
    assert attrs(html, "late-count")["data-count"] == "1"
    assert f'href="{reverse("workbench-report", args=[report.code])}"' in html


def test_the_late_list_is_paginated_with_the_shared_partial(city, people, monkeypatch):
    from govportal.dashboard import views

    monkeypatch.setattr(views, "LATE_PAGE_SIZE", 1)
    from procedures.models import Dossier

    # Make the Sài Gòn dossier handled on time late too, at Bến Thành, so two are listed.
    Dossier.objects.filter(pk=city["saigon_done"].pk).update(
        handling_unit=city["benthanh"], decided_at=city["saigon_done"].due_at.replace(year=2027)
    )
    html = client_for(people["head.benthanh"]).get(UNIT + "late/", {"kind": "dossiers", **MARCH_QUERY}).content.decode()
    assert attrs(html, "late-count")["data-count"] == "2"
    assert 'class="pagination"' in html and 'rel="next"' in html
    assert "from=01%2F03%2F2026" in html or "from=01/03/2026" in html  # the period is kept


# --- the CSV ---------------------------------------------------------------------------------


def test_the_unit_csv_has_its_lines_and_its_weeks(city, people):
    response = client_for(people["head.benthanh"]).get(UNIT + "export.csv", MARCH_QUERY)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="govportal-unit-26743-2026-03-01-2026-03-31.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["indicator", "label", "numerator", "denominator", "ratio"]
    lines = {row[0]: row for row in rows[1:11] if row}
    assert lines["on_time"][2:5] == ["1", "2", "0.5000"]
    blank = rows.index([])
    assert rows[blank + 1][0] == "week_from"
    weeks = rows[blank + 2 :]
    assert [week[0] for week in weeks] == ["2026-03-02"]
    header = rows[blank + 1]
    assert weeks[0][header.index("dossier_total")] == "2"

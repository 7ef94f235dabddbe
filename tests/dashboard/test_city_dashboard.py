"""The city dashboard: who may open it, its numbers equal the selectors', the period form, sorting, the CSV.

A small city is built through the services (as tests/dashboard/test_indicators.py
does) in March 2026: Bến Thành (26743) has one dossier decided on time and one
open past its due date, and a report answered on time; Sài Gòn (26740) has one
dossier decided on time and one never received. `stats_refresh` then counts it.
"""

import csv
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from feedback.models import Category, Report
from govportal.dashboard import scoring, selectors
from govportal.dashboard.aggregates import stats_refresh
from govportal.dashboard.csv_export import city_header
from govportal.tiers.models import Unit
from procedures import services
from procedures.models import Dossier
from tests.procedures.conftest import client_for, pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=TZ)
MARCH = selectors.Period(date(2026, 3, 1), date(2026, 3, 31))
MARCH_QUERY = {"from": "01/03/2026", "to": "31/03/2026"}
CITY = "/dashboard/city/"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def act(dossier, action, actor, instant, **inputs):
    return services.dossier_transition(
        dossier=Dossier.objects.get(pk=dossier.pk), action=action, actor=actor, now=instant, **inputs
    )


def filed(procedure, citizen, *, unit_code="26743", day=2):
    dossier = submitted_dossier(procedure, citizen, unit_code=unit_code)
    Dossier.objects.filter(pk=dossier.pk).update(submitted_at=at(2026, 3, day, 8, 0))
    return Dossier.objects.get(pk=dossier.pk)


def decided_on_time(procedure, citizen, officer, *, unit_code):
    dossier = act(filed(procedure, citizen, unit_code=unit_code), "receive", officer, at(2026, 3, 2, 9, 0))
    dossier = act(dossier, "start_processing", officer, at(2026, 3, 2, 10, 0))
    return act(dossier, "decide", officer, at(2026, 3, 3, 10, 0), result_upload=pdf_upload("ket-qua.pdf"))


def answered_report(people, unit):
    from feedback import services as report_services
    from feedback.case_kind import report_kind
    from feedback.services import categories_load
    from govportal.cases import routing

    categories_load()
    category = Category.objects.filter(tier="commune", is_active=True).order_by("code").first()
    citizen, officer = people["079085001234"], people["officer.benthanh"]
    report = report_services.report_create(
        category=category,
        text="Đèn đường hỏng trước nhà số 12",
        unit=unit,
        address="12 Lê Lợi",
        reporter=citizen,
        now=at(2026, 3, 2, 8, 0),
    )
    routing.route(report_kind(), case_id=report.pk, now=at(2026, 3, 2, 8, 5))
    report = Report.objects.get(pk=report.pk)
    return report_services.report_transition(
        report=report, action="answer", actor=officer, now=at(2026, 3, 2, 10, 0), note="Đã thay bóng đèn"
    )


def build_city(people, procedure) -> dict:
    """The small city of the module docstring, counted at NOW."""
    citizen = people["079085001234"]
    benthanh, saigon = Unit.objects.get(code="26743"), Unit.objects.get(code="26740")
    on_time = decided_on_time(procedure, citizen, people["officer.benthanh"], unit_code="26743")
    late = act(filed(procedure, citizen), "receive", people["officer.benthanh"], at(2026, 3, 2, 9, 0))
    saigon_done = decided_on_time(procedure, citizen, people["officer.saigon"], unit_code="26740")
    never_received = filed(procedure, citizen, unit_code="26740")
    report = answered_report(people, benthanh)
    stats_refresh(now=NOW)
    return {
        "benthanh": benthanh,
        "saigon": saigon,
        "on_time": on_time,
        "late": late,
        "saigon_done": saigon_done,
        "never_received": never_received,
        "report": report,
    }


@pytest.fixture
def city(people, procedure):
    return build_city(people, procedure)


def attrs(html: str, element_id: str) -> dict:
    """The attributes of the element with this id (data-* and the rest)."""
    match = re.search(rf'<[a-z]+ [^>]*id="{re.escape(element_id)}"[^>]*>', html)
    assert match, element_id
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', match.group(0)))


def row_ids(html: str) -> list[str]:
    body = html.split('id="units-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr id="unit-([^"]+)"', body)


# --- who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [("admin.city", 200), ("operator", 200), ("head.benthanh", 403), ("officer.benthanh", 403), ("079085001234", 403)],
)
def test_only_city_admins_open_the_city_dashboard_and_its_csv(people, username, expected):
    client = client_for(people[username])
    assert client.get(CITY).status_code == expected
    assert client.get(reverse("dashboard-city-csv")).status_code == expected


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, units):
    for url in (CITY, reverse("dashboard-city-csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response.url and "next=" in response.url


def test_the_menu_offers_the_city_dashboard_to_city_admins_only(people):
    assert 'href="/dashboard/city/"' in client_for(people["admin.city"]).get("/").content.decode()
    assert 'href="/dashboard/city/"' not in client_for(people["head.benthanh"]).get("/").content.decode()
    assert 'href="/dashboard/city/"' not in client_for(people["officer.benthanh"]).get("/").content.decode()


# --- the numbers -----------------------------------------------------------------------------


def test_the_units_table_and_the_totals_equal_the_selectors(city, people):
    response = client_for(people["admin.city"]).get(CITY, MARCH_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    board = selectors.scoreboard(MARCH)
    scored = [row for row in board if row.score.total is not None]
    assert {row.unit.code for row in scored} == {"26743", "26740"}
    for row in board:
        cells = attrs(html, f"unit-{row.unit.code}")
        assert cells["data-rank"] == (str(row.rank) if row.rank else "")
        assert int(cells["data-dossiers"]) == scoring.counter(row.counts, "dossier.total")
        assert cells["data-score"] == ("" if row.score.total is None else str(row.score.total))
        assert cells["data-green"] == ("true" if row.score.green else "false")
    # Every listed unit is in the table, once.
    assert sorted(row_ids(html)) == sorted(row.unit.code for row in board)
    # Known by hand: Bến Thành 1 of 2 dossiers on time (one open past due), Sài Gòn 1 of 1.
    benthanh = next(row for row in board if row.unit.code == "26743")
    assert benthanh.score.line("on_time").numerator == 1 and benthanh.score.line("on_time").denominator == 2
    assert re.search(r'data-key="on_time" data-ratio="0.5">50[,.]0 %', html)
    counts = selectors.city_counts(MARCH)
    assert counts["dossier"]["total"] == 4
    assert attrs(html, "total-dossiers")["data-value"] == "4"
    assert attrs(html, "total-reports")["data-value"] == str(counts["report"]["total"]) == "1"
    city_score = scoring.score(counts)
    assert float(attrs(html, "total-on_time")["data-ratio"]) == pytest.approx(city_score.line("on_time").ratio)
    assert city_score.line("on_time").ratio == pytest.approx(2 / 3)
    green = attrs(html, "total-green")
    assert int(green["data-green"]) == selectors.units_green(board)
    assert int(green["data-listed"]) == len(board)
    assert 'id="counted-until"' in html and "20/03/2026 12:00" in html


def test_each_unit_links_to_its_dashboard_with_the_same_period(city, people):
    html = client_for(people["admin.city"]).get(CITY, MARCH_QUERY).content.decode()
    assert 'href="/dashboard/unit/26743/?from=2026-03-01&amp;to=2026-03-31"' in html


def test_the_charts_are_svg_with_a_name_and_a_table_of_the_same_numbers(city, people):
    html = client_for(people["admin.city"]).get(CITY, {**MARCH_QUERY, "every": "week"}).content.decode()
    for chart_id in ("city-scores", "city-trend-on-time", "city-trend-volume", "city-by-field"):
        svg = re.search(rf'<svg [^>]*id="{chart_id}"[^>]*>', html)
        assert svg, chart_id
        assert 'role="img"' in svg.group(0)
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg.group(0)
        assert f'<title id="{chart_id}-title">' in html and f'<desc id="{chart_id}-desc">' in html
    scores = html.split('id="city-scores"', 1)[1].split("</svg>", 1)[0]
    assert scores.count('class="bar ') == 2  # the two units with a score
    # March 2026 touches 6 weeks (from Monday 23/02 to Monday 30/03): one point each on the volume chart.
    volume = html.split('id="city-trend-volume"', 1)[1].split("</svg>", 1)[0]
    assert volume.count('class="point"') == 2 * 6  # dossiers and reports
    assert 'data-start="2026-03-02" data-dossiers="4"' in html
    assert html.count('<details class="chart-table"') == 3
    fields = html.split('id="city-fields-table"', 1)[1]
    assert 'data-field="civil_status" data-total="4"' in fields


def test_the_trend_by_month_has_one_point_per_month(city, people):
    query = {"from": "01/01/2026", "to": "31/03/2026", "every": "month"}
    html = client_for(people["admin.city"]).get(CITY, query).content.decode()
    volume = html.split('id="city-trend-volume"', 1)[1].split("</svg>", 1)[0]
    assert volume.count('class="point"') == 2 * 3
    assert 'data-start="2026-03-01" data-dossiers="4"' in html


# --- the period form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"from": "abc"},
        {"from": "31/02/2026"},
        {"from": "10/03/2026", "to": "01/03/2026"},  # the end before the start
        {"from": "01/01/2020", "to": "31/03/2026"},  # longer than three years
        {"from": "01/01/0001", "to": "31/12/9999"},
        {"every": "day"},
    ],
)
def test_a_bad_period_is_an_error_on_the_page_and_the_default_period_is_used(people, units, query):
    response = client_for(people["admin.city"]).get(CITY, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="period-errors"' in html and 'aria-invalid="true"' in html
    assert response.context["period"] == selectors.default_period()


def test_the_period_reads_dd_mm_yyyy_and_iso_dates(people, units):
    client = client_for(people["admin.city"])
    for query in (MARCH_QUERY, {"from": "2026-03-01", "to": "2026-03-31"}):
        response = client.get(CITY, query)
        assert response.context["period"] == MARCH
        assert 'id="period-errors"' not in response.content.decode()
        assert 'value="01/03/2026"' in response.content.decode()


def test_without_a_period_the_year_so_far_is_shown(people, units):
    response = client_for(people["admin.city"]).get(CITY)
    assert response.context["period"] == selectors.default_period()
    assert 'id="period-errors"' not in response.content.decode()


# --- sorting ------------------------------------------------------------------------------


def test_the_table_sorts_by_the_sort_parameter_with_aria_sort(city, people):
    client = client_for(people["admin.city"])
    html = client.get(CITY, {**MARCH_QUERY, "sort": "-on_time"}).content.decode()
    assert row_ids(html)[:2] == ["26740", "26743"]  # 100 % before 50 %, units without dossiers last
    assert re.search(r'<th scope="col" class="num" aria-sort="descending"><a href="[^"]*sort=on_time', html)
    html = client.get(CITY, {**MARCH_QUERY, "sort": "on_time"}).content.decode()
    assert row_ids(html)[:2] == ["26743", "26740"]
    assert 'aria-sort="ascending"' in html
    # By name: the table follows the folded Vietnamese names.
    html = client.get(CITY, {**MARCH_QUERY, "sort": "unit"}).content.decode()
    names = dict(Unit.objects.values_list("code", "name"))
    from govportal.tiers.unit_data import fold

    ids = row_ids(html)
    assert [fold(names[code]) for code in ids] == sorted(fold(names[code]) for code in ids)
    # Anything else: by rank.
    html = client.get(CITY, {**MARCH_QUERY, "sort": "password"}).content.decode()
    assert row_ids(html)[:2] == [row.unit.code for row in selectors.scoreboard(MARCH)[:2]]
    assert attrs(html, "units-table")["data-sort"] == "rank"


def test_sorting_by_dossiers_puts_the_busiest_first(city, people):
    Dossier.objects.filter(pk=city["never_received"].pk).update(submitted_at=at(2026, 3, 4, 8, 0))
    html = client_for(people["admin.city"]).get(CITY, {**MARCH_QUERY, "sort": "-dossiers"}).content.decode()
    first_two = row_ids(html)[:2]
    assert set(first_two) == {"26743", "26740"}


# --- the CSV ------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_unit_with_every_counter_ratio_and_score(city, people):
    response = client_for(people["admin.city"]).get(reverse("dashboard-city-csv"), MARCH_QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="govportal-units-2026-03-01-2026-03-31.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    board = selectors.scoreboard(MARCH)
    assert len(rows) == len(board)
    assert list(rows[0].keys()) == city_header()
    benthanh = next(row for row in rows if row["code"] == "26743")
    assert benthanh["name"] == "Phường Bến Thành"
    assert benthanh["dossier_total"] == "2" and benthanh["dossier_evaluated"] == "2"
    assert benthanh["dossier_on_time"] == "1" and benthanh["dossier_late_open"] == "1"
    assert benthanh["on_time_ratio"] == "0.5000"
    assert benthanh["report_total"] == "1"
    expected = next(row for row in board if row.unit.code == "26743")
    assert float(benthanh["score"]) == pytest.approx(expected.score.total)
    assert benthanh["green"] == ("yes" if expected.score.green else "no")
    assert benthanh["rank"] == str(expected.rank)
    # A unit with nothing in the period: zeros, empty ratios, no score, not green.
    quiet = next(row for row in rows if row["code"] == "26704")
    assert quiet["dossier_total"] == "0" and quiet["on_time_ratio"] == "" and quiet["score"] == ""
    assert quiet["green"] == "no"


def test_the_csv_of_a_bad_period_is_the_default_periods(people, units):
    response = client_for(people["admin.city"]).get(reverse("dashboard-city-csv"), {"from": "nonsense"})
    period = selectors.default_period()
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert f"govportal-units-{period.day_from.isoformat()}-{period.day_to.isoformat()}.csv" in disposition


# --- the charts helper ----------------------------------------------------------------------


def test_a_bar_chart_escapes_its_text_and_marks_the_second_state_with_a_pattern():
    from govportal.dashboard import charts

    svg = charts.bar_chart(
        [charts.Bar("<script>x</script>", 80, "80 ✓", state="good"), charts.Bar("B & C", 40, "40 ✗", state="bad")],
        chart_id="t",
        title="Score <by> unit",
        desc="Two units",
        maximum=100,
        legend=[("good", "green"), ("bad", "not green")],
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "B &amp; C" in svg
    assert 'role="img"' in svg and 'aria-labelledby="t-title t-desc"' in svg
    assert '<title id="t-title">Score &lt;by&gt; unit</title>' in svg
    assert svg.count('class="bar ') == 2
    assert 'fill="url(#t-hatch)"' in svg  # the "bad" bar is hatched, not only red
    assert ">80 ✓</text>" in svg and ">40 ✗</text>" in svg  # numbers as text
    # The scale is the maximum: 80 of 100 is 80 % of the bar's room.
    widths = [float(w) for w in re.findall(r'class="bar [^"]*" x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_a_line_chart_has_a_point_per_value_and_skips_gaps():
    from govportal.dashboard import charts

    svg = charts.line_chart(
        ["01/03", "08/03", "15/03"],
        [
            charts.Series("On time", [50.0, None, 75.0], ["50 %", "–", "75 %"]),
            charts.Series("Filed", [4, 0, 2], ["4", "0", "2"], dashed=True),
        ],
        chart_id="l",
        title="Over time",
        desc="Three weeks",
    )
    on_time = svg.split('data-series="On time"', 1)[1].split("</g>", 1)[0]
    filed = svg.split('data-series="Filed"', 1)[1].split("</g>", 1)[0]
    assert on_time.count('class="point"') == 2 and "<polyline" not in on_time  # a gap breaks the line
    assert filed.count('class="point"') == 3 and 'stroke-dasharray="6 4"' in filed
    assert "<circle" in on_time and "<rect" in filed  # markers differ by shape too
    assert ">75 %</text>" in svg

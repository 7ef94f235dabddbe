"""The public scorecard /scorecard/: no login, no personal data, the scoreboard's order, periods, sorting, cache.

Figures are either built through the services and counted by `stats_refresh`
(the personal-data test: the page must not show who filed or handled a case),
or written straight into the per-day aggregates (ranking, sorting and periods:
the scorecard reads nothing else).
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from govportal.dashboard import selectors, views_public
from govportal.dashboard.aggregates import roll_up_months, stats_refresh
from govportal.dashboard.models import CountedUntil, DossierUnitDay, ReportUnitDay
from govportal.tiers.models import Unit
from procedures import services
from procedures.models import Dossier
from tests.procedures.conftest import submitted_dossier

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Q1_2026 = selectors.Period(date(2026, 1, 1), date(2026, 3, 31))
Q1_QUERY = "year=2026&quarter=1"


@pytest.fixture(autouse=True)
def fresh_cache():
    """The scorecard caches its data: every test starts without it."""
    cache.clear()
    yield
    cache.clear()


def counted(at: datetime | None = None) -> None:
    """Mark the aggregates as counted (the page's "figures as of"), as a refresh does."""
    at = at or datetime(2026, 4, 1, 8, 0, tzinfo=TZ)
    for kind in ("dossier", "report"):
        CountedUntil.objects.update_or_create(kind=kind, defaults={"at": at})


def day_of(code: str, day: date, **counters) -> None:
    DossierUnitDay.objects.create(unit=Unit.objects.get(code=code), day=day, **counters)


@pytest.fixture
def figures(units):
    """Four units with dossier figures in the first quarter of 2026 (and one in April, outside it).

    Bến Thành (26743) and Sài Gòn (26740): every applicable indicator at 100%: green, total 100 (ranked by name).
    Tân Định (26737): 8 of 10 on time and 5 of 10 online: not green.
    Sở Tư pháp: 19 of 20 on time (95%, just the target), 16 of 20 online (80%, just the target): green.
    """
    day_of("26743", date(2026, 2, 10), total=10, online=10, evaluated=10, on_time=10)
    day_of("26740", date(2026, 3, 31), total=4, online=4, evaluated=4, on_time=4)
    day_of("26737", date(2026, 1, 1), total=10, online=5, evaluated=10, on_time=8)
    day_of("so-tu-phap", date(2026, 3, 2), total=20, online=16, evaluated=20, on_time=19)
    day_of("26737", date(2026, 4, 1), total=50, online=50, evaluated=50, on_time=50)  # not in Q1
    ReportUnitDay.objects.create(
        unit=Unit.objects.get(code="26737"), day=date(2026, 3, 5), total=3, evaluated=3, on_time=1, answered=3
    )
    roll_up_months()
    counted()


def table_codes(html: str) -> list[str]:
    return re.findall(r'<tr id="unit-([^"]+)"', html)


def row_html(html: str, code: str) -> str:
    match = re.search(rf'<tr id="unit-{re.escape(code)}".*?</tr>', html, re.S)
    assert match, code
    return match.group(0)


# --- no login, no personal data ------------------------------------------------------------------


def test_scorecard_opens_without_login_and_shows_no_personal_data(client, procedure, citizen, people):
    officer, head = people["officer.benthanh"], people["head.benthanh"]
    dossier = submitted_dossier(procedure, citizen)
    services.dossier_transition(dossier=Dossier.objects.get(pk=dossier.pk), action="receive", actor=officer)
    stats_refresh()

    listing = client.get("/scorecard/")
    detail = client.get("/scorecard/26743/")
    assert listing.status_code == 200 and detail.status_code == 200
    html = listing.content.decode() + detail.content.decode()
    # The dossier is counted: Bến Thành has a score now, and the detail page its lines.
    assert re.search(r'data-total="[0-9]', row_html(listing.content.decode(), "26743"))
    assert 'data-indicator="online_filing"' in detail.content.decode()
    for secret in (
        dossier.code,
        citizen.full_name,
        citizen.personal_id,
        citizen.username,
        officer.full_name,
        officer.username,
        head.full_name,
        "Phạm Thị Hoa",  # a name typed in the form
    ):
        assert secret not in html, secret


def test_no_login_needed_for_the_unit_page_and_unknown_units_are_404(client, figures):
    assert client.get(f"/scorecard/26743/?{Q1_QUERY}").status_code == 200
    assert client.get("/scorecard/00000/").status_code == 404
    # The city itself is not a listed unit and has handled nothing: not on the scorecard.
    assert client.get("/scorecard/79/").status_code == 404


def test_the_public_nav_links_to_the_scorecard(client, units):
    assert 'href="/scorecard/"' in client.get("/").content.decode()


# --- the ranking and the units green -------------------------------------------------------------


def test_ranking_order_and_green_count_match_the_scoreboard(client, figures):
    rows = selectors.scoreboard(Q1_2026)
    response = client.get(f"/scorecard/?{Q1_QUERY}")
    html = response.content.decode()

    assert table_codes(html) == [row.unit.code for row in rows]
    green = selectors.units_green(rows)
    assert green == 3
    assert f'data-green="{green}" data-listed="{len(rows)}"' in html
    summary = html.split('id="scorecard-green"')[1].split("</p>")[0]
    assert re.findall(r"\d+", re.sub(r"<[^>]+>", " ", summary))[:2] == [str(green), str(len(rows))]
    # Ranks, totals and the green mark per unit, as the scoreboard has them.
    for row in rows[:4]:
        tr = row_html(html, row.unit.code)
        assert f'data-rank="{row.rank}"' in tr
        assert f'data-total="{row.score.total}"' in tr
        assert f'data-green="{1 if row.score.green else 0}"' in tr
    assert [row.unit.code for row in rows[:4]] == ["26743", "26740", "so-tu-phap", "26737"]
    # The first two have full marks (Bến Thành before Sài Gòn by name); Tân Định is last of the scored.
    assert [row.rank for row in rows[:4]] == [1, 2, 3, 4]
    assert rows[4].rank is None


def test_indicator_percentages_and_definitions_are_shown(client, figures):
    html = client.get(f"/scorecard/?{Q1_QUERY}").content.decode()
    tr = row_html(html, "26737")
    on_time = re.search(r'data-indicator="on_time">([^<]*)<', tr).group(1)
    online = re.search(r'data-indicator="online_filing">([^<]*)<', tr).group(1)
    assert on_time.strip() in ("80,0", "80.0")
    assert online.strip() in ("50,0", "50.0")
    for key in ("on_time", "online_filing", "online_payment", "digitisation", "report_on_time"):
        assert f'id="indicator-{key}"' in html
    assert "766/QĐ-TTg" in html  # the source note
    assert 'id="scorecard-as-of"' in html and "01/04/2026" in html


# --- sorting and the name filter ---------------------------------------------------------------------


def test_sorting_is_server_side_with_aria_sort(client, figures):
    html = client.get(f"/scorecard/?{Q1_QUERY}&sort=on_time").content.decode()
    codes = table_codes(html)
    # Ascending on-time rate: Tân Định (80%), Sở Tư pháp (95%), then the two at 100% by name; the rest after.
    assert codes[:4] == ["26737", "so-tu-phap", "26743", "26740"]
    assert re.search(r'<th scope="col" aria-sort="ascending" data-sort="on_time"[ >]', html)
    assert html.count("aria-sort=") == 1

    html = client.get(f"/scorecard/?{Q1_QUERY}&sort=-on_time").content.decode()
    assert table_codes(html)[:4] == ["26743", "26740", "so-tu-phap", "26737"]

    # Rank descending: the last ranked first, the unranked still after them.
    codes = table_codes(client.get(f"/scorecard/?{Q1_QUERY}&sort=-rank").content.decode())
    assert codes[:4] == ["26737", "so-tu-phap", "26740", "26743"] and len(codes) > 4
    assert 'aria-sort="descending" data-sort="on_time"' in html

    html = client.get(f"/scorecard/?{Q1_QUERY}&sort=-unit").content.decode()
    names = [
        views_public.fold(name) for name in re.findall(r'<th scope="row"><a [^>]*><span lang="vi">([^<]+)</span>', html)
    ]
    assert names == sorted(names, reverse=True)

    # An unknown sort falls back to the ranking.
    html = client.get(f"/scorecard/?{Q1_QUERY}&sort=nonsense").content.decode()
    assert table_codes(html) == [row.unit.code for row in selectors.scoreboard(Q1_2026)]
    assert 'aria-sort="ascending" data-sort="rank"' in html


def test_the_name_filter_ignores_diacritics(client, figures):
    for query in ("ben thanh", "BẾN THÀNH", "Bến"):
        codes = table_codes(client.get(f"/scorecard/?{Q1_QUERY}", {"q": query}).content.decode())
        assert "26743" in codes, query
        assert "26740" not in codes, query
    html = client.get(f"/scorecard/?{Q1_QUERY}", {"q": "no such ward"}).content.decode()
    assert table_codes(html) == [] and 'id="scorecard-empty"' in html
    # The green count stays the city's, whatever the filter.
    assert f'data-green="3" data-listed="{len(selectors.scoreboard(Q1_2026))}"' in html


# --- periods --------------------------------------------------------------------------------------------


def test_period_choice_understands_years_and_quarters():
    today = date(2026, 11, 30)
    assert views_public.period_choice({}, today=today).period == selectors.Period(date(2026, 1, 1), today)
    assert views_public.period_choice({"year": "2025"}, today=today).period == selectors.Period(
        date(2025, 1, 1), date(2025, 12, 31)
    )
    assert views_public.period_choice({"year": "2026", "quarter": "1"}, today=today).period == Q1_2026
    # The current quarter runs to today; a quarter alone means this year's.
    assert views_public.period_choice({"quarter": "4"}, today=today).period == selectors.Period(
        date(2026, 10, 1), today
    )
    assert views_public.period_choice({"year": "2025", "quarter": "4"}, today=today).period == selectors.Period(
        date(2025, 10, 1), date(2025, 12, 31)
    )


@pytest.mark.parametrize(
    "params",
    [
        {"year": "abc"},
        {"year": "2024"},  # before the two-tier units existed
        {"year": "2027"},  # the future
        {"year": "2026", "quarter": "5"},
        {"year": "2026", "quarter": "x"},
        {"year": "99999999999999999999"},
    ],
)
def test_bad_periods_fall_back_to_the_year_so_far_with_a_message(params):
    today = date(2026, 5, 20)
    choice = views_public.period_choice(params, today=today)
    assert choice.error
    assert choice.period == selectors.Period(date(2026, 1, 1), today)
    assert choice.quarter is None


def test_a_quarter_not_begun_is_refused():
    choice = views_public.period_choice({"year": "2026", "quarter": "3"}, today=date(2026, 5, 20))
    assert choice.error and choice.period == selectors.Period(date(2026, 1, 1), date(2026, 5, 20))


def test_bad_period_on_the_page_shows_a_message_never_a_500(client, figures):
    for query in ("year=abc", "year=2026&quarter=9", "year=1900", "year=2026&quarter=-1"):
        response = client.get(f"/scorecard/?{query}")
        assert response.status_code == 200, query
        assert 'id="scorecard-period-error"' in response.content.decode(), query
        assert response.context["choice"].period == selectors.default_period()
    # A NUL character never reaches a view: every page answers it with the 400 page (govportal/api/middleware.py).
    assert client.get("/scorecard/?quarter=%00").status_code == 400
    assert client.get("/scorecard/26743/?year=abc").status_code == 200


def test_the_period_decides_what_is_counted(client, figures):
    q1 = client.get(f"/scorecard/?{Q1_QUERY}").content.decode()
    q2 = client.get("/scorecard/?year=2026&quarter=2").content.decode()
    assert 'data-green="0"' in row_html(q1, "26737")  # Q1: 80% on time
    assert 'data-green="1"' in row_html(q2, "26737")  # April: all on time
    assert 'data-rank=""' in row_html(q2, "26743")  # nothing filed at Bến Thành in Q2
    assert "01/01/2026" in q1 and "31/03/2026" in q1


# --- one unit's page ---------------------------------------------------------------------------------


def test_unit_page_shows_lines_rank_and_months(client, figures):
    response = client.get(f"/scorecard/26737/?{Q1_QUERY}")
    html = response.content.decode()
    row = next(row for row in selectors.scoreboard(Q1_2026) if row.unit.code == "26737")
    assert response.context["row"]["rank"] == row.rank == 4
    assert response.context["row"]["total"] == row.score.total
    assert 'id="scorecard-unit-rank"' in html
    on_time = re.search(r'<tr data-indicator="on_time">.*?</tr>', html, re.S).group(0)
    assert "8 / 10" in on_time and ("80,0%" in on_time or "80.0%" in on_time) and "95%" in on_time
    # The months with filings in the quarter: January (dossiers) and March (reports).
    assert re.findall(r'<tr data-month="([0-9-]+)">', html) == ["2026-01", "2026-03"]
    # The same months as an SVG chart (named, with its numbers as text), above the table.
    assert re.search(r'<svg [^>]*id="scorecard-trend-chart" role="img"', html)
    assert html.index('id="scorecard-trend-chart"') < html.index('id="scorecard-unit-trend"')
    # A unit with nothing filed in the period: no chart, a sentence.
    empty = client.get("/scorecard/26743/?year=2026&quarter=2").content.decode()
    assert 'id="scorecard-unit-no-trend"' in empty and "scorecard-trend-chart" not in empty
    assert [month["start"] for month in response.context["trend"]] == [
        bucket["start"] for bucket in selectors.trend(Q1_2026, every="month", unit_id=row.unit.pk)
    ]


# --- the cache ------------------------------------------------------------------------------------------


def test_figures_are_cached_until_the_aggregates_are_counted_again(client, figures):
    before = client.get(f"/scorecard/?{Q1_QUERY}").content.decode()
    assert 'data-green="0"' in row_html(before, "26737")
    # The aggregates change without a new "counted until": the page keeps its cached figures.
    DossierUnitDay.objects.filter(unit__code="26737").update(on_time=10, online=10)
    ReportUnitDay.objects.all().delete()
    roll_up_months()
    assert 'data-green="0"' in row_html(client.get(f"/scorecard/?{Q1_QUERY}").content.decode(), "26737")
    # A refresh moves "counted until": the key changes and the new figures show at once.
    counted(datetime(2026, 4, 1, 8, 1, tzinfo=TZ))
    after = client.get(f"/scorecard/?{Q1_QUERY}").content.decode()
    assert 'data-green="1"' in row_html(after, "26737")


def test_cache_entries_expire_after_a_minute(figures, monkeypatch):
    stored = {}
    monkeypatch.setattr(views_public.cache, "set", lambda key, value, timeout: stored.update({key: timeout}))
    views_public.scorecard_data(Q1_2026)
    ((key, timeout),) = stored.items()
    assert timeout == 60
    assert "2026-01-01" in key and "2026-03-31" in key and CountedUntil.objects.first().at.isoformat() in key


def test_default_period_is_the_year_so_far(client, units):
    response = client.get("/scorecard/")
    today = timezone.localdate()
    assert response.context["choice"].period == selectors.Period(date(today.year, 1, 1), today)
    assert response.context["choice"].error is None
    assert timedelta(0) <= today - response.context["choice"].period.day_from

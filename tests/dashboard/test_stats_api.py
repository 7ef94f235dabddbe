"""The stats API /api/v1/stats/: who reads what, the numbers equal the selectors', bad input, the schema."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from govportal.dashboard import scoring, selectors
from govportal.dashboard.aggregates import counted_until, roll_up_months
from govportal.dashboard.models import CountedUntil, DossierFieldDay, DossierUnitDay, ReportUnitDay
from govportal.tiers.models import Unit
from tests.procedures.conftest import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/stats/"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Q1 = {"from": "2026-01-01", "to": "2026-03-31"}
Q1_PERIOD = selectors.Period(date(2026, 1, 1), date(2026, 3, 31))
COUNTED_AT = datetime(2026, 4, 1, 8, 0, tzinfo=TZ)


@pytest.fixture
def figures(units):
    """Dossier and report figures of three units (and a field) in the first quarter of 2026."""

    def day(code, on, **counters):
        DossierUnitDay.objects.create(unit=Unit.objects.get(code=code), day=on, **counters)

    day("26743", date(2026, 1, 5), total=10, online=10, evaluated=10, on_time=10, decided=10, digitised=10)
    day("26743", date(2026, 2, 10), total=6, online=3, evaluated=5, on_time=4, late_open=1, fee_settled=2)
    day("26740", date(2026, 3, 2), total=4, online=4, evaluated=4, on_time=4)
    day("so-tu-phap", date(2026, 3, 30), total=20, online=2, evaluated=20, on_time=10)
    day("26743", date(2026, 4, 2), total=99, online=0, evaluated=99, on_time=0)  # outside Q1
    ReportUnitDay.objects.create(
        unit=Unit.objects.get(code="26743"), day=date(2026, 3, 5), total=3, evaluated=3, on_time=2, answered=3
    )
    # The city-wide table per field holds the same dossiers (the city's trend reads it).
    for on, counters in (
        (date(2026, 2, 10), {"total": 6, "online": 3, "evaluated": 5, "on_time": 4}),
        (date(2026, 3, 2), {"total": 4, "online": 4, "evaluated": 4, "on_time": 4}),
        (date(2026, 3, 30), {"total": 20, "online": 2, "evaluated": 20, "on_time": 10}),
    ):
        DossierFieldDay.objects.create(field="land", day=on, **counters)
    DossierFieldDay.objects.create(field="civil_status", day=date(2026, 1, 5), total=10, online=10)
    roll_up_months()
    for kind in ("dossier", "report"):
        CountedUntil.objects.create(kind=kind, at=COUNTED_AT)


@pytest.fixture
def admin(people):
    return client_for(people["admin.city"])


@pytest.fixture
def head(people):
    """The head of Bến Thành (26743)."""
    return client_for(people["head.benthanh"])


def expected_unit(row: selectors.UnitRow) -> dict:
    """What the API must say of a scoreboard row: the selectors' and scoring's numbers, unchanged."""
    return {
        "unit": {"code": row.unit.code, "name": row.unit.name, "name_en": row.unit.name_en, "kind": row.unit.kind},
        "rank": row.rank,
        "total": row.score.total,
        "green": row.score.green,
        "counts": {
            "dossier": {name: row.counts.get("dossier", {}).get(name, 0) for name in selectors.DOSSIER_COUNTERS},
            "report": {name: row.counts.get("report", {}).get(name, 0) for name in selectors.REPORT_COUNTERS},
        },
        "indicators": [
            {
                "key": line.indicator.key,
                "numerator": line.numerator,
                "denominator": line.denominator,
                "ratio": line.ratio,
                "score": line.score,
                "max": line.indicator.max,
                "target": line.indicator.target,
                "meets_target": line.meets_target,
            }
            for line in row.score.lines
        ],
    }


def counted_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the access matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["indicators/", "units/", "units/26743/", "city/"], ids=["indicators", "units", "unit", "city"]
)
def test_anonymous_callers_get_401_with_a_code(client, figures, path):
    response = client.get(API + path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "path", ["indicators/", "units/", "units/26743/", "city/"], ids=["indicators", "units", "unit", "city"]
)
@pytest.mark.parametrize("username", ["officer.benthanh", "079085001234"], ids=["officer", "citizen"])
def test_officers_and_citizens_are_refused_with_403(figures, people, username, path):
    response = client_for(people[username]).get(API + path)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_bad_token_is_401(figures):
    response = Client().get(API + "units/", HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_bearer_token_of_a_city_admin_reads_the_stats(figures, people):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=people["admin.city"])
    response = Client().get(API + "units/", Q1, HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert response.status_code == 200
    assert len(response.json()["units"]) == len(selectors.scoreboard(Q1_PERIOD))


def test_city_admin_reads_every_listed_unit_with_the_selectors_numbers(admin, figures):
    response = admin.get(API + "units/", Q1)
    assert response.status_code == 200
    body = response.json()
    rows = selectors.scoreboard(Q1_PERIOD)
    assert [item["unit"]["code"] for item in body["units"]] == [row.unit.code for row in rows]
    assert len(body["units"]) >= 168
    assert body["units"][:3] == [expected_unit(row) for row in rows[:3]]
    assert body["period"] == Q1
    assert counted_iso(body["counted_until"]) == COUNTED_AT == counted_until()
    by_code = {item["unit"]["code"]: item for item in body["units"]}
    # Bến Thành in Q1: 14 of 15 dossiers on time, 13 of 16 online, the report line from March.
    ben_thanh = by_code["26743"]
    assert ben_thanh["counts"]["dossier"]["total"] == 16
    on_time = next(item for item in ben_thanh["indicators"] if item["key"] == "on_time")
    assert (on_time["numerator"], on_time["denominator"]) == (14, 15)
    assert on_time["ratio"] == pytest.approx(14 / 15)
    assert on_time["meets_target"] is False
    assert ben_thanh["counts"]["report"]["on_time"] == 2
    # A unit without figures: listed, unranked, nothing applicable.
    empty = next(item for item in body["units"] if item["rank"] is None)
    assert empty["total"] is None and empty["green"] is False
    assert all(item["ratio"] is None for item in empty["indicators"])


def test_a_head_lists_only_their_own_unit(head, figures):
    response = head.get(API + "units/", Q1)
    assert response.status_code == 200
    units = response.json()["units"]
    assert [item["unit"]["code"] for item in units] == ["26743"]
    row = next(row for row in selectors.scoreboard(Q1_PERIOD) if row.unit.code == "26743")
    assert units[0] == expected_unit(row)  # with the city-wide rank


def test_a_head_reads_their_unit_but_not_another(head, figures):
    assert head.get(API + "units/26743/", Q1).status_code == 200
    response = head.get(API + "units/26740/", Q1)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    # Heads read the indicators too, but not the city's figures.
    assert head.get(API + "indicators/").status_code == 200
    assert head.get(API + "city/").json()["code"] == "permission_denied"


def test_unit_detail_has_the_row_and_a_trend_by_month_or_week(admin, figures):
    response = admin.get(API + "units/26743/", Q1)
    assert response.status_code == 200
    body = response.json()
    row = next(row for row in selectors.scoreboard(Q1_PERIOD) if row.unit.code == "26743")
    assert {key: body[key] for key in expected_unit(row)} == expected_unit(row)
    assert body["every"] == "month"
    months = selectors.trend(Q1_PERIOD, every="month", unit_id=row.unit.pk)
    assert [item["start"] for item in body["trend"]] == [m["start"].isoformat() for m in months]
    assert [item["start"] for item in body["trend"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert [item["total"] for item in body["trend"]] == [m["score"].total for m in months]
    assert body["trend"][0]["counts"]["dossier"]["total"] == 10
    assert body["counted_until"]

    weeks = admin.get(API + "units/26743/", {**Q1, "every": "week"}).json()
    assert weeks["every"] == "week"
    assert [item["start"] for item in weeks["trend"]] == ["2026-01-05", "2026-02-09", "2026-03-02"]


def test_unit_detail_of_an_unknown_unit_is_404(admin, figures):
    response = admin.get(API + "units/00000/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_city_totals_green_fields_and_trend_for_city_admins(admin, figures):
    response = admin.get(API + "city/", Q1)
    assert response.status_code == 200
    body = response.json()
    counts = selectors.city_counts(Q1_PERIOD)
    score = scoring.score(counts)
    rows = selectors.scoreboard(Q1_PERIOD)
    assert body["counts"] == counts
    assert body["counts"]["dossier"]["total"] == 40
    assert body["total"] == score.total and body["green"] == score.green
    assert body["units_listed"] == len(rows)
    assert body["units_green"] == selectors.units_green(rows) == 1  # Sài Gòn
    assert [item["field"] for item in body["by_field"]] == ["land", "civil_status"]
    assert body["by_field"][1]["counts"]["dossier"]["total"] == 10
    assert [item["start"] for item in body["trend"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert counted_iso(body["counted_until"]) == COUNTED_AT


def test_indicators_are_the_data_files(admin, figures):
    body = admin.get(API + "indicators/").json()
    assert [item["key"] for item in body["indicators"]] == [item.key for item in scoring.indicators()]
    first = body["indicators"][0]
    indicator = scoring.indicators()[0]
    assert first["numerator"] == indicator.numerator and first["denominator"] == indicator.denominator
    assert first["target"] == indicator.target and first["max"] == indicator.max
    assert first["label_vi"] == indicator.label_vi and first["label_en"] == indicator.label_en
    assert sum(item["max"] for item in body["indicators"]) == 100
    assert body["source"] == scoring.source_note()
    assert "counted_until" in body


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "01/02/2026"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "2023-01-01", "to": "2026-01-02"}, "to"),
        ({"from": "2024-02-29", "to": "2027-03-01"}, "to"),
    ],
    ids=["bad-month", "not-iso", "words", "to-before-from", "six-years", "just-over-3-years", "leap-day"],
)
def test_bad_periods_are_400_invalid_with_field_errors(admin, figures, params, field):
    for path in ("units/", "units/26743/", "city/"):
        response = admin.get(API + path, params)
        assert response.status_code == 400, path
        body = response.json()
        assert body["code"] == "invalid"
        assert field in body["errors"]


def test_three_years_is_the_longest_period(admin, figures):
    assert admin.get(API + "units/", {"from": "2023-01-01", "to": "2026-01-01"}).status_code == 200
    assert admin.get(API + "units/", {"from": "2024-02-29", "to": "2027-02-28"}).status_code == 200


def test_an_unknown_trend_step_is_400(admin, figures):
    response = admin.get(API + "city/", {"every": "year"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "every" in response.json()["errors"]


def test_the_period_defaults_to_the_year_so_far(admin, figures):
    from django.utils import timezone

    today = timezone.localdate()
    body = admin.get(API + "units/").json()
    assert body["period"] == {"from": date(today.year, 1, 1).isoformat(), "to": today.isoformat()}
    # Only `to`: from 1 January of that year.
    body = admin.get(API + "units/", {"to": "2026-02-28"}).json()
    assert body["period"] == {"from": "2026-01-01", "to": "2026-02-28"}


# --- the schema ---------------------------------------------------------------------------------------


def test_every_stats_operation_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/stats/indicators/",
        "/api/v1/stats/units/",
        "/api/v1/stats/units/{code}/",
        "/api/v1/stats/city/",
    ):
        assert "get" in paths[path], path
        assert "stats" in paths[path]["get"]["tags"]
        assert {"200", "401", "403"} <= set(paths[path]["get"]["responses"]), path
    parameters = {item["name"] for item in paths["/api/v1/stats/units/{code}/"]["get"]["parameters"]}
    assert {"code", "from", "to", "every"} <= parameters
    assert "counted_until" in schema["components"]["schemas"]["StatsUnitListOutput"]["properties"]

"""The city admin's read-only overview: open, overdue and due-soon dossiers per unit, and each unit's list."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from govportal.tiers.models import Unit
from procedures import selectors
from procedures.models import Dossier
from tests.procedures.conftest import client_for

pytestmark = pytest.mark.django_db

OVERVIEW = "/overview/"


def unit_url(code, show=""):
    url = reverse("city-overview-unit", args=[code])
    return f"{url}?show={show}" if show else url


def dossier_row(number, *, procedure, applicant, unit_code, routed=True, status="processing", due_in=None, **fields):
    """One dossier row at a unit (the overview only reads rows: no services needed to build them)."""
    unit = Unit.objects.get(code=unit_code)
    now = timezone.now()
    return Dossier.objects.create(
        code=f"HCM-{unit_code}-260101-{number:04d}",
        procedure=procedure,
        applicant=applicant,
        receiving_unit=unit,
        handling_unit=unit if routed else None,
        status=status,
        submitted_at=now - timedelta(days=5),
        due_at=now + due_in if due_in is not None else None,
        **fields,
    )


@pytest.fixture
def city_dossiers(procedure, citizen):
    """Ward Bến Thành: 2 overdue (one running past its due date, one paused after it), 1 due soon, 1 paused
    before its near due date (neither), 1 due later, 1 closed, 1 draft;
    ward Sài Gòn: 1 submitted and not routed yet (counted where it was received); Sở Tư pháp: 1 handled
    there after a ward received it."""
    make = dict(procedure=procedure, applicant=citizen)
    rows = {
        "past_due": dossier_row(1, unit_code="26743", due_in=-timedelta(hours=3), **make),
        "paused_late": dossier_row(
            2,
            unit_code="26743",
            status="supplement_requested",
            due_in=-timedelta(days=2),
            paused_at=timezone.now() - timedelta(days=1),
            remaining_hours=Decimal(0),
            **make,
        ),
        "paused_soon": dossier_row(
            8,
            unit_code="26743",
            status="supplement_requested",
            due_in=timedelta(days=1),
            paused_at=timezone.now() - timedelta(hours=1),
            remaining_hours=Decimal(7),
            **make,
        ),
        "due_soon": dossier_row(3, unit_code="26743", due_in=timedelta(days=1), **make),
        "later": dossier_row(4, unit_code="26743", due_in=timedelta(days=9), **make),
        "closed": dossier_row(5, unit_code="26743", due_in=-timedelta(days=3), status="result_returned", **make),
        "unrouted": dossier_row(6, unit_code="26740", routed=False, status="submitted", **make),
    }
    Dossier.objects.create(procedure=procedure, applicant=citizen, receiving_unit=Unit.objects.get(code="26743"))
    justice = dossier_row(7, unit_code="26743", due_in=timedelta(days=1), **make)
    justice.handling_unit = Unit.objects.get(code="so-tu-phap")
    justice.save()
    rows["justice"] = justice
    return rows


def counts_by_unit(response):
    return {row["unit_code"]: (row["open"], row["overdue"], row["due_soon"]) for row in response.context["rows"]}


def test_the_city_admin_sees_open_overdue_and_due_soon_counts_per_unit(people, city_dossiers):
    response = client_for(people["admin.city"]).get(OVERVIEW)
    assert response.status_code == 200
    assert counts_by_unit(response) == {
        "26743": (5, 2, 1),  # closed and draft dossiers are not counted
        "26740": (1, 0, 0),  # not routed yet: counted at the ward that received it
        "so-tu-phap": (1, 0, 1),  # counted at the handling unit, not the receiving ward
    }
    assert response.context["totals"] == {"open": 7, "overdue": 2, "due_soon": 2}
    body = response.content.decode()
    # The units with the most overdue dossiers come first, and each links to its list.
    assert [row["unit_code"] for row in response.context["rows"]][0] == "26743"
    assert 'data-open="5" data-overdue="2" data-due-soon="1"' in body
    assert f'href="{unit_url("26743", "overdue")}"' in body


def test_the_counts_come_from_one_query_whatever_the_number_of_units(people, city_dossiers, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.city_overview_by_unit()
    assert len(rows) == 3


def test_the_unit_list_shows_its_open_dossiers_or_only_the_late_ones(people, city_dossiers):
    admin = client_for(people["admin.city"])
    codes = lambda response: {d.code for d in response.context["rows"]}  # noqa: E731
    every = admin.get(unit_url("26743"))
    assert every.status_code == 200
    expected = {city_dossiers[k].code for k in ("past_due", "paused_late", "due_soon", "paused_soon", "later")}
    assert codes(every) == expected
    overdue = admin.get(unit_url("26743", "overdue"))
    assert codes(overdue) == {city_dossiers["past_due"].code, city_dossiers["paused_late"].code}
    assert overdue.content.decode().count('data-overdue="true"') == 2
    assert codes(admin.get(unit_url("26743", "due_soon"))) == {city_dossiers["due_soon"].code}
    assert codes(admin.get(unit_url("26740"))) == {city_dossiers["unrouted"].code}
    assert admin.get(unit_url("no-such-unit")).status_code == 404


def test_the_dossier_links_open_read_only_pages_for_the_city_admin(people, city_dossiers):
    admin = client_for(people["admin.city"])
    body = admin.get(unit_url("26743", "overdue")).content.decode()
    links = re.findall(r'href="(/workbench/dossiers/[^"]+/)"', body)
    assert sorted(links) == sorted(
        reverse("workbench-dossier", args=[city_dossiers[k].code]) for k in ("past_due", "paused_late")
    )
    for link in links:
        page = admin.get(link)
        assert page.status_code == 200
        assert page.context["action_forms"] == []  # read-only
        # The way back is the overview, not the officers' queue (which answers 403 to a city admin).
        assert f'href="{OVERVIEW}"' in page.content.decode()
        assert 'href="/workbench/"' not in page.content.decode()


@pytest.mark.parametrize("username", ["officer.benthanh", "head.benthanh", "officer.congan", "079085001234"])
def test_officers_heads_and_citizens_get_403(people, city_dossiers, username):
    client = client_for(people[username])
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(unit_url("26743")).status_code == 403


def test_anonymous_visitors_are_asked_to_log_in(client, units):
    response = client.get(OVERVIEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_operator_sees_the_overview_too(people, city_dossiers):
    response = client_for(people["operator"]).get(OVERVIEW)
    assert response.status_code == 200
    assert "26743" in counts_by_unit(response)

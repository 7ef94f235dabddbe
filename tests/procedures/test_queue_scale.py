"""The officer's queue and the dossier list at scale (issue 13): cursor pages, no COUNT, an index per branch.

The number of queries does not change from 5 to 60 open dossiers, none of them counts dossiers, and
walking every page by its cursor gives each dossier once, in the queue's (or the list's) order,
across the three branches of "acting in the unit" (handled, received and not yet routed, transfer
waiting), dates that tie and dossiers not yet received (no due date, shown first).
"""

from datetime import timedelta
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from govportal import keyset
from govportal.tiers.models import Unit
from procedures import selectors
from procedures.models import Dossier
from tests.procedures.conftest import client_for

pytestmark = pytest.mark.django_db

QUEUE = "/workbench/"
API = "/api/v1/dossiers/"
_numbers = count()


def add_dossiers(n, *, procedure, applicant, unit, other):
    """`n` dossiers acting in `unit` across the three branches, with tied and missing due dates, plus noise."""
    now = timezone.now().replace(microsecond=0)
    rows = []
    for i in range(n):
        kind = i % 5
        rows.append(
            Dossier(
                code=f"HCM-SCALE-{next(_numbers):06d}",
                procedure=procedure,
                applicant=applicant,
                receiving_unit=unit if kind != 3 else other,
                handling_unit={0: unit, 1: unit, 2: None, 3: other, 4: unit}[kind],
                pending_transfer_unit=unit if kind == 3 else None,
                status="submitted" if kind == 2 else "processing",
                submitted_at=now - timedelta(days=i % 3),  # ties
                created_at=now - timedelta(hours=i % 4),  # ties: the id decides
                due_at=None if kind == 1 else now + timedelta(hours=i % 7),
            )
        )
    # Never in the unit's queue: finished, or acting elsewhere.
    rows.append(
        Dossier(
            code=f"HCM-SCALE-{next(_numbers):06d}",
            procedure=procedure,
            applicant=applicant,
            receiving_unit=unit,
            handling_unit=unit,
            status="result_returned",
            submitted_at=now,
        )
    )
    rows.append(Dossier(code=f"HCM-SCALE-{next(_numbers):06d}", procedure=procedure, applicant=applicant,
                        receiving_unit=other, handling_unit=other, status="processing", submitted_at=now))  # fmt: skip
    Dossier.objects.bulk_create(rows)


def dossier_queries(client, url) -> list[str]:
    client.get(url)  # warm up the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def walk(client, url, *, results) -> list[str]:
    """Every code, page by page, following the next links."""
    codes = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        codes += results(response)
        url = (
            response.context["next_cursor"] and f"{QUEUE}?after={response.context['next_cursor']}"
            if (results is queue_codes)
            else response.json()["next"]
        )
    return codes


def queue_codes(response) -> list[str]:
    return [dossier.code for dossier in response.context["rows"]]


def api_codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def test_queue_and_list_cost_the_same_at_5_and_60_and_their_pages_lose_or_repeat_nothing(people, procedure, citizen):
    officer = people["officer.benthanh"]
    unit, other = Unit.objects.get(code="26743"), Unit.objects.get(code="26740")
    client = client_for(officer)

    add_dossiers(5, procedure=procedure, applicant=citizen, unit=unit, other=other)
    small = {url: dossier_queries(client, url) for url in (QUEUE, API)}
    add_dossiers(55, procedure=procedure, applicant=citizen, unit=unit, other=other)
    large = {url: dossier_queries(client, url) for url in (QUEUE, API)}
    for url in (QUEUE, API):
        assert len(large[url]) == len(small[url]), url
        assert not [sql for sql in large[url] if "COUNT(" in sql.upper() and "procedures_dossier" in sql], url

    # The queue: all 60, once each, in the one order of `dossier_queue` (no due date first).
    expected = [d.code for d in selectors.dossier_queue(user=officer)]
    assert len(expected) == 60
    assert walk(client, QUEUE, results=queue_codes) == expected
    tiny = []  # small pages put the cursor on nulls and ties
    cursor = ""
    while True:
        page = selectors.dossier_queue_page(user=officer, cursor=cursor, size=7)
        tiny += [d.code for d in page.rows]
        if not (cursor := page.next_cursor):
            break
    assert tiny == expected

    # The API list: the officer's units' dossiers (any branch, finished too), newest first, id breaking ties.
    visible = selectors.visible_dossiers(user=officer).order_by("-created_at", "-id")
    listed = walk(client, f"{API}?page_size=7", results=api_codes)
    assert listed == [d.code for d in visible] and len(listed) == 62  # and the 2 finished


def test_a_cursor_not_ours_is_the_first_page_on_the_page_and_400_in_the_api(people, procedure, citizen):
    officer = people["officer.benthanh"]
    add_dossiers(3, procedure=procedure, applicant=citizen, unit=Unit.objects.get(code="26743"),
                 other=Unit.objects.get(code="26740"))  # fmt: skip
    client = client_for(officer)
    for bad in ("nonsense", keyset.encode(("x", "y", 1)), keyset.encode((1, 2))):
        response = client.get(QUEUE, {"after": bad})
        assert response.status_code == 200 and len(response.context["rows"]) == 3
        answer = client.get(API, {"cursor": bad})
        assert answer.status_code == 400 and answer.json()["code"] == "invalid"


def test_postgresql_reads_each_branch_of_the_queue_from_its_index_without_sorting(people, procedure, citizen):
    from tests.conftest import require

    require("postgres")
    if connection.vendor != "postgresql":
        pytest.fail("this check needs PostgreSQL")
    officer = people["officer.benthanh"]
    unit, other = Unit.objects.get(code="26743"), Unit.objects.get(code="26740")
    add_dossiers(400, procedure=procedure, applicant=citizen, unit=unit, other=other)
    now = timezone.now()
    Dossier.objects.bulk_create(  # a long queue (an index pays off) and finished dossiers elsewhere
        Dossier(
            code=f"HCM-LONG-{i:06d}",
            procedure=procedure,
            applicant=citizen,
            receiving_unit=unit if i % 2 else other,
            handling_unit=unit if i % 2 else other,
            status="processing" if i % 2 else "result_returned",
            submitted_at=now,
            due_at=now + timedelta(minutes=i),
        )
        for i in range(8000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE procedures_dossier")
    page = selectors.dossier_queue_page(user=officer, size=50)
    after = keyset.after_q(selectors.QUEUE_ORDER, keyset.decode(page.next_cursor, Dossier, selectors.QUEUE_ORDER))
    order = [key.order() for key in selectors.QUEUE_ORDER]
    for branch, index in zip(
        selectors._acting_branches([unit.pk]),
        ("dossier_queue_handling_idx", "dossier_queue_receiving_idx", "dossier_queue_pending_idx"),
        strict=True,
    ):
        query = selectors._queue_filtered(Dossier.objects.filter(branch), user=officer).filter(after)
        plan = query.order_by(*order)[:51].explain()
        assert "Seq Scan on procedures_dossier" not in plan, plan  # short branches may sort their few rows
        if index == "dossier_queue_handling_idx":  # the long branch: read in order, one page, no sort
            assert index in plan and "Sort" not in plan, plan


# --- the 1022 reports: the same pattern ------------------------------------------------------


def add_reports(n, *, category, applicant, unit, other):
    """`n` open reports acting in `unit` across its three unit columns, with tied dates, plus noise."""
    from feedback.models import Report

    now = timezone.now().replace(microsecond=0)
    rows = []
    for i in range(n):
        kind = i % 3
        rows.append(
            Report(
                code=f"PA-SCALE-{next(_numbers):06d}",
                category=category,
                text="Đèn đường hỏng",
                address="12 Lê Lợi",
                unit=unit,
                applicant=applicant if i % 4 == 0 else None,
                receiving_unit=unit if kind != 2 else other,
                handling_unit=unit if kind == 0 else other if kind == 2 else None,
                pending_transfer_unit=unit if kind == 2 else None,
                status="in_progress" if kind else "routed",
                submitted_at=now,
                created_at=now - timedelta(hours=i % 4),
                due_at=now + timedelta(hours=i % 5),
            )
        )
    rows.append(Report(code=f"PA-SCALE-{next(_numbers):06d}", category=category, text="x", address="x", unit=unit,
                       receiving_unit=unit, handling_unit=unit, status="closed", submitted_at=now, due_at=now))  # fmt: skip
    Report.objects.bulk_create(rows)


def test_the_reports_queue_and_list_cost_the_same_at_5_and_60_and_lose_or_repeat_nothing(people, citizen):
    from feedback import selectors as report_selectors
    from feedback.models import Category
    from feedback.services import categories_load

    categories_load()
    category = Category.objects.filter(is_active=True).order_by("code").first()
    officer = people["officer.benthanh"]
    unit, other = Unit.objects.get(code="26743"), Unit.objects.get(code="26740")
    client = client_for(officer)
    queue, api = "/workbench/reports/", "/api/v1/reports/"

    def sizes():
        return {url: dossier_queries(client, url) for url in (queue, api)}

    add_reports(5, category=category, applicant=citizen, unit=unit, other=other)
    small = sizes()
    add_reports(55, category=category, applicant=citizen, unit=unit, other=other)
    large = sizes()
    for url in (queue, api):
        assert len(large[url]) == len(small[url]), url
        assert not [sql for sql in large[url] if "COUNT(" in sql.upper() and "feedback_report" in sql], url

    expected = [r.code for r in report_selectors.report_queue(user=officer)]
    assert len(expected) == 60
    walked, cursor = [], ""
    while True:
        response = client.get(queue, {"after": cursor} if cursor else {})
        walked += [report.code for report in response.context["rows"]]
        if not (cursor := response.context["next_cursor"]):
            break
    assert walked == expected
    tiny, cursor = [], ""
    while True:
        page = report_selectors.report_queue_page(user=officer, cursor=cursor, size=7)
        tiny += [report.code for report in page.rows]
        if not (cursor := page.next_cursor):
            break
    assert tiny == expected

    visible = report_selectors.visible_reports(officer).order_by("-created_at", "-id")
    assert walk(client, f"{api}?page_size=7", results=api_codes) == [r.code for r in visible]
    assert len(visible) == 62  # the finished ones too

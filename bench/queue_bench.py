"""The officer's queue page and the dossier list API at a unit with N open dossiers: ms per request.

Not a test: run by hand on a benchmark database (never production), after `generate_city_data`:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/govportal_queue DEMO_ENABLED=1 \
        .venv/bin/python bench/queue_bench.py --open 5000 --requests 30

It makes `--open` dossiers open in the demo officer's unit (turning finished synthetic dossiers back
into open ones, spread over the legal clock), then times, with Django's test client in one process,
the first page, a page five pages in (following the next links) and the API list, and prints the
queries of each request (with how many of them are a COUNT).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govportal.settings.base")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from identity.models import User  # noqa: E402

OFFICER = "officer.benthanh"


def make_open(unit_id: int, wanted: int) -> int:
    """Make `wanted` dossiers open in the unit (handled there), from finished synthetic ones."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procedures_dossier WHERE handling_unit_id = %s AND status IN "
            "('received','processing','submitted','supplement_requested','payment_required','decided')",
            [unit_id],
        )
        have = cursor.fetchone()[0]
        if have < wanted:
            cursor.execute(
                """
                UPDATE procedures_dossier SET handling_unit_id = %s, receiving_unit_id = %s,
                    status = CASE WHEN id %% 10 = 0 THEN 'submitted' ELSE 'processing' END,
                    due_at = CASE WHEN id %% 10 = 0 THEN NULL
                                  ELSE now() + ((id %% 400) - 40) * interval '1 hour' END,
                    decided_at = NULL, closed_at = NULL, paused_at = NULL, outcome = ''
                WHERE id IN (SELECT id FROM procedures_dossier WHERE status = 'result_returned'
                             AND handling_unit_id <> %s ORDER BY id LIMIT %s)
                """,
                [unit_id, unit_id, unit_id, wanted - have],
            )
        cursor.execute("ANALYZE procedures_dossier")
    return max(have, wanted)


def timed(client: Client, url: str, requests: int) -> tuple[list[float], int, int]:
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    captured = [query["sql"] for query in queries.captured_queries]
    counts = sum("COUNT(" in sql.upper() for sql in captured)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times, len(captured), counts


def deep_url(client: Client, pages: int) -> str:
    """The queue's URL `pages` pages in: following next links (cursor) or ?page=N (page numbers)."""
    response = client.get("/workbench/")
    cursor = response.context.get("next_cursor") if response.context else None
    if cursor is None:  # the page-number queue
        return f"/workbench/?page={pages + 1}"
    url = "/workbench/"
    for _ in range(pages):
        response = client.get(url)
        if not response.context["next_cursor"]:
            break
        url = f"/workbench/?after={response.context['next_cursor']}"
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    officer = User.objects.get(username=OFFICER)
    unit_id = officer.postings.values_list("unit_id", flat=True).first()
    open_now = make_open(unit_id, args.open)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procedures_dossier")
        total = cursor.fetchone()[0]
    client = Client(SERVER_NAME="localhost")
    client.force_login(officer)
    print(f"{total:,} dossiers, {open_now:,} open handled in the officer's unit; {args.requests} requests each")
    print("| request | p50 ms | p95 ms | queries | COUNT queries |")
    print("|---|---|---|---|---|")
    for label, url in (
        ("queue, first page", "/workbench/"),
        ("queue, 6th page", deep_url(client, 5)),
        ("API list as the officer", "/api/v1/dossiers/"),
        ("reports queue (generator's share)", "/workbench/reports/"),
        ("reports API list (generator's share)", "/api/v1/reports/"),
    ):
        times, queries, counts = timed(client, url, args.requests)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"| {label} | {statistics.median(times):.1f} | {p95:.1f} | {queries} | {counts} |")


if __name__ == "__main__":
    main()

"""Baselines: the least a Django view on the portal's stack can do with the database.

Both run through the whole middleware stack of the settings in use (bench/settings.py), so a scenario's
ratio to them measures what the portal adds, not Django or the machine.
"""

from django.db import ProgrammingError, connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from govportal.tiers.models import Unit

_TABLE = "bench_insert_one"


@require_GET
def read_one(request):
    """Read one row by primary key (a unit) and answer it as JSON."""
    unit = Unit.objects.values("pk", "code", "name").order_by("pk").first()
    return JsonResponse({"unit": unit})


def _ensure_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_TABLE} "
            "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), note text NOT NULL)"
        )


@csrf_exempt
@require_POST
def insert_one(request):
    """Insert one row (a table of its own, created on first use) and answer its id as JSON."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {_TABLE} (note) VALUES (%s) RETURNING id", ["bench"])
            row_id = cursor.fetchone()[0]
    except ProgrammingError:  # the table is missing on a fresh database
        _ensure_table()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {_TABLE} (note) VALUES (%s) RETURNING id", ["bench"])
            row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)

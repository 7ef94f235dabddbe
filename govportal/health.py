"""Liveness and readiness for load balancers and orchestrators.

/healthz answers while the process lives (never touches a dependency, so a
database outage does not get every web container restarted). /readyz answers
200 only when the database and the broker both answer, naming each check.
"""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from kombu import Connection

BROKER_TIMEOUT_SECONDS = 2


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(url, transport_options=options, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
        if url.startswith("filesystem"):
            folder = options["data_folder_out"]
            with open(f"{folder}/.readyz", "w") as probe:
                probe.write("ok")
        else:
            _ = conn.default_channel  # opening a channel proves the server really answered


CHECKS = {"database": _check_database, "broker": _check_broker}


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:  # any failure means "not ready"; say which and why
            results[name] = {"ok": False, "error": error.__class__.__name__}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    ready = all(r["ok"] for r in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )

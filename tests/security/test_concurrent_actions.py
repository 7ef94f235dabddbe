"""Twenty officers' "receive" at once on one dossier: one success, nineteen 409, one event (issue 12.6).

The same check on both databases the portal runs on: SQLite (`make run`'s
default, a fresh file) and PostgreSQL (a database of its own on the machine's
server, created and dropped here). A real gunicorn serves the portal as the
Procfile does (workers × threads), so the requests really race. SQLite used to
answer some of them 500 "database is locked"; its settings (immediate
transactions, a busy timeout, WAL) make the loser wait for the lock and then
find the dossier already received, as on PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import require
from tests.drills.conftest import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent.parent
PG_DATABASE = "govportal_props_concurrency"
CALLS = 20

SEED = """
from govportal.tiers.services import routing_rules_seed, units_load
from identity.models import User
from identity.registry.services import registry_population_seed
from identity.services import api_token_issue, demo_dataset_seed
from tests.procedures.conftest import make_procedure, submitted_dossier
units_load(); routing_rules_seed(); demo_dataset_seed(); registry_population_seed()
dossier = submitted_dossier(make_procedure(), User.objects.get(username="079085001234"))
print("CODE=" + dossier.code)
print("TOKEN=" + api_token_issue(user=User.objects.get(username="officer.benthanh")))
"""


def _postgres_url(database: str) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


def _postgres_admin(sql: str) -> None:
    import psycopg

    url = _postgres_url("postgres").replace("postgres://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _receive(port: int, path: str, token: str, start: threading.Barrier, answers: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        start.wait(timeout=30)
        connection.request(
            "POST",
            path,
            body=b"{}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": "en"},
        )
        response = connection.getresponse()
        answers.append((response.status, response.read()))
    except OSError as exc:
        answers.append((0, repr(exc).encode()))
    finally:
        connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request, tmp_path):
    """gunicorn on a freshly migrated and seeded database of the given vendor; yields (port, code, token, events)."""
    if request.param == "postgresql":
        require("postgres")
        _postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        _postgres_admin(f"CREATE DATABASE {PG_DATABASE}")
        database_url = _postgres_url(PG_DATABASE)
    else:
        database_url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="govportal.settings.test")
    env.pop("REDIS_URL", None)  # notices run eagerly in the web process: more writers racing, as intended
    python = sys.executable
    try:
        migrated = subprocess.run(
            [python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        seeded = subprocess.run(
            [python, "-c", "import django; django.setup()\n" + SEED], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        code = seeded.stdout.split("CODE=")[1].split()[0]
        token = seeded.stdout.split("TOKEN=")[1].split()[0]
        port = free_port()
        log = tmp_path / "gunicorn.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [str(Path(python).parent / "gunicorn"), "govportal.wsgi", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", "2", "--threads", "10", "--timeout", "60"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(lambda: _healthy(port), timeout=60, what="gunicorn up", every=0.3)
            yield port, code, token, lambda: _received_events(request.param, database_url, code)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        if request.param == "postgresql":
            _postgres_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


EVENTS_SQL = (
    "SELECT e.action, d.status FROM procedures_dossierevent e JOIN procedures_dossier d ON d.id = e.dossier_id "
    "WHERE d.code = %s AND e.action = 'receive'"
)


def _received_events(vendor: str, database_url: str, code: str) -> list[tuple]:
    if vendor == "sqlite":
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return conn.execute(EVENTS_SQL.replace("%s", "?"), (code,)).fetchall()
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(EVENTS_SQL, (code,)).fetchall()


def test_concurrent_receive_one_success_every_other_409_one_event(portal):
    port, code, token, received_events = portal
    path = f"/api/v1/dossiers/{code}/actions/receive/"
    answers: list = []
    start = threading.Barrier(CALLS)
    threads = [threading.Thread(target=_receive, args=(port, path, token, start, answers)) for _ in range(CALLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    statuses = Counter(status for status, _ in answers)
    assert statuses == {200: 1, 409: CALLS - 1}, (statuses, [raw[:300] for status, raw in answers if status != 409])
    for status, raw in answers:
        if status == 409:
            assert json.loads(raw)["code"] in ("not_allowed", "stale")
    assert received_events() == [("receive", "received")]

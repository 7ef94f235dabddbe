"""The read replica: a real streaming standby, and a portal process reading its dashboards from it.

A throwaway primary (tests/drills/conftest.py) gets the test database's schema,
a standby is cloned from it with pg_basebackup and streams its WAL, and
gunicorn runs the portal with DATABASE_URL (primary) and DATABASE_REPLICA_URL
(standby). With the standby's replay paused, a unit added on the primary is
missing from the city dashboard's CSV (read from the replica) while login,
permissions and the stats refresh (primary) work; once replay resumes it
appears. The test session's own connections are never reconfigured.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from govportal import db_router
from tests.conftest import require
from tests.drills.conftest import PG_BIN, ThrowawayPostgres, free_port, report, throwaway_postgres, wait_until
from tests.integration.conftest import ROOT

__all__ = ["throwaway_postgres"]  # the drills' primary, used here as a fixture

DATABASE = "replica_portal"


def _run(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{args[:4]}: {done.stderr[-2000:]}"
    return done


@pytest.fixture
def primary(throwaway_postgres):
    """The primary with a database holding the test database's schema (pg_dump: faster than migrating)."""
    from django.db import connection

    require("postgres")
    source = connection.settings_dict
    source_url = f"postgresql://{source['USER']}@{source['HOST']}:{source['PORT']}/{source['NAME']}"
    throwaway_postgres.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    throwaway_postgres.execute(f"CREATE DATABASE {DATABASE}")
    pg_dump = [str(PG_BIN / "pg_dump"), "--no-owner", "--no-privileges", f"--dbname={source_url}"]
    schema = _run(*pg_dump, "--schema-only").stdout
    applied = _run(*pg_dump, "--data-only", "--table=django_migrations").stdout
    target = throwaway_postgres.url(DATABASE).replace("postgres://", "postgresql://")
    _run(str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={target}", input=schema + applied)
    yield throwaway_postgres
    throwaway_postgres.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


@pytest.fixture
def standby(primary):
    """A streaming standby of `primary`, cloned with pg_basebackup (-R: it follows the primary)."""
    root = Path(tempfile.mkdtemp(prefix="replica-pg-"))
    datadir, socketdir = root / "data", root / "sock"
    socketdir.mkdir()
    shutil.chown(root, "postgres", "postgres")
    shutil.chown(socketdir, "postgres", "postgres")
    _run(
        "runuser",
        "-u",
        "postgres",
        "--",
        str(PG_BIN / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(datadir),
        "-R",
        "-X",
        "stream",
        "--checkpoint=fast",  # not a checkpoint spread over minutes
    )
    server = ThrowawayPostgres(free_port(), datadir, socketdir)
    server.start()
    try:
        assert server.execute("SELECT pg_is_in_recovery()") == [(True,)]
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


PORTAL_SCRIPT = """
import sys
import django

django.setup()
from django.conf import settings
from django.test import Client

from govportal.dashboard import aggregates
from identity.models import User
from govportal.tiers.models import Unit

what = sys.argv[1]
if what == "setup":
    from allauth.mfa.totp.internal.auth import TOTP

    assert set(settings.DATABASES) == {"default", "replica"}, settings.DATABASES
    Unit.objects.create(code="RPL-A", name="Replica A", kind="ward", tier="commune")
    admin = User.objects.create_superuser(username="replica.admin", password="x" * 20, email="r@example.org")
    TOTP.activate(admin, "JBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(admin, backend=settings.AUTHENTICATION_BACKENDS[0])
    print(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
elif what == "add-unit":
    Unit.objects.create(code="RPL-B", name="Replica B", kind="ward", tier="commune")
    # The refresh writes the aggregates: on the primary, or the read-only standby would refuse it.
    print(aggregates.stats_refresh())
"""


@pytest.mark.django_db  # the test database must exist: its schema is what the primary gets
def test_the_city_dashboard_reads_from_a_streaming_replica(primary, standby, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE"))},
        "DJANGO_SETTINGS_MODULE": "govportal.settings.base",
        "DATABASE_URL": primary.url(DATABASE),
        "DATABASE_REPLICA_URL": standby.url(DATABASE),
        "GOVPORTAL_VAR_DIR": str(tmp_path),
        "DEBUG": "0",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)  # the embedded broker and a local cache: this test is about the database

    def portal(what: str) -> str:
        return _run(sys.executable, "-c", PORTAL_SCRIPT, what, cwd=ROOT, env=env, timeout=60).stdout

    cookie_name, cookie = portal("setup").split()[-2:]
    wait_until(
        lambda: standby.execute("SELECT count(*) FROM tiers_unit WHERE code = 'RPL-A'", DATABASE) == [(1,)],
        timeout=20,
        what="the standby caught up",
    )
    port = free_port()
    with open(tmp_path / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "govportal.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def get(path: str) -> tuple[int, str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"{cookie_name}={cookie}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except OSError:
            return 0, ""

    try:
        wait_until(lambda: get("/healthz")[0] == 200, timeout=30, what="gunicorn up")
        for path in ("/dashboard/city/", "/scorecard/", "/api/v1/stats/city/", "/api/v1/stats/units/"):
            status, body = get(path)
            assert status == 200, (path, body[-1500:], (tmp_path / "gunicorn.log").read_text()[-3000:])
        status, csv_text = get("/dashboard/city/export.csv")
        assert status == 200 and "RPL-A" in csv_text

        # The standby stops replaying: the primary moves on, the replica's copy stays behind.
        standby.execute("SELECT pg_wal_replay_pause()", DATABASE)
        refreshed = portal("add-unit")
        assert primary.execute("SELECT count(*) FROM tiers_unit WHERE code = 'RPL-B'", DATABASE) == [(1,)]
        # The refresh's first run counted everything and wrote its clocks: on the primary only.
        counted = "SELECT count(*) FROM dashboard_counteduntil"
        assert (primary.execute(counted, DATABASE), standby.execute(counted, DATABASE)) == ([(2,)], [(0,)])
        status, csv_text = get("/dashboard/city/export.csv")
        # Logged in and allowed (session, user and postings from the primary), figures from the replica.
        assert status == 200 and "RPL-A" in csv_text and "RPL-B" not in csv_text, csv_text[-500:]
        replica_sessions = standby.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            DATABASE,
            params=(DATABASE,),
        )[0][0]
        assert replica_sessions >= 2  # ours and the portal's (CONN_MAX_AGE keeps it open)

        standby.execute("SELECT pg_wal_replay_resume()", DATABASE)
        wait_until(lambda: "RPL-B" in get("/dashboard/city/export.csv")[1], timeout=20, what="the replica caught up")
        assert get("/dashboard/city/")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
    report("replica", pages_from_replica=6, stats_refresh=refreshed.strip()[-80:])


def test_without_a_replica_every_read_goes_to_the_one_database(monkeypatch):
    """The CI default (DATABASE_URL only): no alias, nothing routed; with one, only the dashboards' tables."""
    from django.conf import settings

    from govportal.tiers.models import Posting, Unit
    from identity.models import User

    router = db_router.ReplicaRouter()
    assert db_router.replica_configured() == ("replica" in settings.DATABASES)
    monkeypatch.setattr(db_router, "replica_configured", lambda: False)
    with db_router.replica_reads():
        assert router.db_for_read(Unit) is None
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    assert router.db_for_read(Unit) is None  # outside a dashboard request
    with db_router.replica_reads():
        assert router.db_for_read(Unit) == "replica"
        assert router.db_for_read(Posting) is None and router.db_for_read(User) is None
        assert router.db_for_write(Unit) == "default"
    assert router.allow_migrate("replica", "tiers") is False

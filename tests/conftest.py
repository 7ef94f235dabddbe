"""Shared fixtures: the actors, the units, and the rule that CI never skips.

Tests that need PostgreSQL, Redis or Chromium ask for them with `require(...)`.
Locally a missing service skips the test; under GOVPORTAL_REQUIRE_SERVICES=1
(set by .ci/run) it fails, and any skip anywhere fails the whole run, so a
missing service can never hide behind a green CI.
"""

import os
import shutil

import pytest

REQUIRE_SERVICES = os.environ.get("GOVPORTAL_REQUIRE_SERVICES") == "1"


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    return path if path and os.path.exists(path) else None


def _service_missing(name: str) -> str | None:
    from django.conf import settings
    from django.db import connection

    if name == "postgres":
        return None if connection.vendor == "postgresql" else "DATABASE_URL does not point at PostgreSQL"
    if name == "redis":
        return None if settings.REDIS_URL else "REDIS_URL is not set"
    if name == "chromium":
        return None if chromium_path() else "Chromium is not installed (apt-get install chromium)"
    raise ValueError(name)


def require(*services: str) -> None:
    """Skip locally, fail in CI, when a service the test needs is absent."""
    for name in services:
        reason = _service_missing(name)
        if reason:
            if REQUIRE_SERVICES:
                pytest.fail(f"{name} is required in CI: {reason}")
            pytest.skip(reason)


def _allow_truncate(sender, connection, **kwargs):
    """The flush after transactional tests TRUNCATEs every table, the append-only ones too (govportal.audit_guard)."""
    if connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:
            cursor.execute("SET govportal.allow_truncate = on")


def pytest_configure(config):
    from django.db.backends.signals import connection_created

    connection_created.connect(_allow_truncate, dispatch_uid="tests.allow_truncate")


def pytest_sessionfinish(session, exitstatus):
    if REQUIRE_SERVICES and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = reporter.stats.get("skipped", []) if reporter else []
        if skipped:
            session.exitstatus = 1
            print(f"\n{len(skipped)} test(s) skipped under GOVPORTAL_REQUIRE_SERVICES=1: failing the run.")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Limit counters (govportal/ratelimit.py) live in the test process's own cache: every test starts at zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _close_code_claims():
    """Dossier codes are claimed on a connection of their own (govportal/cases/codes.py): closed after each
    test, so that none is left open when the test database is dropped."""
    yield
    from govportal.cases.codes import close_own_connection

    close_own_connection()


@pytest.fixture
def units(db):
    """The city, its departments and the 168 units, and the default routing rules, loaded as `make run` loads them."""
    from govportal.tiers.services import routing_rules_seed, units_load

    units_load()
    routing_rules_seed()


@pytest.fixture
def demo_users(units):
    from identity.services import demo_dataset_seed

    demo_dataset_seed()


@pytest.fixture(scope="session")
def celery_worker_process():
    """A real `celery worker` process on the configured broker, stopped after the session."""
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    from govportal.celery import app

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "govportal.settings.test"}
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    log = open(root / "var" / "test-worker.log", "w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "govportal",
            "worker",
            "--pool",
            "solo",
            "--hostname",
            name,
            "--queues",
            "routing,notifications,payments,default",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Celery worker exited with {process.returncode}; see var/test-worker.log")
            if "ready." in (root / "var" / "test-worker.log").read_text():
                break
            time.sleep(0.3)
        else:
            raise RuntimeError("Celery worker did not become ready in 60 s; see var/test-worker.log")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        app.pool.force_close_all()


@pytest.fixture
def eid_at_live_server(live_server, settings):
    """Point the portal's e-ID login at the mock provider served by live_server (its port is random)."""
    import copy

    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["vneid"]["APPS"][0]["settings"]["server_url"] = f"{live_server.url}/mock-eid"
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return live_server


@pytest.fixture
def population(units):
    """The mock population registry (400 people across the 168 units), as `make run` seeds it."""
    from identity.registry.services import registry_population_seed

    registry_population_seed()

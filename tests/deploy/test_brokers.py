"""The broker by setting: the killed-worker drill on RabbitMQ (tests/drills/test_worker_killed.py runs it on Redis).

A vhost of our own on the machine's RabbitMQ (127.0.0.1:5672, guest), made by
rabbitmqctl and deleted after: other runs' queues of the same names are never
touched. The worker's pool process is SIGKILLed inside the routing and the
clock transactions; with late acknowledgement and reject-on-worker-lost the
message goes back to its queue and the dossier ends routed once, flagged once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import REQUIRE_SERVICES, require
from tests.drills.conftest import report, wait_until
from tests.drills.test_worker_killed import DrillCluster
from tests.integration.conftest import web_side_dispatches_to
from tests.procedures.conftest import make_procedure, submitted_dossier

pytestmark = [pytest.mark.drill, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RABBITMQ = os.environ.get("GOVPORTAL_TEST_RABBITMQ", "guest:guest@127.0.0.1:5672")
# What govportal/settings/celery.py sets for an amqp:// broker, applied to the test process's publisher too.
AMQP_OPTIONS = {"confirm_publish": True, "connect_timeout": 2, "read_timeout": 5, "write_timeout": 5}


def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def rabbitmq_vhost():
    """amqp:// URL of a fresh vhost, deleted afterwards."""
    problem = None
    if not shutil.which("rabbitmqctl"):
        problem = "rabbitmqctl is not installed (apt-get install rabbitmq-server)"
    else:
        vhost = f"govportal_test_{uuid.uuid4().hex[:8]}"
        done = _rabbitmqctl("add_vhost", vhost)
        if done.returncode != 0:
            problem = f"RabbitMQ does not answer: {done.stderr.strip()[-300:]}"
    if problem:
        if REQUIRE_SERVICES:
            pytest.fail(f"rabbitmq is required in CI: {problem}")
        pytest.skip(problem)
    try:
        user = RABBITMQ.split(":", 1)[0]
        assert _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*").returncode == 0
        yield f"amqp://{RABBITMQ}/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


class AmqpDrillCluster(DrillCluster):
    """The drill's worker on RabbitMQ: the amqp transport's options, no result backend (nothing reads one)."""

    def write_settings(self) -> None:
        super().write_settings()
        path = self.workdir / f"{self.module}.py"
        path.write_text(path.read_text() + f"\nCELERY_BROKER_TRANSPORT_OPTIONS = {AMQP_OPTIONS!r}\n")


def _queued(vhost_url: str, queue: str) -> int:
    """Messages ready plus unacknowledged in `queue`, as RabbitMQ counts them."""
    vhost = vhost_url.rsplit("/", 1)[1]
    done = _rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "-q", "name", "messages")
    counts = dict(line.split() for line in done.stdout.splitlines() if line.strip())
    return int(counts.get(queue, 0))


def test_a_worker_killed_mid_task_on_rabbitmq_loses_nothing_and_doubles_nothing(
    demo_users, population, rabbitmq_vhost, settings, tmp_path
):
    require("postgres")
    from django.db import connection

    from govportal.celery import app
    from identity.models import User
    from procedures import services
    from procedures.models import Dossier, DossierEvent

    citizen, officer = User.objects.get(username="079085001234"), User.objects.get(username="officer.benthanh")
    procedure = make_procedure()
    cluster = AmqpDrillCluster(
        workdir=tmp_path,
        database_name=connection.settings_dict["NAME"],
        broker_url=rabbitmq_vhost,
        store_results=False,
    )
    saved_options = app.conf.broker_transport_options
    app.conf.broker_transport_options = AMQP_OPTIONS
    try:
        with web_side_dispatches_to(rabbitmq_vhost, settings):
            try:
                worker = cluster.start_worker("drill", concurrency=1)
                started = time.monotonic()
                dossier = submitted_dossier(procedure, citizen, route=False)
                wait_until(
                    lambda: Dossier.objects.filter(pk=dossier.pk, routed_at__isnull=False).exists(),
                    timeout=45,
                    what="routed after the kill",
                    every=0.2,
                )
                route_seconds = time.monotonic() - started
                assert (tmp_path / "killed-route").exists(), cluster.logs()

                dossier = services.dossier_transition(
                    dossier=Dossier.objects.get(pk=dossier.pk), action="receive", actor=officer
                )
                Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - timedelta(hours=1))
                started = time.monotonic()
                app.send_task("procedures.run_dossier_clocks", queue="routing")
                wait_until(
                    lambda: Dossier.objects.filter(pk=dossier.pk, overdue_flagged_at__isnull=False).exists(),
                    timeout=45,
                    what="flagged overdue after the kill",
                    every=0.2,
                )
                clock_seconds = time.monotonic() - started
                assert (tmp_path / "killed-overdue").exists(), cluster.logs()
                time.sleep(2)  # a doubled run, if any, would land now
                assert worker.popen.poll() is None  # the main process survived and replaced its pool process
                # Both redelivered messages were acknowledged in the end: RabbitMQ holds nothing for us.
                wait_until(lambda: _queued(rabbitmq_vhost, "routing") == 0, timeout=10, what="routing queue empty")
            finally:
                cluster.stop_all()
    finally:
        app.conf.broker_transport_options = saved_options

    logs = cluster.logs()
    assert "amqp://" in logs and "redis://" not in logs.split("ready.")[0], logs  # the worker was on RabbitMQ
    routes = DossierEvent.objects.filter(dossier=dossier, action="route").count()
    overdue = DossierEvent.objects.filter(dossier=dossier, action="overdue").count()
    assert (routes, overdue) == (1, 1), logs
    assert "WorkerLostError" in logs or "SIGKILL" in logs
    report(
        "worker-killed-rabbitmq",
        kills=2,
        route_recovered_seconds=f"{route_seconds:.1f}",
        clock_recovered_seconds=f"{clock_seconds:.1f}",
        route_events=routes,
        overdue_events=overdue,
    )


def test_the_broker_is_chosen_by_setting():
    """CELERY_BROKER_URL wins over REDIS_URL; results stay in Redis; REDIS_URL alone still means Redis."""
    import sys

    from tests.integration.conftest import ROOT

    probe = (
        "import django; django.setup(); from govportal.celery import app; "
        "print(app.conf.broker_url, app.conf.result_backend, *sorted(app.conf.broker_transport_options))"
    )

    def settings_with(**env: str) -> str:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_") and k != "REDIS_URL"}
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env={**base, "DJANGO_SETTINGS_MODULE": "govportal.settings.base", **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    redis_url, amqp_url = "redis://127.0.0.1:6379/14", "amqp://guest:guest@127.0.0.1:5672//"
    broker, backend, *options = settings_with(REDIS_URL=redis_url, CELERY_BROKER_URL=amqp_url)
    assert (broker, backend) == (amqp_url, redis_url)
    assert "confirm_publish" in options and "visibility_timeout" not in options
    broker, backend, *options = settings_with(REDIS_URL=redis_url)
    assert (broker, backend) == (redis_url, redis_url)
    assert "visibility_timeout" in options and "confirm_publish" not in options

"""Drill: a Celery worker's process killed (SIGKILL) in the middle of a routing task and of a clock task.

The worker (prefork, one pool process) runs on a throwaway Redis against the
live test database; a hook kills the pool process right after the task wrote
its event, inside the transaction (tests/drills/worker_hooks.py). PostgreSQL
rolls the half-done work back; the message, acknowledged late and rejected on
the lost worker, is delivered again and run by the next pool process: the
dossier ends routed once and flagged overdue once.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import require
from tests.drills.conftest import report, wait_until
from tests.integration.conftest import RoutingCluster, web_side_dispatches_to
from tests.procedures.conftest import make_procedure, submitted_dossier

pytestmark = [pytest.mark.drill, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class DrillCluster(RoutingCluster):
    """The integration tests' worker settings, plus the drill's kill hook."""

    def write_settings(self) -> None:
        super().write_settings()
        path = self.workdir / f"{self.module}.py"
        path.write_text(
            path.read_text() + "\nfrom tests.drills.worker_hooks import connect  # noqa: E402\n\nconnect()\n"
        )

    def _env(self, hooks):
        env = super()._env(hooks)
        env["GOVPORTAL_DRILL_KILL"] = json.dumps({"actions": ["route", "overdue"], "marker_dir": str(self.workdir)})
        return env


def test_a_worker_killed_mid_task_loses_nothing_and_doubles_nothing(
    demo_users, population, throwaway_redis, settings, tmp_path
):
    require("postgres", "redis")
    from django.db import connection

    from govportal.celery import app
    from identity.models import User
    from procedures import services
    from procedures.models import Dossier, DossierEvent

    citizen, officer = User.objects.get(username="079085001234"), User.objects.get(username="officer.benthanh")
    procedure = make_procedure()
    cluster = DrillCluster(
        workdir=tmp_path, database_name=connection.settings_dict["NAME"], broker_url=throwaway_redis.url
    )
    with web_side_dispatches_to(throwaway_redis.url, settings):
        try:
            worker = cluster.start_worker("drill", concurrency=1)
            # Routing: dispatched on commit; the pool process dies inside the routing transaction.
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

            # The clock: received (its clock runs), then past its due date; the clock task dies mid-way.
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
            assert worker.popen.poll() is None  # the main process survived; it replaced its pool process
        finally:
            cluster.stop_all()

    routes = DossierEvent.objects.filter(dossier=dossier, action="route").count()
    overdue = DossierEvent.objects.filter(dossier=dossier, action="overdue").count()
    assert (routes, overdue) == (1, 1), cluster.logs()
    assert "WorkerLostError" in cluster.logs() or "SIGKILL" in cluster.logs()
    report(
        "worker-killed",
        kills=2,
        route_recovered_seconds=f"{route_seconds:.1f}",
        clock_recovered_seconds=f"{clock_seconds:.1f}",
        route_events=routes,
        overdue_events=overdue,
    )

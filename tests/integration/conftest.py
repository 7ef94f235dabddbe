"""Real routing workers for the integration tests: separate processes, the test database, Redis.

The web side is pytest-django's `live_server` (a thread of the pytest process,
reached over HTTP); the workers and beat are `celery` subprocesses started
here, as `make run` and docker-compose start them. Nothing in these tests routes
in the web process.

Isolation. These workers and the web side use their own Redis database
(`ISOLATED_REDIS_DB`), flushed before each test: the session worker of
tests/conftest.py (and anyone else's worker on the machine) consumes the
`routing` queue of the configured database and would take our messages
against another database. The workers read a settings module written per test
into a temporary folder: the test settings with eager execution off, the live
test database and the isolated broker. Test settings are not edited.

Worker hooks. A test that needs a worker to die at the worst moment (the task
ran and committed, the broker has not been told) gives the worker a hook spec
in GOVPORTAL_TEST_WORKER_HOOKS; `worker_hooks_connect` (called by the worker's
settings module) records every run of the routing task and kills the pool
child, or the whole worker, once, after the named dossier's task returned.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
ROUTE_TASK = "procedures.route_dossier"
SWEEP_TASK = "procedures.sweep_unrouted_dossiers"
# A Redis database of its own: see the module docstring.
ISOLATED_REDIS_DB = 14
QUEUES = "routing,notifications,payments,default"
# The command the machine (and .ci/run) starts Redis with.
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
HOOKS_ENV = "GOVPORTAL_TEST_WORKER_HOOKS"


# --- inside the worker process ------------------------------------------------------


def worker_hooks_connect() -> None:
    """Install the hooks described by GOVPORTAL_TEST_WORKER_HOOKS (JSON); nothing if unset.

    Runs in the worker's main process while Django loads settings, so the pool
    children inherit the receiver when they are forked.
    """
    spec = os.environ.get(HOOKS_ENV)
    if not spec:
        return
    spec = json.loads(spec)
    from celery.signals import task_postrun

    record = spec.get("record")
    die_after = {int(key): how for key, how in spec.get("die_after", {}).items()}
    marker_dir = Path(spec.get("marker_dir", "."))

    @task_postrun.connect(weak=False)
    def _after_route(sender=None, args=None, kwargs=None, **_):
        if getattr(sender, "name", "") != ROUTE_TASK:
            return
        dossier_id = int((kwargs or {}).get("dossier_id", (args or [None])[0]))
        if record:
            with open(record, "a") as out:
                out.write(f"{dossier_id} {os.getpid()}\n")
        how = die_after.get(dossier_id)
        if how is None:
            return
        try:
            # Once only, across every process: the redelivered task must survive.
            os.close(os.open(marker_dir / f"died-{dossier_id}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        if how == "child":
            # The pool process dies; the worker's main process sees the loss and,
            # with reject_on_worker_lost, puts the message back on the queue.
            os.kill(os.getpid(), signal.SIGKILL)
        else:
            # The whole worker dies (main process and pool): nobody tells the broker, and
            # Redis hands the unacknowledged message out again after the visibility timeout.
            os.killpg(os.getpgid(0), signal.SIGKILL)


# --- in the test process --------------------------------------------------------------


def isolated_broker_url(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    if parts.path.strip("/") == str(ISOLATED_REDIS_DB):
        raise RuntimeError(f"REDIS_URL already uses database {ISOLATED_REDIS_DB}; the routing tests need their own")
    return urlunsplit(parts._replace(path=f"/{ISOLATED_REDIS_DB}"))


def redis_ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_wait(url: str, *, up: bool, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_ping(url) == up:
            return
        time.sleep(0.2)
    raise RuntimeError(f"Redis did not come {'up' if up else 'down'} within {timeout} s")


def redis_stop(url: str) -> None:
    host = urlsplit(url).hostname or "127.0.0.1"
    port = str(urlsplit(url).port or 6379)
    # SHUTDOWN closes the connection without a reply: redis-cli exits non-zero by design.
    subprocess.run(["redis-cli", "-h", host, "-p", port, "shutdown", "nosave"], capture_output=True, timeout=20)
    redis_wait(url, up=False)


def redis_start(url: str) -> None:
    if not redis_ping(url):
        subprocess.run(REDIS_START, check=True, capture_output=True, timeout=20)
    redis_wait(url, up=True)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class RoutingCluster:
    """Workers (and beat) for one test, on the live test database and the isolated broker."""

    workdir: Path
    database_name: str
    broker_url: str
    visibility_timeout: int = 3600
    sweep_after_seconds: int = 60
    sweep_every_seconds: float = 30
    # False: the workers keep no task results (as for a task with ignore_result=True).
    store_results: bool = True
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.module = f"routing_worker_settings_{uuid.uuid4().hex[:8]}"
        self.write_settings()

    def write_settings(self) -> None:
        """The worker's settings module: test settings, eager off, the live test database."""
        beat_every = timedelta(seconds=self.sweep_every_seconds)
        text = f'''"""Written by tests/integration/conftest.py for one test's workers."""
from datetime import timedelta

from govportal.settings.test import *  # noqa: F401,F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
DATABASES["default"]["NAME"] = {self.database_name!r}
CELERY_BROKER_URL = {self.broker_url!r}
CELERY_RESULT_BACKEND = {self.broker_url if self.store_results else None!r}
# Look for abandoned (unacknowledged) messages every second, not every ~100 s. The
# look-up holds a lock in Redis; a worker killed while holding it would block every
# other worker's look-ups until the lock expires (300 s by default): 5 s here.
CELERY_BROKER_TRANSPORT_OPTIONS = {{
    "visibility_timeout": {self.visibility_timeout},
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": 5,
}}
ROUTING_SWEEP_AFTER_SECONDS = {self.sweep_after_seconds}
CELERY_BEAT_SCHEDULE = {{
    "sweep-unrouted-dossiers": {{
        **CELERY_BEAT_SCHEDULE["sweep-unrouted-dossiers"],
        "schedule": timedelta(seconds={beat_every.total_seconds()}),
    }},
}}
CELERY_BEAT_SCHEDULE_FILENAME = {str(self.workdir / "celerybeat-schedule")!r}

from tests.integration.conftest import worker_hooks_connect  # noqa: E402

worker_hooks_connect()
'''
        (self.workdir / f"{self.module}.py").write_text(text)

    def _env(self, hooks: dict | None) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
        env.pop(HOOKS_ENV, None)
        env["DJANGO_SETTINGS_MODULE"] = self.module
        # The settings module may be rewritten within the same second: never run a stale .pyc.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPATH"] = os.pathsep.join([str(self.workdir), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        if hooks:
            env[HOOKS_ENV] = json.dumps({"marker_dir": str(self.workdir), **hooks})
        return env

    def _spawn(self, name: str, args: list[str], hooks: dict | None) -> Process:
        self.write_settings()  # the attributes as they are now (a test may have changed them)
        log = self.workdir / f"{name}.log"
        handle = open(log, "ab")
        popen = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "govportal", *args],
            cwd=ROOT,
            env=self._env(hooks),
            stdout=handle,
            stderr=subprocess.STDOUT,
            # Its own process group: a test can kill the worker with its pool at once.
            start_new_session=True,
        )
        handle.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_worker(self, name: str = "w1", *, concurrency: int = 2, hooks: dict | None = None) -> Process:
        process = self._spawn(
            name,
            [
                "worker",
                "--queues",
                QUEUES,
                "--pool",
                "prefork",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel",
                "INFO",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            hooks,
        )
        self.wait_for(process, "ready.", timeout=60)
        return process

    def start_beat(self) -> Process:
        process = self._spawn(
            "beat",
            ["beat", "--loglevel", "INFO", "--schedule", str(self.workdir / "celerybeat-schedule")],
            None,
        )
        self.wait_for(process, "beat: Starting", timeout=60)
        return process

    def wait_for(self, process: Process, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in process.log_text():
                return
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.log_text()}")
            time.sleep(0.2)
        raise RuntimeError(f"{process.name} did not log {text!r} within {timeout} s:\n{process.log_text()}")

    def stop(self, process: Process, *, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL to the whole group if it hangs."""
        if process.popen.poll() is None:
            process.popen.terminate()
            try:
                process.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.popen.pid, signal.SIGKILL)  # pool children left behind, if any
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} =====\n{p.log_text()[-6000:]}" for p in self.processes)


@contextmanager
def web_side_dispatches_to(broker_url: str, settings) -> Iterator[None]:
    """The web process sends its tasks over `broker_url` instead of running them eagerly.

    Test settings make tasks eager. Django's setting alone does not reach the
    Celery app (it read its configuration once), so the app's own conf is
    changed too, and its broker connections are dropped so the next publish
    connects to the isolated database; all of it is put back after. kombu keeps
    its pools in a registry keyed by connection: `pools.reset()` empties it, or
    a later test would be handed a closed pool. The result backend is left
    alone: it is one object per process, and nothing here reads a result.
    """
    from kombu import pools

    from govportal.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}

    def drop_pools() -> None:
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = broker_url
    drop_pools()
    try:
        yield
    finally:
        drop_pools()
        for key, value in saved.items():
            app.conf[key] = value


@pytest.fixture
def routing_cluster(transactional_db, live_server, settings, tmp_path) -> Iterator[RoutingCluster]:
    """Workers against the live test database; the web side dispatches over the same isolated broker.

    Needs PostgreSQL (row locks, real commits seen by other processes) and
    Redis: skipped locally without them, a failure in CI.
    """
    from django.db import connection

    from tests.conftest import require

    require("postgres", "redis")
    import redis

    broker_url = isolated_broker_url(settings.REDIS_URL)
    redis_start(broker_url)  # a previous test's outage must not leak into this one
    redis.Redis.from_url(broker_url).flushdb()  # our database only: queues, unacked messages, results
    cluster = RoutingCluster(workdir=tmp_path, database_name=connection.settings_dict["NAME"], broker_url=broker_url)
    with web_side_dispatches_to(broker_url, settings):
        try:
            yield cluster
        finally:
            cluster.stop_all()
            redis_start(broker_url)
            redis.Redis.from_url(broker_url).flushdb()

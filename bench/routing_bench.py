#!/usr/bin/env python
"""Routing benchmark: lag from commit to routed, and routed cases per second, on real Celery workers.

    .venv/bin/python bench/routing_bench.py --workers 1 --rate 50 --seconds 20
    .venv/bin/python bench/routing_bench.py --workers 2 --rate 50 --seconds 20

A benchmark, not a test: pytest never collects it. It needs PostgreSQL and
Redis on this machine (loopback only) and leaves everything else alone:

- its own database, `govportal_bench` on the server of DATABASE_URL (dropped
  and created again on every run), migrated and loaded with the 168 units, the
  routing rules, the catalogue and the demo citizens;
- its own Redis database (`--redis-db`, default 15) on the server of
  REDIS_URL, flushed on every run;
- `--workers` `celery worker` subprocesses (prefork, `--concurrency` each),
  the same command as the Procfile and docker-compose.

Two phases, each bounded in count and time:

1. Lag. Dossiers are submitted through the services (the same call the API
   and the pages make) at `--rate` per second for `--seconds`, from four
   threads. The commit instant is taken by an on-commit callback that runs
   before the routing dispatch. The routed instant is the worker's
   `task-succeeded` event for that dossier's `procedures.route_dossier` (sent
   once the routing transaction committed; the workers send task events, see
   settings). Lag = routed - commit: p50, p95, max. The lag to `routed_at` (the
   instant stamped inside the routing transaction) is given too.
2. Throughput. The workers are stopped, `--burst` dossiers are submitted (their
   routing messages wait in Redis), the workers are started again and drain
   the queue. Routed per second is measured between the 10th and the 90th
   percentile of `routed_at`, so worker start-up does not count.

Drafts (form data and documents) are prepared before each phase, so only the
submission itself is timed. Results are printed, and written as JSON with
`--json PATH`.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
BENCH_DATABASE = "govportal_bench"
QUEUES = "routing,notifications,payments,default"
ROUTE_TASK = "procedures.route_dossier"
SUBMIT_THREADS = 4
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
LIMITS = {"workers": 8, "concurrency": 16, "rate": 500, "seconds": 300, "burst": 20000}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker (default 2)")
    parser.add_argument("--rate", type=float, default=50, help="submissions per second in the lag phase")
    parser.add_argument("--seconds", type=float, default=20, help="length of the lag phase")
    parser.add_argument("--burst", type=int, default=2000, help="dossiers queued for the throughput phase (0: skip)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/govportal"),
        help="PostgreSQL server (its database name is replaced by govportal_bench)",
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--redis-db", type=int, default=15, help="Redis database used and flushed by the bench")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the worker logs and media folder")
    args = parser.parse_args(argv)
    for name, limit in LIMITS.items():
        value = getattr(args, name)
        if not 0 <= value <= limit or (name in ("workers", "concurrency", "rate", "seconds") and value <= 0):
            parser.error(f"--{name} must be between 1 and {limit}")
    for url in (args.database_url, args.redis_url):
        if urlsplit(url).hostname not in LOOPBACK:
            parser.error(f"loopback only: {url}")
    return args


# --- set-up --------------------------------------------------------------------------------


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def database_recreate(server_url: str) -> str:
    """Drop and create govportal_bench; return its URL."""
    import psycopg

    parts = urlsplit(server_url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return with_path(server_url, f"/{BENCH_DATABASE}")


def bench_environment(args, database_url: str, redis_url: str, workdir: Path) -> dict:
    """One environment for this process and the workers: base settings, the bench's database and broker."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "govportal.settings.base",
            "DEBUG": "False",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(workdir / "media"),
            "GOVPORTAL_VAR_DIR": str(workdir / "var"),
            # No beat runs here: the sweep must not route anything behind the measurement.
            "ROUTING_SWEEP_AFTER_SECONDS": "3600",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        }
    )
    return env


def load_reference_data() -> dict:
    """Migrate, then units, routing rules, catalogue and demo citizens, as `make setup` does."""
    from django.core.management import call_command

    from govportal.tiers.services import routing_rules_seed, units_load
    from identity.services import demo_dataset_seed
    from procedures.catalogue import catalogue_load

    call_command("migrate", verbosity=0, interactive=False)
    units_load()
    routing_rules_seed()
    catalogue_load()
    demo_dataset_seed()

    from govportal.tiers.models import Unit
    from identity.models import User
    from procedures.models import Procedure

    def free_online(tier: str) -> Procedure:
        for procedure in Procedure.objects.filter(tier=tier, is_active=True, online_level="full", min_eid_level__lte=2):
            if procedure.total_fee == 0 and (tier == "commune" or procedure.handling_department_id):
                return procedure
        raise RuntimeError(f"the catalogue has no free, fully online {tier}-tier procedure")

    return {
        "commune": free_online("commune"),
        "city": free_online("city"),
        "units": list(Unit.objects.filter(tier="commune", is_active=True).order_by("code")[:20]),
        "citizens": list(User.objects.filter(personal_id__gt="", eid_level__gte=2).order_by("pk")),
    }


def field_value(field: dict) -> str:
    kind = field.get("type")
    if kind == "date":
        return "2000-01-01"
    if kind == "number":
        return "1"
    if field.get("options"):
        option = field["options"][0]
        return str(option.get("value", option)) if isinstance(option, dict) else str(option)
    return "Benchmark"


def drafts_prepare(data: dict, count: int) -> list[int]:
    """Complete drafts (form data and documents) over 20 units; every tenth is city-tier."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from procedures import services

    ids = []
    for i in range(count):
        procedure = data["city"] if i % 10 == 9 else data["commune"]
        citizen = data["citizens"][i % len(data["citizens"])]
        dossier = services.dossier_draft_create(
            procedure=procedure, applicant=citizen, receiving_unit=data["units"][i % 20], eid_level=citizen.eid_level
        )
        form = {field["name"]: field_value(field) for field in procedure.form_fields if field.get("required")}
        services.dossier_draft_update(dossier=dossier, actor=citizen, form_data=form)
        for document in procedure.documents.all():
            if document.is_required and not document.replaceable_by_registry:
                upload = SimpleUploadedFile(f"{document.key}.pdf", PDF, content_type="application/pdf")
                services.document_attach(dossier=dossier, actor=citizen, upload=upload, key=document.key)
        ids.append(dossier.pk)
    return ids


# --- workers -------------------------------------------------------------------------------


class Workers:
    def __init__(self, env: dict, workdir: Path, count: int, concurrency: int):
        self.env, self.workdir, self.count, self.concurrency = env, workdir, count, concurrency
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self) -> None:
        for n in range(self.count):
            log = self.workdir / f"worker-{n + 1}-{len(self.processes)}.log"
            with open(log, "wb") as handle:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "--app",
                        "govportal",
                        "worker",
                        "--queues",
                        QUEUES,
                        "--pool",
                        "prefork",
                        "--concurrency",
                        str(self.concurrency),
                        "--hostname",
                        f"bench{n + 1}-{uuid.uuid4().hex[:6]}@%h",
                        "--loglevel",
                        "INFO",  # as the Procfile runs it: two log lines per task are part of the cost
                        "--without-heartbeat",
                        "--without-mingle",
                        "--without-gossip",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.processes.append((process, log))
        deadline = time.monotonic() + 90
        for process, log in self.processes:
            while "ready." not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.terminate()
        for process, _ in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=10)
        self.processes = []


# --- measuring -----------------------------------------------------------------------------


def submit(ids: list[int], *, rate: float | None) -> dict[int, float]:
    """Submit the drafts (at `rate` per second, or as fast as possible); return id -> commit instant."""
    from django.db import connection, transaction

    from identity.models import User
    from procedures import services
    from procedures.models import Dossier

    committed: dict[int, float] = {}
    lock = threading.Lock()
    position = iter(range(len(ids)))
    start = time.time() + 0.5
    errors: list[BaseException] = []

    def run() -> None:
        applicants = {}
        try:
            while True:
                with lock:
                    i = next(position, None)
                if i is None:
                    return
                if rate:
                    delay = start + i / rate - time.time()
                    if delay > 0:
                        time.sleep(delay)
                dossier = Dossier.objects.select_related("procedure").get(pk=ids[i])
                applicant = applicants.get(dossier.applicant_id) or User.objects.get(pk=dossier.applicant_id)
                applicants[applicant.pk] = applicant
                with transaction.atomic():
                    # Registered first, so it runs at the commit, before the routing dispatch.
                    transaction.on_commit(lambda pk=dossier.pk: committed.__setitem__(pk, time.time()))
                    services.dossier_transition(
                        dossier=dossier, action="submit", actor=applicant, eid_level=applicant.eid_level
                    )
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(SUBMIT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return committed


class RouteEvents:
    """Listens to the workers' task events: dossier id -> instant its routing task succeeded."""

    def __init__(self):
        self.succeeded: dict[int, float] = {}
        self._dossier_of: dict[str, int] = {}
        self._done_early: dict[str, float] = {}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._receiver = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("could not listen to the workers' events")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _received(self, event: dict) -> None:
        if event.get("name") != ROUTE_TASK:
            return
        dossier_id = int(ast.literal_eval(event["args"])[0])
        self._dossier_of[event["uuid"]] = dossier_id
        if event["uuid"] in self._done_early:
            self.succeeded.setdefault(dossier_id, self._done_early.pop(event["uuid"]))

    def _succeeded(self, event: dict) -> None:
        dossier_id = self._dossier_of.get(event["uuid"])
        if dossier_id is None:
            self._done_early[event["uuid"]] = event["timestamp"]
        else:
            self.succeeded.setdefault(dossier_id, event["timestamp"])

    def _run(self) -> None:
        from govportal.celery import app

        with app.connection_for_read() as connection:
            self._receiver = receiver = app.events.Receiver(
                connection, handlers={"task-received": self._received, "task-succeeded": self._succeeded}
            )
            consume_ready = receiver.on_consume_ready

            def on_consume_ready(*args, **kwargs):
                consume_ready(*args, **kwargs)
                self._ready.set()  # the event queue is bound: nothing sent from now on is missed

            receiver.on_consume_ready = on_consume_ready
            receiver.on_iteration = lambda: setattr(receiver, "should_stop", self._stop.is_set())
            receiver.capture(limit=None, timeout=None, wakeup=False)


def wait_routed(ids: list[int], *, timeout: float) -> dict[int, float]:
    from procedures.models import Dossier

    deadline = time.monotonic() + timeout
    while True:
        rows = dict(Dossier.objects.filter(pk__in=ids, routed_at__isnull=False).values_list("pk", "routed_at"))
        if len(rows) == len(ids) or time.monotonic() > deadline:
            return {pk: at.timestamp() for pk, at in rows.items()}
        time.sleep(0.5)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def check_routed_once(ids: list[int]) -> int:
    """Dossiers without exactly one route event (must be 0)."""
    from django.db.models import Count

    from procedures.models import DossierEvent

    counts = dict(
        DossierEvent.objects.filter(dossier_id__in=ids, action="route")
        .values("dossier_id")
        .annotate(n=Count("id"))
        .values_list("dossier_id", "n")
    )
    return sum(1 for pk in ids if counts.get(pk) != 1)


def wait_events(events: RouteEvents, ids: list[int], *, timeout: float = 30) -> dict[int, float]:
    deadline = time.monotonic() + timeout
    while any(pk not in events.succeeded for pk in ids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return {pk: events.succeeded[pk] for pk in ids if pk in events.succeeded}


def ms(values: list[float]) -> dict:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 0.50) * 1000, 1),
        "p95": round(percentile(values, 0.95) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


def per_second(times: list[float]) -> dict:
    """Steady rate between the 10th and 90th percentile instants, and over the whole run."""
    times = sorted(times)
    if len(times) < 2:
        return {}
    low, high = percentile(times, 0.10), percentile(times, 0.90)
    middle = sum(1 for t in times if low <= t <= high)
    return {
        "p10_p90": round((middle - 1) / (high - low), 1) if high > low else None,
        "overall": round((len(times) - 1) / (times[-1] - times[0]), 1) if times[-1] > times[0] else None,
    }


def lag_phase(args, data, events: RouteEvents) -> dict:
    count = round(args.rate * args.seconds)
    ids = drafts_prepare(data, count)
    started = time.time()
    committed = submit(ids, rate=args.rate)
    submitted_in = max(committed.values()) - min(committed.values())
    routed_at = wait_routed(ids, timeout=args.seconds + 120)
    succeeded = wait_events(events, ids)
    return {
        "dossiers": count,
        "target_rate": args.rate,
        "achieved_rate": round((count - 1) / submitted_in, 1) if submitted_in else None,
        "routed": len(routed_at),
        "not_routed_once": check_routed_once(ids),
        "lag_ms": ms([succeeded[pk] - committed[pk] for pk in ids if pk in succeeded]),
        "lag_to_routed_at_ms": ms([routed_at[pk] - committed[pk] for pk in ids if pk in routed_at]),
        "events_seen": len(succeeded),
        "wall_seconds": round(time.time() - started, 1),
    }


def throughput_phase(args, data, workers: Workers, events: RouteEvents) -> dict:
    ids = drafts_prepare(data, args.burst)
    workers.stop()
    committed = submit(ids, rate=None)  # as fast as possible; the messages wait in Redis
    queued_in = max(committed.values()) - min(committed.values())
    workers.start()
    routed_at = wait_routed(ids, timeout=600)
    succeeded = wait_events(events, ids)
    return {
        "dossiers": args.burst,
        "queued_per_second": round((args.burst - 1) / queued_in, 1) if queued_in else None,
        "routed": len(routed_at),
        "not_routed_once": check_routed_once(ids),
        "routed_per_second": per_second(list(succeeded.values()) or list(routed_at.values())),
        "events_seen": len(succeeded),
    }


def machine() -> dict:
    def run(*command) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (postgres,) = cursor.fetchone()
    import redis
    from django.conf import settings

    redis_version = redis.Redis.from_url(settings.REDIS_URL).info("server")["redis_version"]
    import celery
    import django

    model = [line.split(":", 1)[1].strip() for line in run("lscpu").splitlines() if line.startswith("Model name")]
    memory = [line.split()[1] for line in run("free", "-g").splitlines() if line.startswith("Mem:")]
    return {
        "nproc": run("nproc"),
        "cpu": model[0] if model else platform.processor(),
        "memory_gib": memory[0] if memory else "?",
        "python": platform.python_version(),
        "django": django.get_version(),
        "celery": celery.__version__,
        "postgresql": postgres,
        "redis": redis_version,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="govportal-bench-"))
    database_url = database_recreate(args.database_url)
    redis_url = with_path(args.redis_url, f"/{args.redis_db}")
    env = bench_environment(args, database_url, redis_url, workdir)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    print(f"Preparing {BENCH_DATABASE} (migrate, units, rules, catalogue, citizens)...", flush=True)
    data = load_reference_data()
    workers = Workers(env, workdir, args.workers, args.concurrency)
    results = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "machine": machine()}
    results["setup"] = {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "submit_threads": SUBMIT_THREADS,
        "commune_procedure": data["commune"].code,
        "city_procedure": data["city"].code,
    }
    events = RouteEvents()
    try:
        events.start()
        workers.start()
        print(f"Lag phase: {args.rate:g}/s for {args.seconds:g} s on {args.workers} worker(s)...", flush=True)
        results["lag"] = lag_phase(args, data, events)
        if args.burst:
            print(f"Throughput phase: {args.burst} queued dossiers...", flush=True)
            results["throughput"] = throughput_phase(args, data, workers, events)
    finally:
        workers.stop()
        events.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    failed = results["lag"]["not_routed_once"] or results.get("throughput", {}).get("not_routed_once")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

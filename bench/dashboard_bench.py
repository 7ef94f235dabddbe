#!/usr/bin/env python
"""Dashboard benchmark: the city dashboard, the scorecard and the stats API at city scale, through a real server.

    .venv/bin/python bench/dashboard_bench.py --dossiers 1000000 --reports 200000 --json /tmp/dash-1m.json
    .venv/bin/python bench/dashboard_bench.py --dossiers 100000 --reports 20000 --json /tmp/dash-100k.json
    .venv/bin/python bench/dashboard_bench.py --reuse ...   # keep the data set when it is already there

A benchmark, not a test: pytest never collects it. It needs PostgreSQL and
Redis on this machine (loopback only) and leaves everything else alone:

- its own database, `govportal_bench_stats` on the server of DATABASE_URL
  (dropped and created again, unless `--reuse` finds it with the asked data),
  set up as `make setup` does (`setup_portal`: units, catalogue, categories,
  demo accounts), then filled by `generate_city_data` (COPY);
- its own Redis database (`--redis-db`, default 10), flushed on every run;
- a gunicorn server on a loopback port, started as the Procfile starts it
  (`--workers 2 --threads 4`), base settings with DEBUG off.

What it measures, each bounded in count:

1. the data set's generation, phase by phase (when it generates);
2. the dashboards' selectors called directly (`selectors.scoreboard(...)`
   and the rest), `--repeats` times each after a warm-up;
3. `--requests` sequential HTTP requests per page (after `--warmup`), with a
   city admin's session cookie: a bare view on the same stack (`/healthz`),
   `/scorecard/`, `/dashboard/city/`, `/api/v1/stats/units/`, and
   `/dashboard/unit/<code>/` of the busiest unit: p50, p95, max;
4. `stats_refresh()` after `--transitions` random transitions through the
   services (results returned, starts, supplement requests, withdrawals,
   stops, and ratings: the days they touch are recounted), and the full
   `stats_rebuild()`; with the server's JIT setting, then with JIT off, then
   (refresh only) with the ratings spread over results of any age.

The selectors are also timed with JIT off when the server has it on: the
recount's big aggregate costs PostgreSQL more to JIT-compile than to run.

Results are printed, and written as JSON with `--json PATH`.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
BENCH_DATABASE = "govportal_bench_stats"
LIMITS = {"dossiers": 5_000_000, "reports": 1_000_000, "requests": 5000, "repeats": 1000, "transitions": 20000}
PAGES = ("/healthz", "/scorecard/", "/dashboard/city/", "/api/v1/stats/units/", "/dashboard/unit/{unit}/")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000, help="synthetic dossiers (default 1,000,000)")
    parser.add_argument("--reports", type=int, default=200_000, help="synthetic reports (default 200,000)")
    parser.add_argument("--days", type=int, default=730, help="days the cases are spread over")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the database when it holds the asked data")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per page first")
    parser.add_argument("--repeats", type=int, default=30, help="calls per selector")
    parser.add_argument("--transitions", type=int, default=1000, help="random transitions before stats_refresh")
    parser.add_argument("--no-http", action="store_true", help="measure the selectors only")
    parser.add_argument("--no-rebuild", action="store_true", help="do not time the full stats_rebuild")
    parser.add_argument(
        "--pg-options",
        default="",
        help='PostgreSQL session settings for every connection (libpq PGOPTIONS), e.g. "-c jit=off"',
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/govportal"),
        help=f"PostgreSQL server (its database name is replaced by {BENCH_DATABASE})",
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--redis-db", type=int, default=10, help="Redis database used and flushed by the bench")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    for name, limit in LIMITS.items():
        if not 0 <= getattr(args, name) <= limit:
            parser.error(f"--{name} must be between 0 and {limit}")
    if args.requests < 1 or args.repeats < 1:
        parser.error("--requests and --repeats must be at least 1")
    for url in (args.database_url, args.redis_url):
        if urlsplit(url).hostname not in LOOPBACK:
            parser.error(f"loopback only: {url}")
    return args


# --- set-up --------------------------------------------------------------------------------


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def database_prepare(server_url: str, *, reuse: bool) -> tuple[str, bool]:
    """Drop and create the bench database (or keep it with --reuse); return its URL and whether it is new."""
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
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
        if exists and reuse:
            return with_path(server_url, f"/{BENCH_DATABASE}"), False
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return with_path(server_url, f"/{BENCH_DATABASE}"), True


def bench_environment(database_url: str, redis_url: str, pg_options: str = "") -> dict:
    """One environment for this process and gunicorn: base settings, DEBUG off, the bench's database and Redis."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "govportal.settings.base",
            "DEBUG": "False",
            "DEMO_ENABLED": "True",  # the demo city admin logs in; synthetic data needs it
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PGOPTIONS": pg_options,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        }
    )
    return env


def data_prepare(args, fresh: bool) -> dict:
    """setup_portal, then the synthetic city unless --reuse found exactly the asked data."""
    from django.core.management import call_command

    from govportal.dashboard import synthetic

    started = time.monotonic()
    call_command("setup_portal", verbosity=0, stdout=io.StringIO())
    result = {"setup_portal_s": round(time.monotonic() - started, 1), "reused": False}
    counts = synthetic.synthetic_counts()
    if not fresh and counts["dossiers"] == args.dossiers and counts["reports"] == args.reports:
        from govportal.dashboard.aggregates import stats_refresh

        print(f"Reusing {BENCH_DATABASE}: {counts}", flush=True)
        stats_refresh()
        result.update(reused=True, counts=counts)
        return result
    print(f"Generating {args.dossiers:,} dossiers and {args.reports:,} reports...", flush=True)
    started = time.monotonic()
    totals = synthetic.generate(
        dossiers=args.dossiers,
        reports=args.reports,
        days=args.days,
        seed=args.seed,
        replace=True,
        log=lambda message: print(message, flush=True),
    )
    result.update(
        seconds=totals.seconds,
        total_s=round(time.monotonic() - started, 1),
        counts=synthetic.synthetic_counts(),
        dossier_statuses=totals.statuses,
        report_statuses=totals.report_statuses,
    )
    return result


# --- measuring -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def ms(values: list[float]) -> dict:
    if not values:
        return {}
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.50) * 1000, 1),
        "p95": round(percentile(values, 0.95) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


def timed(function, *, repeats: int, warmup: int = 2) -> dict:
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return ms(times)


def busiest_unit():
    from django.db.models import Sum

    from govportal.dashboard.models import DossierUnitDay
    from govportal.tiers.models import Unit

    row = (
        DossierUnitDay.objects.filter(unit__tier="commune")
        .values("unit_id")
        .annotate(n=Sum("total"))
        .order_by("-n")
        .first()
    )
    return Unit.objects.get(pk=row["unit_id"]) if row else Unit.objects.filter(tier="commune").first()


def selectors_measure(args, unit) -> dict:
    """The reads behind the pages, called directly (no HTTP): what a page's view costs at most."""
    from django.utils import timezone

    from feedback.indicators import late_reports
    from govportal.dashboard import selectors
    from govportal.dashboard.aggregates import counted_until
    from procedures.indicators import late_dossiers

    period = selectors.default_period()
    today = timezone.localdate()
    whole = selectors.Period(today - timedelta(days=args.days - 1), today)
    quarter = selectors.Period(today - timedelta(days=89), today)
    now = timezone.now()
    calls = {
        "scoreboard(year so far)": lambda: selectors.scoreboard(period),
        "scoreboard(whole range)": lambda: selectors.scoreboard(whole),
        "scoreboard(last 90 days)": lambda: selectors.scoreboard(quarter),
        "city_counts(year so far)": lambda: selectors.city_counts(period),
        "trend(week, city)": lambda: selectors.trend(period, every="week"),
        "trend(month, city, whole range)": lambda: selectors.trend(whole, every="month"),
        "by_field(city)": lambda: selectors.by_field(period),
        "counted_until()": counted_until,
        "trend(week, unit)": lambda: selectors.trend(period, every="week", unit_id=unit.pk),
        "by_field(unit: scans its dossiers)": lambda: selectors.by_field(period, unit_id=unit.pk),
        "due_next(unit)": lambda: selectors.due_next(unit.pk),
        "officer_load(unit)": lambda: selectors.officer_load(unit.pk),
        "late_dossiers(unit)[:50]": lambda: list(
            late_dossiers(unit_id=unit.pk, day_from=period.day_from, day_to=period.day_to, now=now)[:50]
        ),
        "late_reports(unit)[:50]": lambda: list(
            late_reports(unit_id=unit.pk, day_from=period.day_from, day_to=period.day_to, now=now)[:50]
        ),
    }
    results = {}
    for name, call in calls.items():
        results[name] = timed(call, repeats=args.repeats)
        print(f"  {name}: {results[name]}", flush=True)
    return results


class Server:
    """gunicorn as the Procfile runs it, on a loopback port."""

    def __init__(self, env: dict, workdir: Path, args):
        self.env, self.workdir, self.args = env, workdir, args
        self.process = None
        self.log = workdir / "gunicorn.log"

    def start(self) -> None:
        with open(self.log, "wb") as handle:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "govportal.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.args.port}",
                    "--workers",
                    str(self.args.gunicorn_workers),
                    "--threads",
                    str(self.args.gunicorn_threads),
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = request("/healthz", port=self.args.port)
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


def request(path: str, *, port: int, cookie: str = "", connection=None) -> tuple[int, int, object]:
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie, "Accept-Language": "vi"} if cookie else {"Accept-Language": "vi"}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if own:
        connection.close()
    return response.status, len(body), connection


def admin_cookie() -> str:
    """A city admin's session, made by Django's own login (the demo admin has its second factor set up)."""
    from django.conf import settings
    from django.test import Client

    from identity.models import User

    admin = User.objects.filter(postings__role="city_admin", postings__is_active=True).order_by("pk").first()
    if admin is None:
        raise RuntimeError("no city admin: setup_portal did not seed the demo accounts")
    client = Client()
    client.force_login(admin)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def http_measure(args, unit, cookie: str) -> dict:
    results = {}
    for template in PAGES:
        path = template.format(unit=unit.code)
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        statuses: dict[int, int] = {}
        times, size = [], 0
        for i in range(args.warmup + args.requests):
            started = time.perf_counter()
            status, size, _ = request(path, port=args.port, cookie=cookie, connection=connection)
            elapsed = time.perf_counter() - started
            if i >= args.warmup:
                times.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()
        results[template] = {"path": path, **ms(times), "statuses": statuses, "bytes": size}
        print(f"  {path}: {results[template]}", flush=True)
    return results


# --- refresh after activity ----------------------------------------------------------------


def bench_officer(units):
    """One officer posted to every unit, so the services accept its transitions anywhere."""
    from govportal.tiers.models import Posting
    from identity.models import User

    officer, _ = User.objects.get_or_create(username="bench.officer", defaults={"full_name": "Bench officer"})
    Posting.objects.bulk_create(
        [Posting(user=officer, unit=unit, role="officer") for unit in units], ignore_conflicts=True
    )
    return officer


def random_transitions(count: int, seed: int, *, spread: bool) -> dict:
    """`count` transitions through the services on random dossiers (the days they touch are the refresh's work).

    The open dossiers are recent, so their transitions touch the last weeks.
    Ratings go to results returned in the last 30 days (as citizens rate),
    or, with `spread`, to results of any age: many more days to recount (the
    worst case short of a rebuild).
    """
    from django.db.models import Max, Min
    from django.utils import timezone

    from govportal.tiers.models import Unit
    from procedures import services
    from procedures.models import Dossier

    rng = random.Random(seed)
    officer = bench_officer(list(Unit.objects.filter(is_active=True)))
    plans = {
        "decided": ("return_result", "officer", 15),
        "received": ("start_processing", "officer", 10),
        "processing": ("request_supplement", "officer", 10),
        "supplement_requested": ("withdraw", "applicant", 10),
        "payment_required": ("stop", "officer", 10),
    }
    queue = []
    for status, (action, who, share) in plans.items():
        wanted = count * share // 100
        rows = list(
            Dossier.objects.filter(status=status).order_by("?").select_related("procedure", "applicant")[:wanted]
        )
        queue += [(dossier, action, who) for dossier in rows]
    finished = Dossier.objects.filter(status="result_returned")
    if spread:
        bounds = finished.aggregate(low=Min("id"), high=Max("id"))
        sample = rng.sample(range(bounds["low"], bounds["high"] + 1), min(count * 4, bounds["high"] - bounds["low"]))
        finished = finished.filter(pk__in=sample)
    else:
        finished = finished.filter(closed_at__gte=timezone.now() - timedelta(days=30)).order_by("?")
    rated = list(finished.select_related("procedure", "applicant")[: count * 2])
    rng.shuffle(rated)
    queue += [(dossier, "rate", "applicant") for dossier in rated[: max(0, count - len(queue))]]
    done: dict[str, int] = {}
    failed: dict[str, int] = {}
    started = time.monotonic()
    for dossier, action, who in queue[:count]:
        try:
            services.dossier_transition(
                dossier=dossier,
                action=action,
                actor=dossier.applicant if who == "applicant" else officer,
                note="Benchmark",
                rating=rng.randint(1, 5) if action == "rate" else None,
            )
            done[action] = done.get(action, 0) + 1
        except Exception as error:  # counted and reported: a guard refused it
            key = f"{action}: {type(error).__name__} {getattr(error, 'code', '')}".strip()
            failed[key] = failed.get(key, 0) + 1
    return {
        "ratings": "any age" if spread else "last 30 days",
        "done": done,
        "failed": failed,
        "total": sum(done.values()),
        "seconds": round(time.monotonic() - started, 1),
    }


def refresh_measure(args) -> dict:
    """stats_refresh after random transitions, and the full stats_rebuild: with the session's JIT, then without.

    A third round spreads the ratings over results of any age (many more days to recount).
    """
    from django.db import connection

    from govportal.dashboard.aggregates import stats_rebuild, stats_refresh
    from govportal.dashboard.models import StaleDay

    def jit(value: str | None) -> str:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit" if value is None else f"SET jit = {value}")
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    results = {}
    rounds = (("session_default", None, False), ("jit_off", "off", False), ("jit_off_spread", "off", True))
    for round_number, (name, value, spread) in enumerate(rounds):
        result = {"jit": jit(value)}
        started = time.perf_counter()
        result["refresh_idle"] = {"days": stats_refresh(), "ms": round((time.perf_counter() - started) * 1000, 1)}
        print(f"Applying {args.transitions} random transitions (JIT {result['jit']})...", flush=True)
        result["transitions"] = random_transitions(args.transitions, args.seed + round_number, spread=spread)
        result["stale_marks"] = StaleDay.objects.count()
        result["stale_days"] = StaleDay.objects.values("kind", "day").distinct().count()
        started = time.perf_counter()
        days = stats_refresh()
        result["refresh_after_transitions"] = {"days": days, "ms": round((time.perf_counter() - started) * 1000, 1)}
        print(f"  stats_refresh: {result['refresh_after_transitions']}", flush=True)
        if not args.no_rebuild and not spread:
            started = time.perf_counter()
            stats_rebuild()
            result["rebuild_s"] = round(time.perf_counter() - started, 1)
            print(f"  stats_rebuild: {result['rebuild_s']} s", flush=True)
        results[name] = result
    jit(None)
    return results


# --- machine ---------------------------------------------------------------------------------


def machine() -> dict:
    def run(*command) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    import platform

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (postgres,) = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        (size,) = cursor.fetchone()
    memory = [line.split()[1] for line in run("free", "-g").splitlines() if line.startswith("Mem:")]
    return {
        "nproc": run("nproc"),
        "lscpu": run("lscpu").splitlines()[:10],
        "memory_gib": memory[0] if memory else "?",
        "loadavg_at_start": run("cat", "/proc/loadavg"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "database_size": size,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="govportal-dashbench-"))
    database_url, fresh = database_prepare(args.database_url, reuse=args.reuse)
    redis_url = with_path(args.redis_url, f"/{args.redis_db}")
    env = bench_environment(database_url, redis_url, args.pg_options)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    results = {"command": " ".join([Path(sys.executable).name, *sys.argv])}
    results["data"] = data_prepare(args, fresh)
    results["machine"] = machine()
    unit = busiest_unit()
    results["unit"] = {"code": unit.code, "name": unit.name}
    print("Selectors (direct calls):", flush=True)
    results["selectors_ms"] = selectors_measure(args, unit)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    if jit == "on":
        print("Selectors again, JIT off:", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        results["selectors_ms_jit_off"] = selectors_measure(args, unit)
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
    server = Server(env, workdir, args)
    try:
        if not args.no_http:
            cookie = admin_cookie()
            server.start()
            print(f"HTTP ({args.requests} requests per page after {args.warmup} warm-up):", flush=True)
            results["http_ms"] = http_measure(args, unit, cookie)
    finally:
        server.stop()
        from django.db import connections

        connections.close_all()
    results["refresh"] = refresh_measure(args)
    from django.db import connections

    connections.close_all()
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

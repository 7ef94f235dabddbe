#!/usr/bin/env python
"""`make bench`: the portal's scenarios at city scale, each against a bare Django baseline in the same run.

    .venv/bin/python bench/run.py                                  # 100,000 then 1,000,000 dossiers
    .venv/bin/python bench/run.py --sizes 100000 --seconds 5       # make bench BENCH_ARGS="..."

For each size (dossiers; reports a fifth of that; payments as the generator makes them) it fills its own
database with `manage.py generate_city_data` (adding up to the size), moves open dossiers into two officers'
units (5,000 and 50,000 by default), starts gunicorn (bench/settings_run.py: production settings plus a
query counter) and a Celery worker, and runs every scenario of bench/scenarios.py in short rounds
alternating with its baseline (A, B, A, B ...). Then the `track` rate limit on a server without the raise,
the routing lag of the submissions, and the peak RSS of a web and a worker process.

Results: bench/results/bench-<UTC time>.{md,csv} and latest.{md,csv} (`--out`). A benchmark, not a test;
tests/bench/test_bench_smoke.py runs it on tiny data. Loopback PostgreSQL and Redis only; it drops and
re-creates its database (`--database`, default govportal_benchrun) and flushes its Redis db (`--redis-db`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RAISED_LIMITS = {"RATE_LIMIT_TRACK": "100000000/m", "RATE_LIMIT_DRAFT_CREATE": "100000000/h"}
COLUMNS = [
    "dossiers",
    "scenario",
    "what",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "requests",
    "errors",
    "queries",
    "baseline",
    "baseline_rps",
    "baseline_p50_ms",
    "ratio",
    "growth_p50",
    "status",
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="dossier counts, comma-separated, ascending")
    parser.add_argument("--open", default="5000,50000", help="open dossiers in the two officers' units")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario (and baseline)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds the seconds are split into")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (threads)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--only", default="", help="run only these scenarios (comma-separated names)")
    parser.add_argument("--database", default="govportal_benchrun")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--days", type=int, default=730, help="days the generated cases spread over")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.sizes != sorted(args.sizes) or not args.sizes:
        parser.error("--sizes must be ascending")
    args.open = [int(s) for s in args.open.split(",")]
    if args.redis_db == 0:
        parser.error("Redis db 0 belongs to the portal; pick another --redis-db")
    for url in (args.database_url, args.redis_url):
        if urlsplit(url).hostname not in LOOPBACK:
            parser.error(f"loopback services only: {url}")
    return args


def database_url(args, name: str) -> str:
    parts = urlsplit(args.database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(args) -> None:
    import psycopg

    with psycopg.connect(database_url(args, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')


def flush_redis(args) -> None:
    import redis

    redis.Redis.from_url(f"{args.redis_url}/{args.redis_db}").flushdb()


def manage(env: dict, *command: str) -> float:
    """Run manage.py with the portal's base settings and demo data on (setup, generation); its duration."""
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "govportal.settings.base", "DEMO_ENABLED": "1"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.monotonic() - began, 1)


class Servers:
    """gunicorn (sync workers) and a Celery worker on the bench settings; stopped on exit."""

    def __init__(self, args, env: dict, log_dir: Path):
        self.args, self.env, self.log_dir = args, env, log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start_web(self, name: str, port: int, workers: int, extra_env: dict) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "govportal.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(workers), "--timeout", "120", "--graceful-timeout", "5"],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if load.Http(port, timeout=5).request("GET", "/bench/read-one/")[0] == 200:
                    return
            except OSError:
                pass
            if self.processes[name].poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not start: see {self.log_dir / (name + '.log')}")

    def start_worker(self) -> None:
        path = self.log_dir / "worker.log"
        log = open(path, "ab")
        self.processes["worker"] = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "govportal", "worker", "--pool", "prefork"]
            + ["--concurrency", str(self.args.worker_concurrency), "--loglevel", "INFO", "--without-gossip"]
            + ["--queues", "routing,notifications,payments,default", "--hostname", f"bench-{os.getpid()}@%h"],
            cwd=ROOT,
            env={**self.env, **RAISED_LIMITS},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if b" ready." in path.read_bytes():
                return
            if self.processes["worker"].poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"the Celery worker did not start: see {path}")

    def peak_rss_mb(self, name: str) -> float | None:
        """The largest VmHWM among the process's children (gunicorn workers, Celery pool processes) and itself."""
        process = self.processes.get(name)
        if process is None:
            return None
        pids = [process.pid]
        try:
            pids += [int(p) for p in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()]
        except OSError:
            pass
        peaks = []
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return round(max(peaks), 1) if peaks else None

    def stop(self, name: str | None = None) -> None:
        for key in [name] if name else list(self.processes):
            process = self.processes.pop(key, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def measure(scenario, baseline, args) -> tuple[load.Sample, load.Sample]:
    """Baseline and scenario in alternating short rounds (A, B, A, B ...), after one probe call of each."""
    probe = load.Http(args.port)
    try:
        for call in (baseline, scenario.call):
            call(probe, 0)  # a wrong answer stops the run here, with its reason
    finally:
        probe.close()
    a, b = load.Sample(), load.Sample()
    per_round = args.seconds / args.rounds
    for round_no in range(args.rounds):
        seq = (round_no + 1) * 1_000_000
        a.add(load.run(baseline, port=args.port, seconds=per_round, connections=args.connections, start_seq=seq))
        b.add(load.run(scenario.call, port=args.port, seconds=per_round, connections=args.connections, start_seq=seq))
    return a, b


def rate_limit_run(args, servers: Servers, code_paths: list[str]) -> dict:
    """The real `track` limit (production's default): one client asking one code in a row on a second server."""
    port = args.port + 1
    servers.start_web("web-limited", port, 1, {})
    http = load.Http(port)
    statuses: dict[int, int] = {}
    try:
        for _ in range(60):
            status = http.request("GET", code_paths[0])[0]
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        http.close()
        servers.stop("web-limited")
    return statuses


def routing_lag(started_at) -> dict:
    """Submission (its commit stamp) to routed, for the dossiers the submission scenario filed; waits for them."""
    from procedures.models import Dossier

    filed = Dossier.objects.filter(created_at__gte=started_at, submitted_at__isnull=False).exclude(
        code__startswith="SYN-"
    )
    deadline = time.monotonic() + 120
    while filed.filter(routed_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    lags = sorted(
        (routed - submitted).total_seconds() * 1000
        for submitted, routed in filed.filter(routed_at__isnull=False).values_list("submitted_at", "routed_at")
    )
    pct = lambda p: round(lags[min(len(lags) - 1, int(p / 100 * len(lags)))], 1) if lags else None  # noqa: E731
    return {
        "filed": filed.count(),
        "not_routed": filed.filter(routed_at__isnull=True).count(),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "max_ms": round(lags[-1], 1) if lags else None,
    }


def run_size(args, servers, size: int, rows: list[dict], extras: dict) -> None:
    import django
    from django.db import connection
    from django.utils import timezone

    from bench import scenarios as bench_scenarios

    connection.close()
    targets = dict(zip(bench_scenarios.QUEUE_UNITS, args.open, strict=True))
    counts = bench_scenarios.set_open_dossiers(targets)
    scenario_list, facts = bench_scenarios.build(open_targets=targets)
    if args.only:
        wanted = set(args.only.split(","))
        scenario_list = [s for s in scenario_list if s.name in wanted]
    baselines = bench_scenarios.baselines()
    extras[size] = {"open": counts, "submission": facts["submission"], "django": django.get_version()}
    connection.close()

    servers.start_web("web", args.port, args.web_workers, RAISED_LIMITS)
    servers.start_worker()
    submissions_from = timezone.now()
    try:
        for scenario in scenario_list:
            base, sample = measure(scenario, baselines[scenario.baseline], args)
            b, s = base.summary(), sample.summary()
            rows.append(
                {
                    "dossiers": size,
                    "scenario": scenario.name,
                    "what": scenario.what,
                    **{k: s[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "requests", "errors", "queries")},
                    "baseline": scenario.baseline,
                    "baseline_rps": b["rps"],
                    "baseline_p50_ms": b["p50_ms"],
                    "ratio": round(s["rps"] / b["rps"], 3) if b["rps"] else None,
                    "growth_p50": None,
                    "status": "ok" if s["errors"] == 0 and b["errors"] == 0 and s["requests"] else "FAILED",
                    "error_examples": sample.error_examples + base.error_examples,
                }
            )
            print(f"[{size:,}] {scenario.name}: {s} | baseline {b['rps']} req/s", flush=True)
        extras[size]["rss_web_mb"] = servers.peak_rss_mb("web")
        extras[size]["rss_worker_mb"] = servers.peak_rss_mb("worker")
        if any(s.name == "submission" for s in scenario_list):
            extras[size]["routing_lag"] = routing_lag(submissions_from)
        servers.stop("web")
        extras[size]["rate_limit"] = rate_limit_run(args, servers, facts["track_codes"])
    finally:
        servers.stop()
        connection.close()


def add_growth(rows: list[dict]) -> None:
    first: dict[str, dict] = {}
    for row in rows:
        base = first.setdefault(row["scenario"], row)
        if base is not row and base["p50_ms"] and row["p50_ms"]:
            row["growth_p50"] = round(row["p50_ms"] / base["p50_ms"], 2)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} × {cpu}, {int(mem) / 1024 / 1024:.1f} GiB, Python {platform.python_version()}"


def write_results(args, rows: list[dict], extras: dict, generation: dict, started: datetime) -> dict[str, Path]:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    failed = [row for row in rows if row["status"] != "ok"]
    lines = [
        f"# `make bench`: {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}. gunicorn {args.web_workers} sync workers, Celery worker ×{args.worker_concurrency}, "
        f"{args.connections} connections, {args.seconds:g} s per scenario and per baseline in {args.rounds} "
        "alternating rounds. ratio = req/s of the scenario / req/s of its baseline; growth = p50 / p50 at the "
        "first size.",
        "",
        f"**{'FAILED: ' + ', '.join(sorted({r['scenario'] for r in failed})) if failed else 'All scenarios ran without errors.'}**",
        "",
        "| dossiers | scenario | req/s | p50 ms | p95 ms | p99 ms | errors | queries/req | baseline req/s | ratio | growth | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dossiers']:,} | {r['scenario']} ({r['what']}) | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['p99_ms']} | {r['errors']}/{r['requests']} | {r['queries']} | {r['baseline']} {r['baseline_rps']} | "
            f"{r['ratio']} | {r['growth_p50'] or ''} | {r['status']} |"
        )
    lines += [
        "",
        "| dossiers | generation s | open in the queue units | routing lag | track limit (60 in a row) | peak RSS web / worker |",
        "|---|---|---|---|---|---|",
    ]
    for size, extra in extras.items():
        lag = extra.get("routing_lag") or {}
        lines.append(
            f"| {size:,} | {generation.get(size, '')} | {extra['open']} | "
            f"p50 {lag.get('p50_ms')} / p95 {lag.get('p95_ms')} / max {lag.get('max_ms')} ms, "
            f"{lag.get('not_routed')} of {lag.get('filed')} not routed | {extra.get('rate_limit')} | "
            f"{extra.get('rss_web_mb')} / {extra.get('rss_worker_mb')} MB |"
        )
    examples = [(r["scenario"], e) for r in rows for e in r.get("error_examples", [])]
    if examples:
        lines += ["", "Errors (first of each):", ""] + [f"- {name}: `{e[:300]}`" for name, e in examples[:20]]
    lines += ["", f"Submission scenario: {next(iter(extras.values()))['submission'] if extras else ''}.", ""]
    markdown = "\n".join(lines)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    paths = {}
    for name, text in ((f"bench-{stamp}.csv", buffer.getvalue()), (f"bench-{stamp}.md", markdown)):
        (out / name).write_text(text)
        latest = out / ("latest" + Path(name).suffix)
        latest.write_text(text)
        paths[Path(name).suffix] = out / name
    (out / f"bench-{stamp}.json").write_text(
        json.dumps({"rows": rows, "extras": extras, "generation": generation}, default=str, indent=1)
    )
    return paths


def main(argv=None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(args, args.database),
        "REDIS_URL": f"{args.redis_url}/{args.redis_db}",
        "DJANGO_SETTINGS_MODULE": "bench.settings_run",
        "PYTHONPATH": str(ROOT),
        "MEDIA_ROOT": str(Path(args.out) / "media"),
    }
    os.environ.update(env)
    log_dir = Path(args.out) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)

    recreate_database(args)
    flush_redis(args)
    print(f"setup_portal: {manage(env, 'setup_portal')} s", flush=True)
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:  # the insert baseline's table, made before the first request
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert_one "
            "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), note text NOT NULL)"
        )
    connection.close()

    rows: list[dict] = []
    extras: dict = {}
    generation: dict = {}
    servers = Servers(args, env, log_dir)
    have = 0
    try:
        for size in args.sizes:
            more = size - have
            generation[size] = manage(
                env,
                "generate_city_data",
                "--allow",
                f"--dossiers={more}",
                f"--reports={more // 5}",
                f"--days={args.days}",
                f"--seed={size}",
            )
            have = size
            print(f"generated {size:,} dossiers in {generation[size]} s", flush=True)
            run_size(args, servers, size, rows, extras)
    finally:
        servers.stop()
        add_growth(rows)
        paths = write_results(args, rows, extras, generation, started)
        print(f"results: {paths['.md']} and {paths['.csv']}", flush=True)
    failed = [r for r in rows if r["status"] != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

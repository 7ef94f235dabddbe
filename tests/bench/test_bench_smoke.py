"""`make bench` on tiny data, so that the harness cannot rot: it completes, with no error, and writes its results.

Not a timed test: no figure is asserted, only that every scenario ran and answered as it should.
"""

import csv
import json
import os
import random
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "catalogue_page",
    "catalogue_api",
    "track_page",
    "track_api",
    "submission",
    "queue_page_20",
    "queue_api_20",
    "queue_page_60",
    "queue_api_60",
    "report_intake",
    "payment_callback",
    "city_dashboard",
    "scorecard",
}


def free_port() -> int:
    """A loopback port whose next one is free too (the rate-limit run uses port + 1).

    Below the kernel's ephemeral range (32768-60999 here): a port the kernel hands out can be taken by one
    of the load generator's own client connections before the second server binds it.
    """
    candidates = list(range(20000, 32000, 2))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket() as first, socket.socket() as second:
            try:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two free ports in a row")


def test_bench_runs_every_scenario_on_tiny_data(tmp_path):
    require("postgres", "redis")
    server = urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    database = f"govportal_benchsmoke_{os.getpid()}"
    out = tmp_path / "results"
    command = [sys.executable, "bench/run.py", "--sizes", "150,300", "--open", "20,60", "--seconds", "0.5"]
    command += ["--rounds", "1", "--connections", "2", "--web-workers", "2", "--worker-concurrency", "1"]
    command += ["--database", database, "--database-url", server, "--port", str(free_port()), "--out", str(out)]
    command += ["--redis-db", os.environ.get("BENCH_SMOKE_REDIS_DB", "12"), "--days", "60"]
    try:
        finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]

    rows = list(csv.DictReader((out / "latest.csv").open()))
    assert {(row["dossiers"], row["scenario"]) for row in rows} == {
        (size, name) for size in ("150", "300") for name in SCENARIOS
    }
    for row in rows:
        assert row["status"] == "ok" and row["errors"] == "0" and int(row["requests"]) > 0, row
        assert float(row["rps"]) > 0 and float(row["baseline_rps"]) > 0 and float(row["ratio"]) > 0, row
        assert row["queries"] != "", row  # the server's query counter answered
    assert all(row["growth_p50"] for row in rows if row["dossiers"] == "300")

    markdown = (out / "latest.md").read_text()
    assert all(name in markdown for name in SCENARIOS)
    assert list(out.glob("bench-*.md")) and list(out.glob("bench-*.csv"))

    (details,) = out.glob("bench-*.json")
    extras = json.loads(details.read_text())["extras"]
    for size in ("150", "300"):
        assert extras[size]["open"] == {"26743": 20, "26740": 60}
        assert extras[size]["routing_lag"]["filed"] > 0 and extras[size]["routing_lag"]["not_routed"] == 0
        assert extras[size]["rate_limit"].get("429", 0) > 0  # the production limit answers 429
        assert extras[size]["rss_web_mb"] > 0 and extras[size]["rss_worker_mb"] > 0

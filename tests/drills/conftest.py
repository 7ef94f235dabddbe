"""Throwaway services for the fault drills: a Redis, a PostgreSQL cluster and a tiny disk of our own.

The machine's PostgreSQL (5432), Redis (6379) and RabbitMQ are shared by other
test runs and by CI: a drill never stops them. Each drill breaks an instance
started here instead, on a free port, and torn down after the session.
Starting them needs the Debian packages CI installs anyway (redis-server,
postgresql-15) and root (to mount a tmpfs and to run PostgreSQL as `postgres`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# Debian's server binaries (the version CI installs; the newest if several).
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name), default=Path("/nonexistent")
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, *, timeout: float, what: str, every: float = 0.1) -> float:
    """Poll `check()` until it is true; return the seconds it took, fail the test after `timeout`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(every)
    return time.monotonic() - started


def report(drill: str, **figures) -> None:
    """One line per drill with its measured figures (pytest -s shows it; SECURITY.md quotes it)."""
    print(f"\nDRILL {drill}: " + ", ".join(f"{key}={value}" for key, value in figures.items()), flush=True)


# --- Redis ------------------------------------------------------------------------------


@dataclass
class ThrowawayRedis:
    port: int
    workdir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        if self.process and self.process.poll() is None:
            return
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, timeout=20, what="throwaway Redis up")

    def stop(self) -> None:
        """A crash, not a shutdown: SIGKILL, nothing saved (it had no persistence anyway)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        wait_until(lambda: not self.ping(), timeout=10, what="throwaway Redis down")


@pytest.fixture(scope="session")
def throwaway_redis(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the drills (apt-get install redis-server)")
    server = ThrowawayRedis(free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass
class ThrowawayPostgres:
    port: int
    datadir: Path
    socketdir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-w", *args],
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def options(self) -> list[str]:
        # -l: the server's output goes to a file, not to our pipe (which would then never close).
        postgres = f"-p {self.port} -k {self.socketdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        return ["-o", postgres, "-l", str(self.datadir.parent / "postgres.log")]

    def start(self) -> None:
        self.pg_ctl(*self.options(), "start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is cut, transactions in flight are rolled back."""
        self.pg_ctl(*self.options(), "-m", "fast", "restart")

    def stop(self) -> None:
        self.pg_ctl("-m", "immediate", "stop")

    def execute(self, sql: str, database: str = "postgres", *, params=None) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(database).replace("postgres://", "postgresql://"), autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session")
def throwaway_postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"{PG_BIN}/initdb is needed for the drills (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="drill-pg-"))
    datadir, socketdir = root / "data", root / "sock"
    socketdir.mkdir()
    shutil.chown(root, "postgres", "postgres")
    shutil.chown(socketdir, "postgres", "postgres")
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PG_BIN / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = ThrowawayPostgres(free_port(), datadir, socketdir)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


# --- a tiny disk ------------------------------------------------------------------------


@pytest.fixture
def tiny_disk():
    """A 64 KiB tmpfs: a real file system that really fills up (ENOSPC), unmounted afterwards."""
    mountpoint = Path(tempfile.mkdtemp(prefix="drill-disk-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"mounting a tmpfs needs root: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)
        os.rmdir(mountpoint)

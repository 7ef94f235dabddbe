"""Celery beat, exactly once: the scheduler runs only while it holds the portal's beat lock.

Two beats started by mistake (two hosts, two `make run`s, a compose file scaled up) would send every
periodic task twice. This scheduler takes a lock before it even opens its schedule file: on PostgreSQL
a session advisory lock on a connection of its own, anywhere else (SQLite, one machine) an flock on a
file under var/. A second beat waits as a standby, trying again every BEAT_LOCK_RETRY_SECONDS; when the
holder dies, the operating system closes its connection or file, the lock is free and the standby takes
over. The holder checks its lock connection every BEAT_LOCK_CHECK_SECONDS and exits if it was lost (its
supervisor restarts it as a standby): never two schedulers at once. CELERY_BEAT_SCHEDULER names it.
"""

import fcntl
import logging
import os
import time
from pathlib import Path

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import connections

logger = logging.getLogger("govportal.beat")

# One lock per database (PostgreSQL scopes advisory locks to the current database).
LOCK_KEY = 0x676F7662656174  # "govbeat"


def _retry_seconds() -> float:
    return settings.BEAT_LOCK_RETRY_SECONDS


def _check_seconds() -> float:
    return settings.BEAT_LOCK_CHECK_SECONDS


class PostgresLock:
    """A session advisory lock on a dedicated connection (never Django's request connection)."""

    def __init__(self):
        self.connection = None

    def try_acquire(self) -> bool:
        if self.connection is None:
            self.connection = connections.create_connection("default")
        self.connection.ensure_connection()
        with self.connection.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            taken = cursor.fetchone()[0]
        if not taken:
            self.release()
        return taken

    def still_held(self) -> bool:
        try:
            with self.connection.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                    "AND granted AND objid = %s",
                    [LOCK_KEY & 0xFFFFFFFF],
                )
                return cursor.fetchone()[0] > 0
        except Exception:  # the connection is gone: so is the lock
            logger.exception("beat: lost the lock connection")
            return False

    def release(self):
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


class FileLock:
    """An exclusive flock on var/beat.lock: one beat per machine where the database is not PostgreSQL."""

    def __init__(self):
        self.path = Path(settings.VAR_DIR) / "beat.lock"
        self.handle = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self.handle = handle
        return True

    def still_held(self) -> bool:
        return self.handle is not None

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def make_lock():
    if connections["default"].vendor == "postgresql":
        return PostgresLock()
    return FileLock()


class LockedScheduler(PersistentScheduler):
    """The default persistent scheduler, run only by the beat that holds the lock."""

    _standby = False  # this process is waiting for the lock

    def __init__(self, *args, **kwargs):
        if kwargs.get("lazy"):  # the start-up banner's throw-away instance: it schedules nothing
            self._lock = None
            super().__init__(*args, **kwargs)
            return
        if LockedScheduler._standby:
            # SIGTERM/SIGINT while waiting: beat's handler asks for the scheduler to save it, which would
            # wait for the lock again. A standby has nothing to save: stop now.
            raise SystemExit(0)
        self._lock = make_lock()
        LockedScheduler._standby = True
        try:
            self._wait_for_lock()
        finally:
            LockedScheduler._standby = False
        logger.warning("beat: lock taken, scheduling (pid %s)", os.getpid())
        self._checked = time.monotonic()
        super().__init__(*args, **kwargs)

    def _wait_for_lock(self):
        waiting = False
        while True:
            try:
                if self._lock.try_acquire():
                    return
            except Exception:  # database down: keep waiting, a standby must not crash
                logger.exception("beat: could not ask for the lock")
                self._lock.release()
            if not waiting:
                logger.warning("beat: standby, another beat holds the lock (pid %s)", os.getpid())
                waiting = True
            time.sleep(_retry_seconds())

    def tick(self, *args, **kwargs):
        if self._lock is None:
            return super().tick(*args, **kwargs)
        if time.monotonic() - self._checked >= _check_seconds():
            self._checked = time.monotonic()
            if not self._lock.still_held():
                logger.error("beat: the lock was lost; stopping so that a single beat schedules")
                raise SystemExit(1)
        return min(super().tick(*args, **kwargs), _check_seconds())

    def close(self):
        try:
            super().close()
        finally:
            if self._lock is not None:
                self._lock.release()

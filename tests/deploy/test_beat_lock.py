"""The beat lock (govportal/beat.py) in one process: a second holder is refused until the first lets go.

tests/deploy/test_processes.py shows the same with two real beat processes and a killed holder.
"""

from govportal.beat import FileLock, LockedScheduler, PostgresLock, make_lock
from tests.conftest import require


def test_the_postgresql_lock_has_one_holder_per_database(db):
    require("postgres")
    assert isinstance(make_lock(), PostgresLock)
    first, second = PostgresLock(), PostgresLock()
    try:
        assert first.try_acquire() and first.still_held()
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire() and second.still_held()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_the_file_lock_has_one_holder_per_machine(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    first, second = FileLock(), FileLock()
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_the_banner_instance_takes_no_lock():
    """`celery beat` builds a lazy scheduler for its start-up banner: it must not hold the lock it would
    then keep from the real scheduler of the same process."""
    from govportal.celery import app

    scheduler = LockedScheduler(app, lazy=True)
    assert scheduler._lock is None

"""The read replica: the dashboards, the scorecard, the stats API and their CSV exports read from it.

Only while a request of those pages runs (`read_from_replica` wraps their URL
patterns) and only the cases', units' and dashboards' tables: who the user is
and what they may see (session, user, postings) is read from the primary, which
has just written it. Writes always go to the primary, and so does everything
else, the stats refresh that writes the aggregates included. Without
DATABASE_REPLICA_URL there is no "replica" alias and every read goes to the one
database.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
# The tables the dashboards and exports show: the aggregates, the cases behind the drill-downs, the units.
REPLICA_APPS = frozenset({"dashboard", "cases", "procedures", "feedback", "payments", "tiers"})
# Who may see what stays on the primary: a posting revoked a moment ago must not still open a dashboard.
PRIMARY_ONLY = frozenset({"tiers.posting"})

_reading_replica: ContextVar[bool] = ContextVar("reading_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    """Reads of REPLICA_APPS' tables inside the block go to the replica (when one is configured)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def _wrap(view):
    @functools.wraps(view)
    def on_replica(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return on_replica


def read_from_replica(patterns: list) -> list:
    """The URL patterns given, each view reading from the replica on GET (a URL module's last line)."""
    for pattern in patterns:
        pattern.callback = _wrap(pattern.callback)
    return patterns


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        meta = model._meta
        if _reading_replica.get() and meta.app_label in REPLICA_APPS and meta.label_lower not in PRIMARY_ONLY:
            return REPLICA if replica_configured() else None
        return None  # the primary

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # One database seen twice: an object read from the replica may point at one from the primary.
        return {obj1._state.db, obj2._state.db} <= {"default", REPLICA, None} or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is a streaming copy: read-only, migrated by the primary's WAL.
        return False if db == REPLICA else None

"""Readable case codes: per-key counters (a unit and a day), safe under concurrent submissions.

Two ways to take a number:

- `next_number`: inside the transaction that saves the case. The counter row stays locked until that
  transaction commits, so a rolled-back case gives its number back (no gaps), but every case of the key
  waits for the one before it to commit. Report codes and receipts use it.
- `claim_number`: one INSERT ... ON CONFLICT DO UPDATE ... RETURNING, committed at once on a connection
  of its own (PostgreSQL). The row is locked only for that statement, so submissions of one unit and day
  never wait on each other's transactions; a rolled-back case leaves a gap in the unit's numbers. Dossier
  codes use it (docs/0005). On SQLite, which lets one writer in at a time anyway, it is `next_number`.
"""

import threading

from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.utils import DatabaseError, InterfaceError, OperationalError

_local = threading.local()


def next_number(sequence_model, key: str) -> int:
    """The next number for `key` in a counter model with `key` (unique) and `last` fields.

    Call inside the transaction that saves the case: the counter row stays
    locked until it commits, so two cases never get the same number, and a
    rolled-back case gives its number back.
    """
    try:
        with transaction.atomic():
            sequence_model.objects.get_or_create(key=key)
    except IntegrityError:
        pass  # another request created it first
    sequence = sequence_model.objects.select_for_update().get(key=key)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def claim_number(sequence_model, key: str) -> int:
    """The next number for `key`, taken and committed at once: nobody waits for the caller's commit.

    Unique like `next_number`; a caller that rolls back leaves a gap.
    """
    if connection.vendor != "postgresql":
        return next_number(sequence_model, key)
    table = connection.ops.quote_name(sequence_model._meta.db_table)
    sql = (
        f"INSERT INTO {table} (key, last) VALUES (%s, 1) "
        f"ON CONFLICT (key) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            return cursor.fetchone()[0]
    for attempt in (1, 2):
        own = _own_connection()
        try:
            with own.cursor() as cursor:
                cursor.execute(sql, [key])
                return cursor.fetchone()[0]
        except (OperationalError, InterfaceError):
            close_own_connection()  # a connection the server dropped: once more on a new one
            if attempt == 2:
                raise
    raise DatabaseError("unreachable")  # pragma: no cover


def _own_connection():
    """This thread's connection for claims (autocommit), opened on first use."""
    own = getattr(_local, "connection", None)
    if own is None:
        own = connections.create_connection(DEFAULT_DB_ALIAS)
        _local.connection = own
    return own


def close_own_connection(**kwargs) -> None:
    """Close this thread's claim connection (tests; a connection that failed)."""
    own = getattr(_local, "connection", None)
    _local.connection = None
    if own is not None:
        own.close()


def _close_if_obsolete(**kwargs) -> None:
    """At the end of a request, the same rule as Django's own connections: CONN_MAX_AGE and errors."""
    own = getattr(_local, "connection", None)
    if own is not None:
        own.close_if_unusable_or_obsolete()


request_finished.connect(_close_if_obsolete)

"""Append-only audit tables, enforced by the database itself (issue 12, part 7).

The models already refuse `save()` on an existing row and `delete()`; these
triggers make PostgreSQL refuse the same to every client: raw SQL, bulk
querysets, cascades, a psql session. On PostgreSQL:

* UPDATE is always refused;
* DELETE is refused unless the transaction says it purges on purpose
  (`audit_purge()`, i.e. `SET LOCAL govportal.audit_purge = on`): only the
  retention of drafts never submitted (their trail goes with them) and the
  replacement of synthetic demo data do that;
* TRUNCATE is refused unless the session set `govportal.allow_truncate = on`:
  only the test suite does, for the flush between transactional tests.

SQLite (the embedded default of `make run`) gets the UPDATE trigger only:
Django's flush empties SQLite tables with DELETE, and SQLite triggers cannot
read a session setting.
"""

from contextlib import contextmanager

from django.db import connection, migrations, transaction

PURGE_SETTING = "govportal.audit_purge"
TRUNCATE_SETTING = "govportal.allow_truncate"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION govportal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('{PURGE_SETTING}', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'TRUNCATE' AND current_setting('{TRUNCATE_SETTING}', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'govportal: % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _pg_create(table: str) -> list[str]:
    return [
        _PG_FUNCTION,
        f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"',
        f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "{table}" '
        "FOR EACH ROW EXECUTE FUNCTION govportal_append_only()",
        f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"',
        f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION govportal_append_only()",
    ]


def _pg_drop(table: str) -> list[str]:
    # The shared function stays: other tables' triggers may still use it.
    return [
        f'DROP TRIGGER IF EXISTS {table}_append_only ON "{table}"',
        f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"',
    ]


def _sqlite_create(table: str) -> list[str]:
    return [
        f'CREATE TRIGGER IF NOT EXISTS {table}_append_only BEFORE UPDATE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, 'govportal: {table} is append-only: UPDATE refused'); END",
    ]


def _sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only"]


_STATEMENTS = {
    "postgresql": (_pg_create, _pg_drop),
    "sqlite": (_sqlite_create, _sqlite_drop),
}


def append_only(*tables: str) -> migrations.RunPython:
    """A migration operation that installs (and on reverse removes) the triggers on these tables."""

    def run(schema_editor, index: int) -> None:
        builders = _STATEMENTS.get(schema_editor.connection.vendor)
        if builders is None:
            return
        for table in tables:
            for statement in builders[index](table):
                schema_editor.execute(statement, params=None)

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, 0),
        lambda apps, schema_editor: run(schema_editor, 1),
    )


@contextmanager
def audit_purge():
    """A transaction in which audit rows may be deleted (never updated): for deliberate purges only.

    The setting is transaction-local and switched off again on the way out,
    so nothing after the block (in the same transaction) can delete by mistake.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])
        yield
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [PURGE_SETTING])

"""Migration operations the case apps share."""

from django.db import migrations


class AddIndexWhereSupported(migrations.AddIndex):
    """An index that SQLite cannot build (NULLS FIRST in a key) is created on PostgreSQL only.

    The model state is the same on both databases; `make run`'s SQLite simply sorts the small queue.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

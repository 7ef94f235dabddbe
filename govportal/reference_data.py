"""Loading shipped reference data (a catalogue, categories) into rows matched by their code.

One helper for every loader, so each loader keeps only what is its own: the
file's shape and its checks. A second run changes nothing and leaves rows the
file does not name (added by an admin) alone; `keep_existing` only adds the
missing rows, for deployments where the admin, not the file, is the source of
truth.
"""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models


class ReferenceDataError(Exception):
    """The file cannot be loaded as it is (a missing unit, a value the model refuses...)."""


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def new_counts() -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": 0}


def _save(row: models.Model, code: str) -> None:
    try:
        row.full_clean()
    except ValidationError as error:
        raise ReferenceDataError(f"{code}: {error.message_dict}") from error
    row.save()


def upsert_by_code(model: type[models.Model], *, code: str, values: dict, keep_existing: bool, counts: dict):
    """Create the row with this code, or bring its file-owned `values` up to date; counts what happened.

    Fields not in `values` (is_active, admin notes) are never touched. Every
    write goes through the model's validation (full_clean), as an admin's would.
    """
    row = model.objects.filter(code=code).first()
    if row is None:
        row = model(code=code, **values)
        _save(row, code)
        counts["created"] += 1
        return row
    changed = {} if keep_existing else {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(row, key, value)
        _save(row, code)
    counts["updated" if changed else "unchanged"] += 1
    return row


class LoadCommand(BaseCommand):
    """A `load_...` management command: subclasses name their loader (a function returning counts) and what it loads."""

    loader = None  # e.g. staticmethod(categories_load)
    noun = ""  # e.g. "Report categories"

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="Only add missing rows; leave existing ones (and their admin edits) untouched.",
        )

    def handle(self, *args, **options):
        try:
            counts = self.loader(keep_existing=options["keep_existing"])
        except ReferenceDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{self.noun}: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged ({counts['total']} in the file)."
        )

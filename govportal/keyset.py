"""Keyset (cursor) pages over one or more querysets, merged: the cost follows the page, not the list.

An OR of several columns (a queue of cases handled, received or awaiting transfer in the officer's
units) defeats one index: PostgreSQL then reads and sorts every matching row for each page. Here each
branch of the OR is its own queryset, read from the cursor onwards in the page's order and limited to
one page (its own index serves it), and the branches are merged in Python. No COUNT, no OFFSET: page
1 and page 1,000 cost the same. The cursor is the sort key of the last row shown, opaque to clients.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet


class InvalidCursor(ValueError):
    """A cursor that this module did not write (edited, truncated, from another ordering)."""


@dataclass(frozen=True)
class Key:
    """One column of the page's order; a nullable one (ascending only) sorts its nulls first or last."""

    field: str
    descending: bool = False
    nulls_first: bool = False
    nulls_last: bool = False  # PostgreSQL's own ascending order; the index cannot start at the cursor then

    @property
    def nullable(self) -> bool:
        return self.nulls_first or self.nulls_last

    def order(self):
        if self.descending:
            return F(self.field).desc()
        if self.nullable:
            return F(self.field).asc(nulls_first=True) if self.nulls_first else F(self.field).asc(nulls_last=True)
        return F(self.field).asc()

    def after(self, value) -> Q:
        """Rows strictly after `value` in this key's order."""
        if value is None:  # nulls first: everything not null comes after; nulls last: nothing does
            return Q(**{f"{self.field}__isnull": False}) if self.nulls_first else Q(pk__in=[])
        later = Q(**{f"{self.field}__{'lt' if self.descending else 'gt'}": value})
        return later | Q(**{f"{self.field}__isnull": True}) if self.nulls_last else later

    def equal(self, value) -> Q:
        return Q(**{f"{self.field}__isnull": True}) if value is None else Q(**{self.field: value})

    def bound(self, value) -> Q:
        """A redundant range on the leading key that the index uses as its start."""
        if value is None or self.nulls_last:
            return Q()
        return Q(**{f"{self.field}__{'lte' if self.descending else 'gte'}": value})


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: str  # "" on the last page


def after_q(keys: tuple[Key, ...], values: tuple) -> Q:
    """Rows after `values` in the lexicographic order of `keys`."""
    condition, prefix = Q(pk__in=[]), Q()
    for key, value in zip(keys, values, strict=True):
        condition |= prefix & key.after(value)
        prefix &= key.equal(value)
    return keys[0].bound(values[0]) & condition


def _sort_key(values: tuple, keys: tuple[Key, ...]) -> tuple:
    # Nulls sort first or last (only on an ascending key); all keys of one order share its direction.
    return tuple(
        (value is not None if key.nulls_first else value is None, value)
        for key, value in zip(keys, values, strict=True)
    )


def encode(values: tuple) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str, model, keys: tuple[Key, ...]) -> tuple:
    """The sort key a cursor carries, typed by the model's fields; InvalidCursor otherwise."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor(cursor) from error
    if not isinstance(raw, list) or len(raw) != len(keys):
        raise InvalidCursor(cursor)
    values = []
    for key, value in zip(keys, raw, strict=True):
        if value is None and not key.nullable:
            raise InvalidCursor(cursor)
        if value is not None and not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidCursor(cursor)
        try:
            values.append(None if value is None else model._meta.get_field(key.field).to_python(value))
        except (ValidationError, ValueError, TypeError) as error:
            raise InvalidCursor(cursor) from error
        if isinstance(values[-1], datetime) and values[-1].tzinfo is None:
            raise InvalidCursor(cursor)
    return tuple(values)


def page(branches: list[QuerySet], keys: tuple[Key, ...], *, cursor: str = "", size: int, load: QuerySet) -> Page:
    """One page of the union of `branches` in the order of `keys` (the last a unique column), after `cursor`.

    Each branch gives only its sort keys (`LIMIT size + 1`, often from the index alone); the page's
    rows are then read once by primary key from `load` (with its joins). A row in two branches is
    shown once. Visibility is the branches': `load` only adds the columns.
    """
    if len({key.descending for key in keys}) != 1:
        raise ValueError("all keys of a keyset order share one direction")
    after = after_q(keys, decode(cursor, load.model, keys)) if cursor else Q()
    fields = [key.field for key in keys]
    found = set()
    for branch in branches:
        ordered = branch.filter(after).order_by(*(key.order() for key in keys))
        found.update(ordered.values_list(*fields, "pk")[: size + 1])
    chosen = sorted(found, key=lambda row: _sort_key(row[:-1], keys), reverse=keys[0].descending)
    more = len(chosen) > size
    chosen = chosen[:size]
    by_pk = load.in_bulk([row[-1] for row in chosen]) if chosen else {}
    rows = [by_pk[row[-1]] for row in chosen if row[-1] in by_pk]
    return Page(rows=rows, next_cursor=encode(chosen[-1][:-1]) if more else "")

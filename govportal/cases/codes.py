"""Readable case codes: per-key counters (a unit and a day), safe under concurrent submissions."""

from django.db import IntegrityError, transaction


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

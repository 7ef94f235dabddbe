"""Placeholder replaced by the notifications work (see identity notifications)."""


def dossier_event_notify(*, event_id: int) -> int:
    return 0

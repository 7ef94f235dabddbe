"""Celery tasks of procedures: thin, they take IDs and call a service."""

from celery import shared_task

from govportal.tasks import PortalTask


@shared_task(base=PortalTask, name="procedures.tasks.notify_dossier_event")
def notify_dossier_event(event_id: int) -> int:
    """Tell the citizen about one dossier event (in the portal and by email). Idempotent."""
    from procedures.notifications import dossier_event_notify

    return dossier_event_notify(event_id=event_id)

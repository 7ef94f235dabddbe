"""Celery tasks of procedures: thin, they take IDs and call a service.

Routing and clock tasks live in their own modules, imported here so the worker
registers them (Celery discovers each app's `tasks` module).
"""

from celery import shared_task

from govportal.tasks import PortalTask
from procedures.clock_tasks import *  # noqa: F401,F403
from procedures.routing_tasks import *  # noqa: F401,F403


@shared_task(base=PortalTask, name="procedures.tasks.notify_dossier_event", ignore_result=True)
def notify_dossier_event(event_id: int) -> int:
    """Tell the citizen about one dossier event (in the portal and by email). Idempotent."""
    from procedures.notifications import dossier_event_notify

    return dossier_event_notify(event_id=event_id)

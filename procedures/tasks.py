"""Celery tasks of procedures: thin, they take IDs and call a service.

Routing and clock tasks live in their own modules, imported here so the worker
registers them (Celery discovers each app's `tasks` module).
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from govportal.tasks import PortalTask
from procedures.clock_tasks import *  # noqa: F401,F403
from procedures.routing_tasks import *  # noqa: F401,F403

logger = logging.getLogger(__name__)


@shared_task(base=PortalTask, name="procedures.tasks.notify_dossier_event", ignore_result=True)
def notify_dossier_event(event_id: int) -> int:
    """Tell the citizen and the staff concerned about one dossier event (in the portal and by email). Idempotent."""
    from procedures.notifications import dossier_event_notify

    return dossier_event_notify(event_id=event_id)


@shared_task(base=PortalTask, name="procedures.tasks.sweep_unnotified_events", ignore_result=True)
def sweep_unnotified_events() -> int:
    """Queue again the notifications (citizens' and staff's, clocks' too) whose task was lost (beat); returns how many."""
    from procedures.notifications import unnotified_event_ids

    ids = unnotified_event_ids(
        older_than=timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS),
        within=timedelta(hours=settings.NOTIFY_SWEEP_WITHIN_HOURS),
    )
    for event_id in ids:
        notify_dossier_event.delay(event_id)
    if ids:
        logger.warning("Notification sweep: %s dossier event(s) had not been notified; queued again.", len(ids))
    return len(ids)

"""Celery tasks of 1022 feedback: thin, they call services.

Routing and clocks of reports run in the generic `cases.*` tasks with the
kind's name (govportal.cases.tasks, beat entries in govportal/settings/celery.py).
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from govportal.tasks import PortalTask

logger = logging.getLogger(__name__)


@shared_task(base=PortalTask, name="feedback.notify_report_event", acks_late=True, ignore_result=True)
def notify_report_event(event_id: int) -> int:
    """Notify the reporter or the staff of one report event; the source key makes a second run send nothing."""
    from feedback.notifications import report_event_notify

    return report_event_notify(event_id=event_id)


@shared_task(base=PortalTask, name="feedback.close_settled_reports", ignore_result=True)
def close_settled_reports() -> int:
    """Close answered reports whose reopening window has passed (beat); returns how many."""
    from feedback.services import reports_close_settled

    return reports_close_settled()


@shared_task(base=PortalTask, name="feedback.sweep_unnotified_report_events", ignore_result=True)
def sweep_unnotified_report_events() -> int:
    """Queue again the report notices whose task was lost (beat); returns how many."""
    from feedback.notifications import unnotified_report_event_ids

    ids = unnotified_report_event_ids(
        older_than=timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS),
        within=timedelta(hours=settings.NOTIFY_SWEEP_WITHIN_HOURS),
    )
    for event_id in ids:
        notify_report_event.delay(event_id)
    if ids:
        logger.warning("Notification sweep: %s report event(s) had not been notified; queued again.", len(ids))
    return len(ids)

"""Celery tasks of 1022 feedback: thin, they call services.

Routing and clocks of reports run in the generic `cases.*` tasks with the
kind's name (govportal.cases.tasks, beat entries in govportal/settings/celery.py).
"""

from celery import shared_task

from govportal.tasks import PortalTask


@shared_task(base=PortalTask, name="feedback.notify_report_event", acks_late=True, ignore_result=True)
def notify_report_event(event_id: int) -> int:
    """Notify the reporter or the staff of one report event; the source key makes a second run send nothing."""
    from feedback.services import report_event_notify

    return report_event_notify(event_id=event_id)


@shared_task(base=PortalTask, name="feedback.close_settled_reports", ignore_result=True)
def close_settled_reports() -> int:
    """Close answered reports whose reopening window has passed (beat); returns how many."""
    from feedback.services import reports_close_settled

    return reports_close_settled()

"""Clock tasks: the beat sweep ("dossier-clocks", every 5 minutes) and the staff notices it queues.

Both are thin and idempotent: a second sweep finds the flags set and fires
nothing; a second notice run finds the notifications written (one per user and
source) and sends nothing. Services are imported inside to avoid import cycles.
"""

from celery import shared_task

from govportal.tasks import PortalTask

__all__ = ["notify_dossier_clock", "run_dossier_clocks"]


@shared_task(base=PortalTask, name="procedures.run_dossier_clocks", ignore_result=True)
def run_dossier_clocks() -> dict:
    """Fire the due-soon, overdue and escalation steps that are due; returns counts per kind."""
    from procedures.clocks import clocks_run

    return clocks_run()


@shared_task(base=PortalTask, name="procedures.notify_dossier_clock", ignore_result=True)
def notify_dossier_clock(event_id: int) -> int:
    """Tell the staff concerned about one clock event (queued on commit by procedures.clocks).

    The same work as `procedures.tasks.notify_dossier_event` (kept under its own name so that
    messages already queued still run); the notification sweep queues the latter for a lost one.
    """
    from procedures.notifications import dossier_event_notify

    return dossier_event_notify(event_id=event_id)

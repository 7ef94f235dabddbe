"""Routing tasks: thin, they take IDs and call `procedures.routing` (the shared `govportal.cases.routing`).

`route_dossier` is dispatched on commit after a submission; `sweep_unrouted_dossiers`
runs on beat (settings "sweep-unrouted-dossiers") and dispatches again whatever
stayed unrouted, so a broker outage delays routing and loses nothing. Both are
safe to run twice: routing is idempotent. Acknowledged late and retried with
backoff on database and broker errors (PortalTask).
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from govportal.tasks import PortalTask

__all__ = ["route_dossier", "sweep_unrouted_dossiers"]


@shared_task(base=PortalTask, name="procedures.route_dossier", acks_late=True, ignore_result=True)
def route_dossier(dossier_id: int) -> bool:
    """Route one dossier; False when there was nothing to do (already routed, gone, a draft)."""
    from procedures.routing import dossier_route

    return dossier_route(dossier_id=dossier_id)


@shared_task(base=PortalTask, name="procedures.sweep_unrouted_dossiers", acks_late=True, ignore_result=True)
def sweep_unrouted_dossiers() -> int:
    """Dispatch routing again for dossiers committed but left unrouted; returns how many."""
    from govportal.cases.routing import sweep_unrouted
    from procedures.case_kind import dossier_kind

    # The kind's route task is `route_dossier`: the shared sweep queues it for each one.
    return sweep_unrouted(dossier_kind(), older_than=timedelta(seconds=settings.ROUTING_SWEEP_AFTER_SECONDS))

"""Generic case tasks: thin, they take a kind's name and ids and call the shared services.

A case kind may route, sweep and run its clocks with these instead of tasks of
its own (beat entries pass the kind's name as the argument). Dossiers keep
their historical task names (docs/0007), which call the same services. All
are safe to run twice: routing and the clocks are idempotent.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from govportal.tasks import PortalTask

logger = logging.getLogger(__name__)

__all__ = ["route_case", "run_case_clocks", "sweep_unrouted_cases"]


@shared_task(base=PortalTask, name="cases.route_case", acks_late=True, ignore_result=True)
def route_case(kind_name: str, case_id: int) -> bool:
    """Route one case of the kind; False when there was nothing to do (already routed, gone, not ready)."""
    from govportal.cases import kinds, routing

    return routing.route(kinds.get(kind_name), case_id=case_id)


@shared_task(base=PortalTask, name="cases.sweep_unrouted", acks_late=True, ignore_result=True)
def sweep_unrouted_cases(kind_name: str) -> int:
    """Queue routing again for the kind's cases committed but left unrouted (beat); returns how many."""
    from govportal.cases import kinds, routing

    older_than = timedelta(seconds=settings.ROUTING_SWEEP_AFTER_SECONDS)
    return routing.sweep_unrouted(kinds.get(kind_name), older_than=older_than)


@shared_task(base=PortalTask, name="cases.run_clocks", ignore_result=True)
def run_case_clocks(kind_name: str) -> dict:
    """Fire the kind's due-soon, overdue and escalation steps that are due (beat); returns counts per step."""
    from govportal.cases import clocks, kinds

    return clocks.clocks_run(kinds.get(kind_name), now=None)

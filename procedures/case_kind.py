"""Dossiers as a kind of case: what the shared machinery (govportal.cases) needs to know about them.

Registered in `ProceduresConfig.ready`; routing, clocks, transfers and
assignment then treat dossiers as they treat every other kind (docs/0007).
"""

from govportal.cases import kinds

NAME = "dossier"


def build() -> kinds.CaseKind:
    from procedures import clocks, routing
    from procedures.models import Dossier, DossierEvent
    from procedures.routing_tasks import route_dossier
    from procedures.workflow import CLOCK_RUNNING, FINAL, OPEN

    return kinds.CaseKind(
        name=NAME,
        model=Dossier,
        event_model=DossierEvent,
        event_case_field="dossier",
        open_statuses=OPEN,
        clock_running_statuses=CLOCK_RUNNING,
        final_statuses=FINAL,
        limit_hours=clocks.dossier_limit_hours,
        longest_limit_hours=clocks.longest_limit_hours,
        notify_clock=clocks.queue_clock_notification,
        routable=routing.routable,
        route_decision=routing.decide,
        route_task=route_dossier,
        select_related=("procedure",),
        forward_deadline=routing.forward_deadline,
    )


def dossier_kind() -> kinds.CaseKind:
    """The registered dossier kind."""
    return kinds.get(NAME)

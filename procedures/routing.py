"""Routing a submitted dossier to its handling unit: the dossier kind's part of the shared routing.

The service itself (row lock, once-only claim, auto-assignment, the route
event) and the sweep are `govportal.cases.routing`, the same for every kind
of case; the routing task (`procedures.routing_tasks`) calls `dossier_route`.
What is the dossiers' own is here: which dossier may be routed, the case the
pure engine (`govportal.tiers.routing`) decides on, over the rules table, and
the one-stop rule for city-tier dossiers received at a ward.
"""

from datetime import datetime, timedelta

from govportal.cases import routing as shared
from govportal.cases.kinds import RouteDecision
from govportal.cases.routing import least_loaded_officer
from govportal.tiers import routing
from govportal.tiers.models import Tier
from govportal.tiers.selectors import routing_rules, unit_name, work_calendar
from procedures.models import Dossier
from procedures.workflow import DossierStatus

__all__ = ["dossier_route", "least_loaded_officer", "unrouted_dossier_ids"]


def _kind():
    from procedures.case_kind import dossier_kind

    return dossier_kind()


def dossier_route(*, dossier_id: int, now: datetime | None = None) -> bool:
    """Decide and record the dossier's handling unit; True if this call routed it (see `govportal.cases.routing`)."""
    return shared.route(_kind(), case_id=dossier_id, now=now)


def unrouted_dossier_ids(*, older_than: timedelta, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Dossiers submitted more than `older_than` ago and still not routed, oldest first."""
    return shared.unrouted_ids(_kind(), older_than=older_than, now=now, limit=limit)


# --- what the dossier kind gives the shared routing -----------------------------------------


def routable(dossier: Dossier) -> bool:
    """Submitted: a draft is not routed."""
    return dossier.status != DossierStatus.DRAFT and dossier.submitted_at is not None


def decide(dossier: Dossier) -> RouteDecision:
    """The engine's decision for this dossier, by its procedure's tier and department and where it was filed."""
    procedure = dossier.procedure
    case = routing.CaseInfo(
        kind=routing.DOSSIER,
        tier=procedure.tier,
        receiving_unit_id=dossier.receiving_unit_id,
        department_id=procedure.handling_department_id,
        procedure_code=procedure.code,
        place_unit_id=dossier.receiving_unit_id,
    )
    decision = routing.decide_handling_unit(case, routing_rules(), department_name_of=unit_name)
    return RouteDecision(decision.unit_id, decision.reason, {"rule": decision.rule_number})


def forward_deadline(dossier: Dossier, unit_id: int) -> datetime | None:
    """The one-stop rule: a ward that received a city-tier dossier forwards it to the city the same
    working day, or the next one after the 15:00 cut-off."""
    if (
        dossier.procedure.tier == Tier.CITY
        and dossier.receiving_unit.tier == Tier.COMMUNE
        and unit_id != dossier.receiving_unit_id
    ):
        return routing.forward_deadline(dossier.submitted_at, work_calendar())
    return None

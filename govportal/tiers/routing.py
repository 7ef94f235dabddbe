"""The routing engine: which unit handles a case (a dossier now, a 1022 report later).

Pure: it works on a small case description and never imports procedures or
feedback, so both can use it. Filing is accepted at any unit, whatever the
citizen's residence.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseInfo:
    kind: str  # "dossier" or "report"
    tier: str  # tier of the procedure or category: "commune" or "city"
    receiving_unit_id: int
    department_id: int | None = None  # city-tier: the department that decides
    department_name: str = ""


@dataclass(frozen=True)
class RoutingDecision:
    unit_id: int
    reason: str


def decide_handling_unit(case: CaseInfo, *, coordinating_unit_id: int) -> RoutingDecision:
    """Commune-tier cases stay with the receiving unit; city-tier ones go to their department."""
    if case.tier == "commune":
        return RoutingDecision(case.receiving_unit_id, "commune-tier: decided by the receiving unit")
    if case.department_id:
        return RoutingDecision(case.department_id, f"city-tier: handled by {case.department_name}".strip())
    return RoutingDecision(coordinating_unit_id, "city-tier without a department: the city's coordinating unit")

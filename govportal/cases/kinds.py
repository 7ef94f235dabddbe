"""The registry of case kinds: what the shared machinery needs to know about one kind of case.

A case app describes its kind once (`CaseKind`) and registers it in its
AppConfig.ready; routing, clocks, transfers and assignment then work on it
without importing the app. See docs/0007 for the protocol.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any


@dataclass(frozen=True)
class RouteDecision:
    """Where a case goes, why, and what the route event records besides (e.g. the rule number)."""

    unit_id: int
    reason: str
    data: dict = field(default_factory=dict)


def _no_forwarding(case, unit_id: int) -> datetime | None:
    return None


@dataclass(frozen=True, eq=False)
class CaseKind:
    """One kind of case (dossier, report) as the shared machinery sees it.

    The model inherits `govportal.cases.models.Case` and has a `status`; the
    event model inherits `CaseEvent` with a foreign key `event_case_field` to it
    (related_name "events").
    """

    name: str
    model: type
    event_model: type
    event_case_field: str
    # Statuses in which the case counts on an officer's desk (least-loaded assignment).
    open_statuses: frozenset
    # Statuses in which the unit's legal clock runs (it may still be paused).
    clock_running_statuses: frozenset
    # Statuses after which nothing happens to the case any more (not assigned by routing).
    final_statuses: frozenset
    # The legal time limit of one case in working hours, and an upper bound over all cases (None: none).
    limit_hours: Callable[[Any, Any], Fraction]
    longest_limit_hours: Callable[[], Fraction | None]
    # Queue the staff notification of one clock event (called on commit; must not raise on a broker outage).
    notify_clock: Callable[[int], None]
    # Whether a case is ready to be routed (submitted, not a draft), and where it goes.
    routable: Callable[[Any], bool]
    route_decision: Callable[[Any], RouteDecision]
    # A Celery task that routes one case by id; None: the generic `cases.route_case` with the kind's name.
    route_task: Any = None
    # Related rows the clocks and the router read with the case.
    select_related: tuple = ()
    # The instant by which a case received at one unit must reach `unit_id` (None: no such rule).
    forward_deadline: Callable[[Any, int], datetime | None] = _no_forwarding
    # The status a case takes when it is routed, in the same update as the routing (None: unchanged).
    routed_status: str | None = None
    # Queue the notice of the routing event (called on commit with the event id; None: nobody is told).
    notify_routed: Callable[[int], None] | None = None

    def _route_call(self) -> tuple:
        if self.route_task is not None:
            return self.route_task, ()
        from govportal.cases.tasks import route_case

        return route_case, (self.name,)

    def queue_route(self, case_id: int) -> None:
        """Queue routing of one case (raises if the broker is down: callers on commit use `dispatch_route`)."""
        task, args = self._route_call()
        task.delay(*args, case_id)

    def dispatch_route(self, case_id: int) -> bool:
        """Queue routing after a commit; a broker outage is logged, never raised: the routing sweep recovers it."""
        from govportal.tasks import dispatch_or_log

        task, args = self._route_call()
        return dispatch_or_log(task, *args, case_id, recovered_by="the routing sweep")

    def append_event(self, *, case, **fields):
        """Append one event to the case's trail (`govportal.cases.events.event_append`)."""
        from govportal.cases.events import event_append

        return event_append(self, case=case, **fields)


_KINDS: dict[str, CaseKind] = {}


def register(kind: CaseKind) -> CaseKind:
    """Add a kind (from the case app's AppConfig.ready); registering the same name again replaces it."""
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> CaseKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"No case kind {name!r} is registered (registered: {sorted(_KINDS)}).") from None


def registered() -> list[CaseKind]:
    """Every registered kind, in the order they were registered."""
    return list(_KINDS.values())

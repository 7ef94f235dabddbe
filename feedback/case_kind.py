"""Reports as a kind of case: what the shared machinery (govportal.cases) needs to know about them.

Registered in `FeedbackConfig.ready`. Reports have no Celery tasks of their
own for routing and clocks: the generic `cases.route_case`, `cases.sweep_unrouted`
and `cases.run_clocks` run them by this kind's name (beat entries in
govportal/settings/celery.py).
"""

from fractions import Fraction

from django.db.models import Max

from govportal.cases import kinds
from govportal.tiers import calendar as cal

NAME = "report"


def report_limit_hours(report, calendar) -> Fraction:
    """The category's time limit in working hours (working days of 8 hours)."""
    return Fraction(report.category.time_limit_working_days) * cal.HOURS_PER_DAY


def longest_limit_hours() -> Fraction | None:
    from feedback.models import Category

    top = Category.objects.aggregate(top=Max("time_limit_working_days"))["top"]
    return None if top is None else Fraction(top) * cal.HOURS_PER_DAY


def routable(report) -> bool:
    """Recorded (report_create sets submitted_at) and still new."""
    from feedback.workflow import ReportStatus

    return report.submitted_at is not None and report.status == ReportStatus.NEW


def route_decision(report) -> kinds.RouteDecision:
    """The engine's decision, by the category's tier and department and the unit of the place.

    The default rules (tiers.services.routing_rules_seed, any case kind) send a
    commune-tier category to the receiving unit, which for a report is the unit
    of the place, and a city-tier one to the category's department.
    """
    from govportal.tiers import routing
    from govportal.tiers.selectors import routing_rules, unit_name

    category = report.category
    case = routing.CaseInfo(
        kind=routing.REPORT,
        tier=category.tier,
        receiving_unit_id=report.receiving_unit_id,
        department_id=category.handling_department_id,
        category_code=category.code,
        place_unit_id=report.unit_id,
    )
    decision = routing.decide_handling_unit(case, routing_rules(), department_name_of=unit_name)
    return kinds.RouteDecision(decision.unit_id, decision.reason, {"rule": decision.rule_number})


def notify_clock(event_id: int) -> None:
    """Queue the notice of a clock or routing event (the reporter hears where the report went)."""
    from feedback.notifications import report_event_dispatch_notice

    report_event_dispatch_notice(event_id)


def build() -> kinds.CaseKind:
    from feedback.models import Report, ReportEvent
    from feedback.workflow import CLOCK_RUNNING, FINAL, OPEN, ROUTED_STATUS

    return kinds.CaseKind(
        name=NAME,
        model=Report,
        event_model=ReportEvent,
        event_case_field="report",
        open_statuses=OPEN,
        clock_running_statuses=CLOCK_RUNNING,
        final_statuses=FINAL,
        limit_hours=report_limit_hours,
        longest_limit_hours=longest_limit_hours,
        notify_clock=notify_clock,
        routable=routable,
        route_decision=route_decision,
        select_related=("category",),
        routed_status=ROUTED_STATUS,
        notify_routed=notify_clock,
    )


def report_kind() -> kinds.CaseKind:
    """The registered report kind."""
    return kinds.get(NAME)

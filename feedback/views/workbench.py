"""The officers' 1022 workbench: the units' report queue, one report and its actions, the operator's intake.

Modelled on the dossier workbench (procedures/views/workbench.py). Thin views:
every change goes through `feedback.services.report_transition` or
`report_create` (one call per action), who may see and do what is decided by
`identity.access` and the service. The queue works without JavaScript; with
htmx the filter form swaps only the table.

Who sees what: officers and heads see the reports their units act on, have
received, or are asked to take over (a pending transfer); city admins see
every report (read-only unless they also hold a unit posting). Anyone else
gets a 403. A report outside the staff member's reach is a 404, as for an
unknown code.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import selectors, services, timeline, workflow
from feedback.duplicates import duplicate_candidates
from feedback.models import PhotoRole
from feedback.photos import PhotoError
from feedback.workbench_forms import (
    NOT_ON_THE_WORKBENCH,
    OperatorReportForm,
    ReportActionForm,
    ReportQueueFilterForm,
    merge_note,
)
from feedback.workflow import RejectionReason
from govportal import keyset
from govportal.api.errors import ApplicationError
from govportal.cases import pages
from identity import access

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
CURSOR = "after"  # the next page link's parameter (govportal.keyset)
QUEUE_TEMPLATE = "feedback/workbench/queue.html"
QUEUE_TABLE_TEMPLATE = "feedback/workbench/queue_table.html"
REPORT_TEMPLATE = "feedback/workbench/report.html"
RECORD_TEMPLATE = "feedback/workbench/record.html"

# --- access ---------------------------------------------------------------------------------


def _is_queue_user(user) -> bool:
    return bool(access.units_where(user, access.OFFICER, access.HEAD)) or access.is_city_admin(user)


def _require_queue_access(user) -> None:
    """The reports workbench is for officers and heads (their units) and city admins (every unit)."""
    if not _is_queue_user(user):
        raise PermissionDenied


# --- the queue -------------------------------------------------------------------------------


@login_required
@require_GET
def report_queue_view(request):
    _require_queue_access(request.user)
    form = ReportQueueFilterForm(request.GET or None)
    now = timezone.now()
    cursor = request.GET.get(CURSOR, "")
    try:  # cursor pages: no COUNT, each unit column read from its index one page long (issue 13)
        page = selectors.report_queue_page(user=request.user, cursor=cursor, size=PAGE_SIZE, now=now, **form.filters())
    except keyset.InvalidCursor:  # an edited link: the first page
        cursor = ""
        page = selectors.report_queue_page(user=request.user, size=PAGE_SIZE, now=now, **form.filters())
    rows = page.rows
    for report in rows:
        report.overdue = report.is_overdue_at(now)
    params = request.GET.copy()
    params.pop(CURSOR, None)
    params.pop("page", None)
    context = {
        "filter_form": form,
        "rows": rows,
        "next_cursor": page.next_cursor,
        "not_first_page": bool(cursor),
        "query": params.urlencode(),
        "can_record": access.can(request.user, "report.record"),
        "can_see_dossiers": bool(access.units_where(request.user, access.OFFICER, access.HEAD)),
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    response = render(request, QUEUE_TABLE_TEMPLATE if partial else QUEUE_TEMPLATE, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- one report ------------------------------------------------------------------------------


def _render_report(request, report, *, bound: ReportActionForm | None = None, keep: tuple = (), status: int = 200):
    """The report's page; `bound` replaces its action's blank form, `keep` = (action, note) refills a note."""
    user = request.user
    now = timezone.now()
    rules = pages.staff_rules(
        user, report, services.report_actions_available(report=report, user=user), hidden=NOT_ON_THE_WORKBENCH
    )
    action_forms = []
    for rule in rules:
        if bound is not None and bound.rule.action == rule.action:
            action_forms.append(bound)
            continue
        initial = {"note": keep[1]} if keep and keep[0] == rule.action and keep[1] else None
        action_forms.append(ReportActionForm(rule=rule, report=report, initial=initial))
    photos = list(report.photos.all())
    can_merge = any(rule.action == "reject" for rule in rules)
    candidates = duplicate_candidates(report) if can_merge else []
    for candidate in candidates:
        candidate.merge_note = merge_note(candidate.code)
    context = {
        "report": report,
        "overdue": report.is_overdue_at(now),
        "report_photos": [p for p in photos if p.role == PhotoRole.REPORT],
        "answer_photos": [p for p in photos if p.role == PhotoRole.ANSWER],
        "events": timeline.staff_timeline(report),
        "action_forms": action_forms,
        "candidates": candidates,
        "can_merge": can_merge,
        "merged_here": list(
            report.duplicates.filter(rejection_reason=RejectionReason.DUPLICATE).order_by("created_at")
        ),
        "can_use_queue": _is_queue_user(user),
    }
    return render(request, REPORT_TEMPLATE, context, status=status)


@login_required
@require_GET
def report_detail(request, code):
    _require_queue_access(request.user)
    report = selectors.report_get_for_staff(user=request.user, code=code)
    return _render_report(request, report)


@login_required
@require_POST
def report_action(request, code, action):
    """One action on one report: one service call, then back to the report.

    A stale form (someone acted since the page was loaded) shows the report as
    it is now with a clear message, the officer's note kept in its form; every
    other refusal of the service comes back on the form (400/403/409, never a 500).
    """
    _require_queue_access(request.user)
    rule = workflow.ACTIONS.get(action)
    if rule is None or action in NOT_ON_THE_WORKBENCH:
        raise Http404
    report = selectors.report_get_for_staff(user=request.user, code=code)
    form = ReportActionForm(request.POST, request.FILES, rule=rule, report=report)

    def render(*, fresh=False, **kwargs):
        shown = selectors.report_get_for_staff(user=request.user, code=code) if fresh else report
        return _render_report(request, shown, **kwargs)

    refused = pages.act(
        request,
        rule=rule,
        form=form,
        apply=lambda **kwargs: services.report_transition(report=report, action=action, actor=request.user, **kwargs),
        render=render,
        stale_message=_(
            "Another officer changed this report while you were looking at it, so nothing was done. "
            "The page now shows it as it is: check it, then act again if it is still needed."
        ),
    )
    if refused is not None:
        return refused
    messages.success(request, _("Done: “%(action)s” (%(code)s).") % {"action": rule.label, "code": report.code})
    return redirect("workbench-report", code=report.code)


# --- the operator's intake -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_record(request):
    """A report received by hotline, email or messaging, recorded by the operator under their own name."""
    if not access.can(request.user, "report.record"):
        raise PermissionDenied
    if request.method == "GET":
        return render(request, RECORD_TEMPLATE, {"form": OperatorReportForm()})
    form = OperatorReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, RECORD_TEMPLATE, {"form": form}, status=400)
    try:
        report = services.report_create(**form.service_kwargs(), recorded_by=request.user)
    except PhotoError as error:
        form.add_error("photos", error.detail)
        return render(request, RECORD_TEMPLATE, {"form": form}, status=error.status_code)
    except ApplicationError as error:
        pages.add_service_errors(form, error, fields={"recorded_by": "channel"})
        return render(request, RECORD_TEMPLATE, {"form": form}, status=error.status_code)
    messages.success(
        request, _("Report recorded. Its code is %(code)s: give it to the person.") % {"code": report.code}
    )
    return redirect("workbench-report", code=report.code)

"""Reads for 1022 feedback that pages, the API and the routing share."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from feedback.models import QUEUE_STATUSES, Category, Report
from govportal import keyset
from govportal.keyset import Key
from identity import access

# The queue's order (due dates are set at intake; a report without one would come last) and the
# list's (newest first); the last key is unique, so a cursor names one place (govportal.keyset).
QUEUE_ORDER = (Key("due_at", nulls_last=True), Key("created_at"), Key("id"))
LIST_ORDER = (Key("created_at", descending=True), Key("id", descending=True))
UNIT_COLUMNS = ("handling_unit_id", "receiving_unit_id", "pending_transfer_unit_id")


def categories_active() -> QuerySet[Category]:
    """The categories a reporter may choose, with the department that answers city-tier ones."""
    return Category.objects.filter(is_active=True).select_related("handling_department")


def category_get(code: str) -> Category | None:
    return Category.objects.select_related("handling_department").filter(code=code).first()


def report_get(code: str):
    """One report by its code, with what its pages show (category, place, units); None if unknown."""
    return (
        Report.objects.select_related(
            "category", "unit", "receiving_unit", "handling_unit", "assigned_to", "duplicate_of"
        )
        .filter(code=code)
        .first()
    )


def report_timeline(report) -> QuerySet:
    """The report's events, oldest first (append-only: the audit trail)."""
    return report.events.select_related("actor", "unit").order_by("at", "id")


def reports_of_reporter(user) -> QuerySet:
    """The reports a citizen filed with their account, newest first."""
    return Report.objects.filter(applicant=user).select_related("category", "unit").order_by("-created_at")


def report_tracking(code: str) -> dict | None:
    """What anyone with the code may read (the tracking page, the API): nothing that names a person.

    Status, category, place (the ward), the unit handling it, the legal due date
    and the committed date, whether it is late, and the answer only once the
    unit has published it (the board's moderated text; for a report merged
    into another, that report's). None when unknown.
    """
    report = report_get((code or "").strip().upper())
    if report is None:
        return None
    now = timezone.now()
    # A report merged into another shares its handling and its published answer.
    merged_into = report.duplicate_of if report.rejection_reason == "duplicate" else None
    shared = merged_into or report
    return {
        "code": report.code,
        "status": report.status,
        "status_label": report.get_status_display(),
        "category": report.category,
        "place": report.unit,
        "handling_unit": report.handling_unit or report.receiving_unit,
        "submitted_at": report.submitted_at,
        "due_at": report.due_at,
        "committed_at": report.promised_at,
        "is_overdue": report.is_overdue_at(now),
        "answered_at": report.answered_at,
        "merged_into": merged_into.code if merged_into else "",
        "public_answer": shared.public_answer if shared.is_public else "",
    }


def visible_reports(user) -> QuerySet[Report]:
    """The reports `user` may see: their own, and the staff's (`staff_reports`).

    The query form of `access.can(user, "case.view", report)`.
    """
    if not getattr(user, "is_authenticated", False):
        return Report.objects.none()
    if access.is_city_admin(user):
        return staff_reports(user=user)
    return _with_relations(Report.objects.filter(Q(applicant=user) | _staff_units_q(user)))


def report_get_for(*, user, code: str) -> Report:
    """One report by code, or 404 when it does not exist or the user may not see it."""
    report = visible_reports(user).filter(code=(code or "").strip().upper()).first()
    if report is None or not access.can(user, "case.view", report):
        raise Http404
    return report


def _staff_units_q(user) -> Q:
    unit_ids = access.units_where(user, access.OFFICER, access.HEAD)
    return (
        Q(handling_unit_id__in=unit_ids) | Q(receiving_unit_id__in=unit_ids) | Q(pending_transfer_unit_id__in=unit_ids)
    )


def _with_relations(reports: QuerySet) -> QuerySet:
    return reports.select_related(
        "category",
        "unit",
        "receiving_unit",
        "handling_unit",
        "pending_transfer_unit",
        "assigned_to",
        "applicant",
        "recorded_by",
        "duplicate_of",
    )


def staff_reports(*, user) -> QuerySet:
    """Every report the staff member may read: their units' (acting, receiving, transfer waiting), or all for the city."""
    if access.is_city_admin(user):
        return _with_relations(Report.objects.all())
    if not access.units_where(user, access.OFFICER, access.HEAD):
        return Report.objects.none()
    return _with_relations(Report.objects.filter(_staff_units_q(user)))


def _staff_branches(user) -> list[QuerySet]:
    """`staff_reports` as one queryset per unit column (each its own index), or all for the city."""
    if access.is_city_admin(user):
        return [Report.objects.all()]
    unit_ids = access.units_where(user, access.OFFICER, access.HEAD)
    if not unit_ids:
        return []
    return [Report.objects.filter(**{f"{column}__in": unit_ids}) for column in UNIT_COLUMNS]


def report_queue(*, user, **filters) -> QuerySet:
    """The whole queue: the staff member's reports, not closed unless a status is chosen, soonest due first."""
    return _queue_filtered(staff_reports(user=user), user=user, **filters).order_by(
        *(key.order() for key in QUEUE_ORDER)
    )


def report_queue_page(*, user, cursor: str = "", size: int, now=None, **filters) -> keyset.Page:
    """One page of the queue after `cursor`: one query per unit column, each one page long, no COUNT.

    Raises keyset.InvalidCursor for a cursor not ours.
    """
    branches = [_queue_filtered(branch, user=user, now=now, **filters) for branch in _staff_branches(user)]
    if not branches:
        return keyset.Page(rows=[], next_cursor="")
    return keyset.page(branches, QUEUE_ORDER, cursor=cursor, size=size, load=_with_relations(Report.objects.all()))


def visible_reports_page(*, user, cursor: str = "", size: int, filters=None) -> keyset.Page:
    """The API's list, newest first, one page after `cursor`: `visible_reports` read branch by branch."""
    if not getattr(user, "is_authenticated", False):
        return keyset.Page(rows=[], next_cursor="")
    branches = _staff_branches(user)
    if not access.is_city_admin(user):
        branches.append(Report.objects.filter(applicant=user))
    narrow = filters or (lambda reports: reports)
    load = _with_relations(Report.objects.all())
    return keyset.page([narrow(branch) for branch in branches], LIST_ORDER, cursor=cursor, size=size, load=load)


def _queue_filtered(
    reports: QuerySet,
    *,
    user,
    status: str = "",
    category_code: str = "",
    overdue: bool = False,
    assigned_to_me: bool = False,
    now=None,
) -> QuerySet:
    if status:
        reports = reports.filter(status=status)
    else:  # the partial queue indexes' own condition (feedback.models)
        reports = reports.filter(status__in=QUEUE_STATUSES)
    if category_code:
        reports = reports.filter(category__code=category_code)
    if overdue:
        reports = reports.overdue(now or timezone.now())  # the one definition (govportal.cases.models)
    if assigned_to_me:
        reports = reports.filter(assigned_to=user)
    return reports


def report_get_for_staff(*, user, code: str) -> Report:
    """One report by code for a staff member who may see it (`case.view_as_staff`), else 404."""
    report = report_get((code or "").strip().upper())
    if report is None or not access.can(user, "case.view_as_staff", report):
        raise Http404
    return report

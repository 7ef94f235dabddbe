"""Reads of procedures and dossiers, shared by pages and the API, with visibility built in."""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govportal import keyset
from govportal.keyset import Key
from govportal.tiers.unit_data import fold
from identity import access
from procedures.models import (
    DUE_SOON_WINDOW,
    NOT_DRAFT,
    OPEN_STATUSES,
    Dossier,
    DossierEvent,
    Procedure,
    due_soon_q,
    overdue_q,
)
from procedures.workflow import OPEN, DossierStatus

DUE_SOON = DUE_SOON_WINDOW  # kept for callers; the window lives with the queryset


def procedure_list(*, search: str = "", field: str = "", tier: str = "") -> QuerySet[Procedure]:
    procedures = Procedure.objects.filter(is_active=True).select_related("handling_department")
    if field:
        procedures = procedures.filter(field=field)
    if tier:
        procedures = procedures.filter(tier=tier)
    for word in fold(search).split():
        procedures = procedures.filter(search_text__contains=word)
    return procedures.prefetch_related("fee_lines").order_by("tier", "field", "name_vi")


def procedure_get(*, code: str) -> Procedure:
    try:
        return (
            Procedure.objects.select_related("handling_department")
            .prefetch_related("fee_lines", "documents")
            .get(code=code, is_active=True)
        )
    except Procedure.DoesNotExist as error:
        raise Http404 from error


def _with_relations(dossiers: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return dossiers.select_related("procedure", "receiving_unit", "handling_unit", "assigned_to", "applicant")


def _acting_branches(unit_ids) -> list[Q]:
    """Dossiers the units act on, and transfers waiting for them to accept or return: one index each."""
    return [
        Q(handling_unit_id__in=unit_ids),
        Q(handling_unit__isnull=True, receiving_unit_id__in=unit_ids),
        Q(pending_transfer_unit_id__in=unit_ids),
    ]


def _acting_in(unit_ids) -> Q:
    branches = _acting_branches(unit_ids)
    return branches[0] | branches[1] | branches[2]


# The queue's order (not yet received first: they wait for receipt, the first legal step) and the
# lists' (newest first); the last key is unique, so a cursor names one place (govportal.keyset).
QUEUE_ORDER = (Key("due_at", nulls_first=True), Key("submitted_at"), Key("id"))
LIST_ORDER = (Key("created_at", descending=True), Key("id", descending=True))


def _queue_filtered(
    dossiers: QuerySet[Dossier],
    *,
    user,
    status: str = "",
    procedure_code: str = "",
    due_soon: bool = False,
    overdue: bool = False,
    assigned_to_me: bool = False,
    include_closed: bool = False,
) -> QuerySet[Dossier]:
    dossiers = dossiers.exclude(status=DossierStatus.DRAFT)
    if status:
        dossiers = dossiers.filter(status=status)
    elif not include_closed:
        # The partial queue indexes' own condition (procedures.models), so that PostgreSQL uses them.
        dossiers = dossiers.filter(status__in=OPEN_STATUSES)
    if procedure_code:
        dossiers = dossiers.filter(procedure__code=procedure_code)
    now = timezone.now()
    # The one definition of due soon and overdue (procedures.models.DossierQuerySet, docs/0006).
    if due_soon:
        dossiers = dossiers.due_soon(now)
    if overdue:
        dossiers = dossiers.overdue(now)
    if assigned_to_me:
        dossiers = dossiers.filter(assigned_to=user)
    return _with_relations(dossiers)


def dossier_queue(*, user, **filters) -> QuerySet[Dossier]:
    """The officer's whole queue: dossiers their units act on, soonest due first (pages use `dossier_queue_page`)."""
    unit_ids = access.units_where(user, "officer", "head")
    dossiers = _queue_filtered(Dossier.objects.filter(_acting_in(unit_ids)), user=user, **filters)
    return dossiers.order_by(*(key.order() for key in QUEUE_ORDER))


def dossier_queue_page(*, user, cursor: str = "", size: int, **filters) -> keyset.Page:
    """One page of the queue after `cursor`: a query per branch of "acting in the unit", each one page long.

    The cost follows the page, not the queue: no COUNT, no OFFSET, and each branch is read in order
    from its partial index (procedures.models). Raises keyset.InvalidCursor for a cursor not ours.
    """
    unit_ids = access.units_where(user, "officer", "head")
    if not unit_ids:
        return keyset.Page(rows=[], next_cursor="")
    branches = [
        _queue_filtered(Dossier.objects.filter(branch), user=user, **filters) for branch in _acting_branches(unit_ids)
    ]
    return keyset.page(branches, QUEUE_ORDER, cursor=cursor, size=size, load=_with_relations(Dossier.objects.all()))


def dossiers_of_applicant(*, user) -> QuerySet[Dossier]:
    return _with_relations(Dossier.objects.filter(applicant=user)).order_by("-created_at")


def visible_dossiers(*, user) -> QuerySet[Dossier]:
    """Everything the user may see: their own, their units' (receiving or handling), or all for the city."""
    if not getattr(user, "is_authenticated", False):
        return Dossier.objects.none()
    if access.is_city_admin(user):
        return _with_relations(Dossier.objects.exclude(status=DossierStatus.DRAFT))
    unit_ids = access.units_where(user, "officer", "head")
    staff_visible = (
        Q(receiving_unit_id__in=unit_ids) | Q(handling_unit_id__in=unit_ids) | Q(pending_transfer_unit_id__in=unit_ids)
    ) & ~Q(status=DossierStatus.DRAFT)
    return _with_relations(Dossier.objects.filter(Q(applicant=user) | staff_visible))


def visible_dossiers_page(*, user, cursor: str = "", size: int, filters=None) -> keyset.Page:
    """The API's list, newest first, one page after `cursor`: `visible_dossiers` read branch by branch.

    An officer's dossiers are their own, or their units' as receiver, handler or transfer target: an
    OR that one index cannot order, so each branch is read from its own index, one page long.
    `filters` (a function of a queryset) narrows every branch alike.
    """
    if not getattr(user, "is_authenticated", False):
        return keyset.Page(rows=[], next_cursor="")
    if access.is_city_admin(user):
        branches = [Dossier.objects.filter(NOT_DRAFT)]
    else:
        unit_ids = access.units_where(user, "officer", "head")
        branches = [Dossier.objects.filter(applicant=user)]
        if unit_ids:
            branches += [
                Dossier.objects.filter(NOT_DRAFT, **{f"{column}__in": unit_ids})
                for column in ("receiving_unit_id", "handling_unit_id", "pending_transfer_unit_id")
            ]
    narrow = filters or (lambda dossiers: dossiers)
    load = _with_relations(Dossier.objects.all())
    return keyset.page([narrow(branch) for branch in branches], LIST_ORDER, cursor=cursor, size=size, load=load)


def dossier_get_for(*, user, code: str) -> Dossier:
    """One dossier by code, or 404 when it does not exist or the user may not see it."""
    dossier = visible_dossiers(user=user).filter(code=code).first()
    if dossier is None:
        raise Http404
    return dossier


def dossier_draft_get(*, user, uuid) -> Dossier:
    dossier = (
        _with_relations(Dossier.objects.filter(uuid=uuid, applicant=user, status=DossierStatus.DRAFT))
        .prefetch_related("documents")
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


def dossier_events(*, dossier: Dossier) -> QuerySet[DossierEvent]:
    return dossier.events.select_related("actor", "unit").order_by("at", "id")


def dossier_track(*, code: str) -> Dossier:
    """Public tracking: status, unit and due date only (callers show nothing else)."""
    dossier = (
        Dossier.objects.exclude(status=DossierStatus.DRAFT)
        .select_related("procedure", "handling_unit", "receiving_unit")
        .only(
            "code",
            "status",
            "due_at",
            # What the one definition of overdue reads (the status badge shows it).
            "paused_at",
            "decided_at",
            "closed_at",
            "procedure__name_vi",
            "procedure__name_en",
            "handling_unit__name",
            "receiving_unit__name",
        )
        .filter(code=code.strip().upper())
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


def can_act(user, dossier: Dossier) -> bool:
    return access.can(user, "case.act", dossier)


EVENT_LABELS = {
    "create_draft": _("Draft created"),
    "remove_document": _("File removed from the draft"),
    "route": _("Sent to the handling unit"),
    "due_soon": _("Due soon: warning to the officers"),
    "overdue": _("Overdue"),
    "escalated_to_head": _("Escalated to the head of unit"),
    "escalated_to_city": _("Escalated to the city"),
}
# Events whose label carries a value from the event's data (the table's label is the button's).
EVENT_LABELS_WITH_DATA = {"rate": _("Service rated %(rating)s/5")}
# Internal work the citizen does not need to follow (who took it, the officers' reminders).
STAFF_ONLY_EVENTS = frozenset({"claim", "assign", "due_soon", "escalated_to_head", "escalated_to_city"})


def timeline(*, dossier: Dossier, for_citizen: bool = False) -> list[DossierEvent]:
    """Events with a human label (and the new date of an apology), oldest first."""
    from datetime import datetime

    from procedures import workflow

    events = list(dossier_events(dossier=dossier))
    if for_citizen:
        events = [event for event in events if event.action not in STAFF_ONLY_EVENTS]
    for event in events:
        rule = workflow.ACTIONS.get(event.action)
        event.label = str(rule.label) if rule else str(EVENT_LABELS.get(event.action, event.action))
        if event.action in EVENT_LABELS_WITH_DATA:
            event.label = str(EVENT_LABELS_WITH_DATA[event.action]) % {"rating": event.data.get("rating", "?")}
        new_due = event.data.get("new_due_at") if event.action == "apologise" else None
        event.new_due_at = datetime.fromisoformat(new_due) if new_due else None
    return events


# --- the city admin's overview (read-only, until the dashboards issue lands) ---------------


def _acting_unit_expr(field: str = "id"):
    """The unit answering for a dossier: the handling unit, or the receiving one until it is routed."""
    from django.db.models.functions import Coalesce

    return Coalesce(f"handling_unit__{field}", f"receiving_unit__{field}")


def city_overview_by_unit(*, now=None) -> list[dict]:
    """Open, overdue and due-soon dossiers per unit, city-wide: one aggregate query.

    Overdue and due soon are the project's single definitions (`overdue_q`,
    `due_soon_q`). Each row: unit_id, unit_code, unit_name, unit_name_en, open,
    overdue, due_soon; units with the most overdue dossiers first. Only units
    with open dossiers appear. Callers check `dashboard.view_city` first.
    """
    from django.db.models import Count

    now = now or timezone.now()
    rows = (
        Dossier.objects.filter(status__in=OPEN)
        .annotate(
            unit_id=_acting_unit_expr("id"),
            unit_code=_acting_unit_expr("code"),
            unit_name=_acting_unit_expr("name"),
            unit_name_en=_acting_unit_expr("name_en"),
        )
        .values("unit_id", "unit_code", "unit_name", "unit_name_en")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=overdue_q(now)),
            due_soon=Count("id", filter=due_soon_q(now)),
        )
        .order_by("-overdue", "-due_soon", "-open", "unit_name")
    )
    return list(rows)


def city_overview_unit_dossiers(*, unit_id: int, show: str = "open", now=None) -> QuerySet[Dossier]:
    """One unit's open dossiers for the overview (all, overdue or due soon), soonest due first."""
    now = now or timezone.now()
    dossiers = Dossier.objects.filter(status__in=OPEN).alias(acting_unit=_acting_unit_expr("id"))
    dossiers = dossiers.filter(acting_unit=unit_id)
    if show == "overdue":
        dossiers = dossiers.overdue(now)
    elif show == "due_soon":
        dossiers = dossiers.due_soon(now)
    return _with_relations(dossiers).order_by(F("due_at").asc(nulls_first=True), "submitted_at", "id")


@dataclass(frozen=True)
class PaymentRequest:
    """What a dossier waiting for payment asks of the citizen: the fee lines, their total, where to pay."""

    lines: list
    total: int
    pay_at: object  # the unit acting on the dossier


def payment_request(*, dossier: Dossier) -> PaymentRequest | None:
    """The amount to pay while the dossier waits for payment (None otherwise); the page and the API show it.

    Online payment arrives with the payments app; until then the citizen pays at the unit.
    """
    if dossier.status != DossierStatus.PAYMENT_REQUIRED:
        return None
    lines = list(dossier.procedure.fee_lines.all())
    return PaymentRequest(
        lines=lines,
        total=sum(line.amount_vnd for line in lines),
        pay_at=dossier.handling_unit or dossier.receiving_unit,
    )

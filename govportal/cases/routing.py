"""Routing a case to its handling unit: the service every kind's routing task calls, and the sweep.

Submission only records the case; routing runs afterwards in a Celery task
dispatched on commit, and a periodic sweep re-dispatches whatever was
committed but never routed. Both may run the same case more than once, at the
same time, on different workers: `route` routes it once and writes one event,
whatever happens.

Where a case goes is its kind's `route_decision` (which asks the pure engine,
`govportal.tiers.routing`, over the rules table); this module locks, applies
the decision, assigns the least-loaded officer if configured, and audits it.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from govportal.cases import kinds
from govportal.tiers import routing
from govportal.tiers.models import Posting, Role
from identity.models import User

logger = logging.getLogger(__name__)


def route(kind, *, case_id: int, now: datetime | None = None) -> bool:
    """Decide and record the case's handling unit; True if this call routed it.

    Returns False, changing nothing, when the case is gone, not ready
    (`kind.routable`: a draft, not submitted) or already routed. Two guards make
    it safe to run twice or concurrently: the row lock (PostgreSQL) and the
    conditional update on `routed_at IS NULL` (which also holds on SQLite,
    where row locks do not exist). Raises `routing.NoRoutingRule` when no rule
    matches: the task fails loudly and the sweep tries again once an admin has
    fixed the rules.
    """
    now = now or timezone.now()
    model = kind.model
    with transaction.atomic():
        case = (
            model.objects.select_for_update(of=("self",))
            .select_related(*kind.select_related, "receiving_unit")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.routed_at is not None or not kind.routable(case):
            return False

        data: dict = {}
        if case.handling_unit_id is not None:
            # Staff placed the case (a transfer) before the router ran: a person's
            # decision wins over the default one.
            unit_id = case.handling_unit_id
            reason = case.routing_reason or routing.KEPT_REASON
            data["kept"] = True
        else:
            decision = kind.route_decision(case)
            unit_id, reason = decision.unit_id, decision.reason
            data.update(decision.data)

        forward_by = kind.forward_deadline(case, unit_id)

        assignee = None
        if settings.ROUTING_AUTO_ASSIGN and case.assigned_to_id is None and case.status not in kind.final_statuses:
            assignee = least_loaded_officer(unit_id=unit_id, today=timezone.localdate(now))

        from_status = case.status
        changes = {
            "handling_unit_id": unit_id,
            "routing_reason": reason,
            "routed_at": now,
            "forward_by": forward_by,
            "updated_at": now,
        }
        if assignee is not None:
            changes["assigned_to_id"] = assignee.pk
        if kind.routed_status is not None:
            changes["status"] = kind.routed_status  # e.g. a report: new -> routed, with the claim
        claimed = model.objects.filter(pk=case.pk, routed_at__isnull=True).update(version=F("version") + 1, **changes)
        if not claimed:
            return False  # another worker routed it between our read and our write
        for field, value in changes.items():
            setattr(case, field, value)
        case.version += 1

        data.update(
            {
                "handling_unit": unit_id,
                "reason": reason,
                "forward_by": forward_by.isoformat() if forward_by else None,
                "assigned_to": assignee.pk if assignee else None,
            }
        )
        event = kind.append_event(
            case=case,
            actor=None,
            action="route",
            from_status=from_status,
            to_status=case.status,
            data=data,
            now=now,
        )
        if kind.notify_routed is not None:
            event_id = event.pk
            transaction.on_commit(lambda: kind.notify_routed(event_id))
    logger.info("%s %s routed to unit %s (%s)", kind.name.capitalize(), case, unit_id, reason)
    return True


def _away(today: date) -> Q:
    """A posting marked away between two dates (either end may be open)."""
    return (Q(away_from__isnull=False) | Q(away_until__isnull=False)) & (
        (Q(away_from__isnull=True) | Q(away_from__lte=today)) & (Q(away_until__isnull=True) | Q(away_until__gte=today))
    )


def open_cases_of(user_ref) -> Coalesce | Value:
    """How many open cases of every registered kind are assigned to `user_ref` (an expression)."""
    load = Value(0)
    for kind in kinds.registered():
        count = (
            kind.model.objects.filter(assigned_to=user_ref, status__in=kind.open_statuses)
            .order_by()
            .values("assigned_to")
            .annotate(n=Count("pk"))
            .values("n")
        )
        load = load + Coalesce(Subquery(count, output_field=IntegerField()), Value(0))
    return load


def least_loaded_officer(*, unit_id: int, today: date) -> User | None:
    """The unit's active officer, not away today, with the fewest open cases (ties: lowest id).

    Open cases of every kind (dossiers and reports) are counted across all
    units, since an officer posted to two units has one desk. Two cases routed
    at the same instant may pick the same officer: the balance is a default,
    and the head can reassign.
    """
    officer_ids = (
        Posting.objects.filter(unit_id=unit_id, role=Role.OFFICER, is_active=True, user__is_active=True)
        .exclude(_away(today))
        .values("user_id")
    )
    return (
        User.objects.filter(pk__in=officer_ids)
        .annotate(open_cases=open_cases_of(OuterRef("pk")))
        .order_by("open_cases", "pk")
        .first()
    )


def unrouted_ids(kind, *, older_than: timedelta, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Cases submitted more than `older_than` ago and still not routed, oldest first.

    These are the ones whose on-commit dispatch was lost (broker down, worker
    crash before the message was stored). `limit` bounds one sweep; the next
    sweep takes the rest.
    """
    cutoff = (now or timezone.now()) - older_than
    return list(
        kind.model.objects.filter(submitted_at__isnull=False, submitted_at__lte=cutoff, routed_at__isnull=True)
        .order_by("submitted_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def sweep_unrouted(kind, *, older_than: timedelta) -> int:
    """Dispatch routing again (`kind.queue_route`) for cases committed but left unrouted; returns how many."""
    ids = unrouted_ids(kind, older_than=older_than)
    for case_id in ids:
        kind.queue_route(case_id)
    if ids:
        logger.warning("Routing sweep: %s %s(s) were committed but not routed; dispatched again.", len(ids), kind.name)
    return len(ids)

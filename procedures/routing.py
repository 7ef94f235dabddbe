"""Routing a submitted dossier to its handling unit: the service the routing task calls.

Submission only records the dossier; routing runs afterwards in a Celery task
dispatched on commit (`procedures.routing_tasks`), and a periodic sweep
re-dispatches whatever was committed but never routed. Both may run the same
dossier more than once, at the same time, on different workers: `dossier_route`
routes it once and writes one event, whatever happens.

The decision itself is the pure engine's (`govportal.tiers.routing`) over the
rules table; this module loads the data, applies the decision and audits it.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from govportal.tiers import routing
from govportal.tiers.models import Posting, Role, Tier
from govportal.tiers.selectors import routing_rules, unit_name, work_calendar
from identity.models import User
from procedures.models import Dossier
from procedures.workflow import FINAL, OPEN, DossierStatus

logger = logging.getLogger(__name__)

__all__ = ["dossier_route", "least_loaded_officer", "unrouted_dossier_ids"]


def dossier_route(*, dossier_id: int, now: datetime | None = None) -> bool:
    """Decide and record the dossier's handling unit; True if this call routed it.

    Returns False, changing nothing, when the dossier is gone, still a draft, or
    already routed. Two guards make it safe to run twice or concurrently: the
    row lock (PostgreSQL) and the conditional update on `routed_at IS NULL`
    (which also holds on SQLite, where row locks do not exist). Raises
    `routing.NoRoutingRule` when no rule matches: the task fails loudly and the
    sweep tries again once an admin has fixed the rules.
    """
    from procedures.services import dossier_event_append

    now = now or timezone.now()
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure", "receiving_unit")
            .filter(pk=dossier_id)
            .first()
        )
        if dossier is None or dossier.routed_at is not None:
            return False
        if dossier.status == DossierStatus.DRAFT or dossier.submitted_at is None:
            return False

        procedure = dossier.procedure
        data: dict = {}
        if dossier.handling_unit_id is not None:
            # Staff placed the dossier (a transfer) before the router ran: a person's
            # decision wins over the default one.
            unit_id = dossier.handling_unit_id
            reason = dossier.routing_reason or routing.KEPT_REASON
            data["kept"] = True
        else:
            case = routing.CaseInfo(
                kind=routing.DOSSIER,
                tier=procedure.tier,
                receiving_unit_id=dossier.receiving_unit_id,
                department_id=procedure.handling_department_id,
                procedure_code=procedure.code,
                place_unit_id=dossier.receiving_unit_id,
            )
            decision = routing.decide_handling_unit(case, routing_rules(), department_name_of=unit_name)
            unit_id, reason = decision.unit_id, decision.reason
            data["rule"] = decision.rule_number

        forward_by = None
        # The one-stop rule: a ward that received a city-tier dossier forwards it to the
        # city the same working day, or the next one after the 15:00 cut-off.
        if (
            procedure.tier == Tier.CITY
            and dossier.receiving_unit.tier == Tier.COMMUNE
            and unit_id != dossier.receiving_unit_id
        ):
            forward_by = routing.forward_deadline(dossier.submitted_at, work_calendar())

        assignee = None
        if settings.ROUTING_AUTO_ASSIGN and dossier.assigned_to_id is None and dossier.status not in FINAL:
            assignee = least_loaded_officer(unit_id=unit_id, today=timezone.localdate(now))

        changes = {
            "handling_unit_id": unit_id,
            "routing_reason": reason,
            "routed_at": now,
            "forward_by": forward_by,
            "updated_at": now,
        }
        if assignee is not None:
            changes["assigned_to_id"] = assignee.pk
        claimed = Dossier.objects.filter(pk=dossier.pk, routed_at__isnull=True).update(
            version=F("version") + 1, **changes
        )
        if not claimed:
            return False  # another worker routed it between our read and our write
        for field, value in changes.items():
            setattr(dossier, field, value)
        dossier.version += 1

        data.update(
            {
                "handling_unit": unit_id,
                "reason": reason,
                "forward_by": forward_by.isoformat() if forward_by else None,
                "assigned_to": assignee.pk if assignee else None,
            }
        )
        dossier_event_append(
            dossier=dossier,
            actor=None,
            action="route",
            from_status=dossier.status,
            to_status=dossier.status,
            data=data,
            now=now,
        )
    logger.info("Dossier %s routed to unit %s (%s)", dossier.code, unit_id, reason)
    return True


def _away(today: date) -> Q:
    """A posting marked away between two dates (either end may be open)."""
    return (Q(away_from__isnull=False) | Q(away_until__isnull=False)) & (
        (Q(away_from__isnull=True) | Q(away_from__lte=today)) & (Q(away_until__isnull=True) | Q(away_until__gte=today))
    )


def least_loaded_officer(*, unit_id: int, today: date) -> User | None:
    """The unit's active officer, not away today, with the fewest open dossiers (ties: lowest id).

    Open dossiers are counted across all units, since an officer posted to two
    units has one desk. Two dossiers routed at the same instant may pick the
    same officer: the balance is a default, and the head can reassign.
    """
    officer_ids = (
        Posting.objects.filter(unit_id=unit_id, role=Role.OFFICER, is_active=True, user__is_active=True)
        .exclude(_away(today))
        .values("user_id")
    )
    return (
        User.objects.filter(pk__in=officer_ids)
        .annotate(open_cases=Count("assigned_dossiers", filter=Q(assigned_dossiers__status__in=OPEN), distinct=True))
        .order_by("open_cases", "pk")
        .first()
    )


def unrouted_dossier_ids(*, older_than: timedelta, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Dossiers submitted more than `older_than` ago and still not routed, oldest first.

    These are the ones whose on-commit dispatch was lost (broker down, worker
    crash before the message was stored). `limit` bounds one sweep; the next
    sweep takes the rest.
    """
    cutoff = (now or timezone.now()) - older_than
    return list(
        Dossier.objects.filter(submitted_at__isnull=False, submitted_at__lte=cutoff, routed_at__isnull=True)
        .order_by("submitted_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )

"""The legal clocks: due-soon warnings, overdue flags and escalations, run by beat.

Four steps, each fired at most once (the warning once more after each apology), in this order:

* ``due_soon``: the share ``CLOCK_DUE_SOON_SHARE`` (default 0.8) of the
  procedure's time limit is used up, i.e. the working hours left until the
  date the unit works to (``Dossier.target_at``: the legal ``due_at``, or the
  date promised in an apology) are at most (1 - share) of the limit. Counting
  what is *left* (not what elapsed since receipt) keeps the rule right after a
  supplement pause, which moves ``due_at`` but not the legal limit. Only before
  that date: a dossier found already late gets the overdue flag, not a warning.
  An apology clears this flag only: the officer is warned again before the promise.
* ``overdue``: the dossier is overdue by THE definition (``Dossier.objects.overdue``,
  ``Dossier.is_overdue_at``: the legal due date passed unfinished). An apology
  never moves the legal date, so it never defers or clears this step (docs/0006).
* ``escalated_to_head``: overdue, and the date the unit works to has passed
  (the legal date, or the promised one after an apology: the head signed it);
  the head of the acting unit must see that it is finished.
* ``escalated_to_city``: still open ``CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS``
  working days after that date; the city admins and the city's coordinating
  unit (the Public Administration Service Centre) follow it up.

Only running clocks fire: a paused dossier (supplement or payment awaited), a
finished one (decided, stopped, closed) or a final one never does.

This module is the only writer of the clock flags. Each step locks the row,
re-checks its condition and claims the flag with a conditional UPDATE, so two
beat runs or two workers cannot fire it twice. The step writes one
DossierEvent (status unchanged) and, on commit, queues the staff notification
(`procedures.notify_dossier_clock`); the citizen is not told by the clocks.
"""

import logging
from datetime import datetime, timedelta
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from govportal.tasks import dispatch_or_log
from govportal.tiers import calendar as cal
from govportal.tiers.selectors import coordinating_unit, work_calendar
from procedures.deadlines import hours_exact, limit_hours
from procedures.models import CLOCK_FLAGS, Dossier, DossierEvent, Procedure, TimeLimitUnit
from procedures.services import dossier_event_append
from procedures.workflow import CLOCK_RUNNING

logger = logging.getLogger(__name__)

DUE_SOON = "due_soon"
OVERDUE = "overdue"
ESCALATED_TO_HEAD = "escalated_to_head"
ESCALATED_TO_CITY = "escalated_to_city"
KINDS = (DUE_SOON, OVERDUE, ESCALATED_TO_HEAD, ESCALATED_TO_CITY)
FLAGS = dict(zip(KINDS, CLOCK_FLAGS, strict=True))

# The city's Public Administration Service Centre coordinates across units; the
# city itself stands in where the department is not loaded.

# Added to the SQL look-ahead so a due_at in a non-working gap is not missed.
_HORIZON_SLACK_HOURS = Fraction(1, 60)


# --- rules (pure: a dossier, an instant, a calendar) -------------------------------


def due_soon_share() -> Fraction:
    """The share of the limit after which staff are warned, exact (0.8 is 4/5, not a float)."""
    share = Fraction(str(getattr(settings, "CLOCK_DUE_SOON_SHARE", 0.8)))
    if not 0 <= share <= 1:
        raise ImproperlyConfigured(f"CLOCK_DUE_SOON_SHARE must be between 0 and 1, got {share}")
    return share


def city_after_working_days() -> int:
    days = int(getattr(settings, "CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS", 2))
    if days < 0:
        raise ImproperlyConfigured("CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS must be >= 0")
    return days


_hours = hours_exact


def _max_limit_hours(limit_unit: str, value) -> Fraction:
    """An upper bound of `limit_hours` for any procedure with this limit."""
    value = Fraction(value)
    if limit_unit == TimeLimitUnit.WORKING_HOURS:
        return value
    if limit_unit == TimeLimitUnit.WORKING_DAYS:
        return value * cal.HOURS_PER_DAY
    # N calendar days touch at most N + 1 working days (moving past days off adds none).
    return (value + 1) * cal.HOURS_PER_DAY


def due_soon_reached(dossier: Dossier, *, now: datetime, calendar: cal.WorkCalendar, share: Fraction) -> bool:
    """The share of the limit is used up counting towards the date the unit works to (`target_at`).

    Before an apology that is the legal due date; after it, the promised date:
    the officer is warned again before the promise too.
    """
    target = dossier.target_at
    if target is None or dossier.received_at is None or now >= target:
        return False
    left = _hours(calendar.working_hours_between(now, target))
    return left <= (1 - share) * limit_hours(dossier.procedure, dossier.received_at, calendar)


def city_escalation_at(dossier: Dossier, *, calendar: cal.WorkCalendar, days: int) -> datetime:
    """N working days after the date the unit works to (the promised one after an apology)."""
    return calendar.add_working_days(dossier.target_at, days)


def _clock_running(dossier: Dossier) -> bool:
    # A decided dossier waiting to hand its result over is finished: its clock no longer fires.
    return (
        dossier.status in CLOCK_RUNNING
        and dossier.paused_at is None
        and dossier.due_at is not None
        and dossier.finished_at is None
    )


# --- services: one per step ----------------------------------------------------------


def _fire(*, dossier: Dossier, kind: str, now: datetime, holds, data) -> DossierEvent | None:
    """Lock, re-check, claim the flag, write the event; queue the notification on commit.

    `holds(locked)` is the step's condition on the locked row; `data(locked)` the
    event data. Returns the event, or None when the step does not (or no longer) apply.
    """
    flag = FLAGS[kind]
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().select_related("procedure").filter(pk=dossier.pk).first()
        if locked is None or not _clock_running(locked) or getattr(locked, flag) is not None or not holds(locked):
            return None
        changes = {flag: now, "updated_at": now}
        # The claim: a conditional UPDATE, so a second run that read the row
        # before this one committed still changes nothing (also on SQLite).
        claimed = Dossier.objects.filter(
            pk=locked.pk,
            **{f"{flag}__isnull": True},
            status=locked.status,
            paused_at__isnull=True,
            due_at=locked.due_at,
            promised_at=locked.promised_at,
        ).update(**changes)
        if not claimed:
            return None
        for field, value in changes.items():
            setattr(locked, field, value)
        event = dossier_event_append(
            dossier=locked,
            actor=None,
            action=kind,
            from_status=locked.status,
            to_status=locked.status,
            data={
                # The date this step counts against: the legal one for "overdue", the one the unit
                # works to (promised after an apology) for the warning and the escalations.
                "due_at": (locked.due_at if kind == OVERDUE else locked.target_at).isoformat(),
                "legal_due_at": locked.due_at.isoformat(),
                "promised_at": locked.promised_at.isoformat() if locked.promised_at else None,
                "assigned_to": locked.assigned_to_id,
                **data(locked),
            },
            now=now,
        )
        transaction.on_commit(lambda: _queue_notification(event.pk))
    return event


def _queue_notification(event_id: int) -> None:
    from procedures.clock_tasks import notify_dossier_clock

    # Not swept: the event stays in the dossier's timeline and the workbench's due/overdue filters.
    dispatch_or_log(notify_dossier_clock, event_id, recovered_by="the notification sweep")


def dossier_warn_due_soon(
    *, dossier: Dossier, now: datetime | None = None, calendar: cal.WorkCalendar | None = None
) -> DossierEvent | None:
    """Warn the officer once the share of the time limit is used, before the deadline."""
    now = now or timezone.now()
    calendar = calendar or work_calendar()
    share = due_soon_share()

    def data(locked):
        left = _hours(calendar.working_hours_between(now, locked.target_at))
        return {"share": float(share), "hours_left": round(float(left), 2)}

    return _fire(
        dossier=dossier,
        kind=DUE_SOON,
        now=now,
        holds=lambda locked: due_soon_reached(locked, now=now, calendar=calendar, share=share),
        data=data,
    )


def dossier_flag_overdue(*, dossier: Dossier, now: datetime | None = None) -> DossierEvent | None:
    """Record (`overdue_flagged_at`) that the dossier became overdue: the one definition, legal date only."""
    now = now or timezone.now()
    return _fire(dossier=dossier, kind=OVERDUE, now=now, holds=lambda d: d.is_overdue_at(now), data=lambda d: {})


def dossier_escalate_to_head(*, dossier: Dossier, now: datetime | None = None) -> DossierEvent | None:
    """Tell the heads of the acting unit once it is overdue and the date it works to has passed.

    Without an apology that is the legal date (the same run as the flag); after
    one, the promised date: the head signed the apology and hears when it is missed.
    """
    now = now or timezone.now()
    return _fire(
        dossier=dossier,
        kind=ESCALATED_TO_HEAD,
        now=now,
        holds=lambda d: d.overdue_flagged_at is not None and now >= d.target_at,
        data=lambda d: {},
    )


def dossier_escalate_to_city(
    *, dossier: Dossier, now: datetime | None = None, calendar: cal.WorkCalendar | None = None
) -> DossierEvent | None:
    """Hand the follow-up to the city N working days after the deadline (after the head)."""
    now = now or timezone.now()
    calendar = calendar or work_calendar()
    days = city_after_working_days()
    unit = coordinating_unit()

    def holds(locked):
        return locked.escalated_to_head_at is not None and now >= city_escalation_at(
            locked, calendar=calendar, days=days
        )

    def data(locked):
        return {"after_working_days": days, "coordinating_unit": unit.pk if unit else None}

    return _fire(dossier=dossier, kind=ESCALATED_TO_CITY, now=now, holds=holds, data=data)


# --- the sweep --------------------------------------------------------------------------


def clocks_run(*, now: datetime | None = None) -> dict[str, int]:
    """Fire every step that is due, once; returns how many fired per kind (and errors).

    Candidates are chosen in SQL on the indexed (status, due_at) and the flag,
    with a look-ahead that can only over-select, so idle dossiers cost no query;
    the exact rule is checked in Python and again under the row lock.
    """
    now = now or timezone.now()
    calendar = work_calendar()
    share = due_soon_share()
    days = city_after_working_days()
    counts = dict.fromkeys((*KINDS, "errors"), 0)
    running = (
        Dossier.objects.unfinished()
        .filter(status__in=CLOCK_RUNNING, paused_at__isnull=True, due_at__isnull=False)
        .alias(target=Coalesce("promised_at", "due_at"))
        .order_by("due_at", "pk")
    )

    def fire(kind, service, dossier, **kwargs):
        try:
            if service(dossier=dossier, now=now, **kwargs) is not None:
                counts[kind] += 1
        except Exception:
            # One broken dossier must not stop the clocks of the others; the next run retries it.
            logger.exception("Clock step %s failed for dossier %s", kind, dossier.pk)
            counts["errors"] += 1

    # Due soon: a dossier with more working hours left than (1 - share) of the
    # longest limit in the catalogue is not near its warning yet.
    longest = max(
        (
            _max_limit_hours(row["time_limit_unit"], row["top"])
            for row in Procedure.objects.order_by().values("time_limit_unit").annotate(top=Max("time_limit_value"))
            if row["top"] is not None
        ),
        default=None,
    )
    if longest is not None:
        horizon = calendar.add_working_hours(now, (1 - share) * longest + _HORIZON_SLACK_HOURS)
        candidates = running.filter(due_soon_warned_at__isnull=True, target__gt=now, target__lte=horizon)
        for dossier in candidates.select_related("procedure"):
            if due_soon_reached(dossier, now=now, calendar=calendar, share=share):
                fire(DUE_SOON, dossier_warn_due_soon, dossier, calendar=calendar)

    # The one definition of overdue (procedures.models.overdue_q), on running clocks.
    for dossier in running.overdue(now).filter(overdue_flagged_at__isnull=True):
        fire(OVERDUE, dossier_flag_overdue, dossier)

    # Queried after the overdue step, so a dossier flagged just now is escalated in the same run.
    for dossier in running.filter(escalated_to_head_at__isnull=True, overdue_flagged_at__isnull=False, target__lte=now):
        fire(ESCALATED_TO_HEAD, dossier_escalate_to_head, dossier)

    # N working days are at least N x 8 hours of real time: a safe SQL bound.
    latest_due = now - timedelta(hours=days * cal.HOURS_PER_DAY)
    for dossier in running.filter(
        escalated_to_city_at__isnull=True, escalated_to_head_at__isnull=False, target__lte=latest_due
    ):
        if now >= city_escalation_at(dossier, calendar=calendar, days=days):
            fire(ESCALATED_TO_CITY, dossier_escalate_to_city, dossier, calendar=calendar)

    if any(counts.values()):
        logger.info("Dossier clocks at %s: %s", now.isoformat(), counts)
    return counts


# --- notifications (staff only) ---------------------------------------------------------
# Texts and recipients live with every other dossier notification, in
# procedures.notifications (STAFF_MESSAGES, `staff_recipients`: the assignee,
# else the unit's officers and heads; heads for overdue; the city after that).


def dossier_clock_notify(*, event_id: int) -> int:
    """Notify the staff of one clock step; the source key makes a second run send nothing.

    Returns how many users got something new in this run.
    """
    from procedures.notifications import dossier_event_notify

    return dossier_event_notify(event_id=event_id)

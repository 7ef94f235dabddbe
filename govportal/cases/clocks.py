"""The legal clocks of every case kind: due-soon warnings, overdue flags and escalations, run by beat.

Four steps, each fired at most once (the warning once more after each apology), in this order:

* ``due_soon``: the share ``CLOCK_DUE_SOON_SHARE`` (default 0.8) of the
  case's time limit is used up, i.e. the working hours left until the date the
  unit works to (``Case.target_at``: the legal ``due_at``, or the date promised
  in an apology) are at most (1 - share) of the limit. Counting what is *left*
  (not what elapsed since receipt) keeps the rule right after a pause, which
  moves ``due_at`` but not the legal limit. Only before that date: a case found
  already late gets the overdue flag, not a warning. An apology clears this
  flag only: the officer is warned again before the promise.
* ``overdue``: the case is overdue by THE definition (``CaseQuerySet.overdue``,
  ``Case.is_overdue_at``: the legal due date passed unfinished). An apology
  never moves the legal date, so it never defers or clears this step (docs/0006).
* ``escalated_to_head``: overdue, and the date the unit works to has passed
  (the legal date, or the promised one after an apology: the head signed it);
  the head of the acting unit must see that it is finished.
* ``escalated_to_city``: still open ``CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS``
  working days after that date; the city admins and the city's coordinating
  unit (the Public Administration Service Centre) follow it up.

Only running clocks fire: a paused case (supplement or payment awaited), a
finished one (decided, stopped, closed) or a final one never does.

This module is the only writer of the clock flags. Each step locks the row,
re-checks its condition and claims the flag with a conditional UPDATE, so two
beat runs or two workers cannot fire it twice. The step writes one event
(status unchanged) and, on commit, hands it to the kind's `notify_clock`; the
citizen is not told by the clocks. Every step takes the case kind first
(`govportal.cases.kinds`).
"""

import logging
from datetime import datetime, timedelta
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from govportal.cases.models import CLOCK_FLAGS
from govportal.tiers import calendar as cal
from govportal.tiers.selectors import coordinating_unit, work_calendar

logger = logging.getLogger(__name__)

DUE_SOON = "due_soon"
OVERDUE = "overdue"
ESCALATED_TO_HEAD = "escalated_to_head"
ESCALATED_TO_CITY = "escalated_to_city"
KINDS = (DUE_SOON, OVERDUE, ESCALATED_TO_HEAD, ESCALATED_TO_CITY)
FLAGS = dict(zip(KINDS, CLOCK_FLAGS, strict=True))

# Added to the SQL look-ahead so a due_at in a non-working gap is not missed.
_HORIZON_SLACK_HOURS = Fraction(1, 60)

_US_PER_HOUR = 3_600 * 1_000_000


def hours_exact(value: float) -> Fraction:
    """Working hours from `working_hours_between` (whole microseconds), undoing its float division exactly."""
    return Fraction(round(value * _US_PER_HOUR), _US_PER_HOUR)


# --- rules (pure: a case, an instant, a calendar) -----------------------------------


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


def due_soon_reached(kind, case, *, now: datetime, calendar: cal.WorkCalendar, share: Fraction) -> bool:
    """The share of the limit is used up counting towards the date the unit works to (`target_at`).

    Before an apology that is the legal due date; after it, the promised date:
    the officer is warned again before the promise too.
    """
    target = case.target_at
    if target is None or case.received_at is None or now >= target:
        return False
    left = hours_exact(calendar.working_hours_between(now, target))
    return left <= (1 - share) * kind.limit_hours(case, calendar)


def city_escalation_at(case, *, calendar: cal.WorkCalendar, days: int) -> datetime:
    """N working days after the date the unit works to (the promised one after an apology)."""
    return calendar.add_working_days(case.target_at, days)


def clock_running(kind, case) -> bool:
    # A decided case waiting to hand its result over is finished: its clock no longer fires.
    return (
        case.status in kind.clock_running_statuses
        and case.paused_at is None
        and case.due_at is not None
        and case.finished_at is None
    )


# --- services: one per step ----------------------------------------------------------


def _fire(kind, *, case, step: str, now: datetime, holds, data):
    """Lock, re-check, claim the flag, write the event; hand it to the kind's notifier on commit.

    `holds(locked)` is the step's condition on the locked row; `data(locked)` the
    event data. Returns the event, or None when the step does not (or no longer) apply.
    """
    flag = FLAGS[step]
    model = kind.model
    with transaction.atomic():
        locked = model.objects.select_for_update().select_related(*kind.select_related).filter(pk=case.pk).first()
        if locked is None or not clock_running(kind, locked) or getattr(locked, flag) is not None or not holds(locked):
            return None
        changes = {flag: now, "updated_at": now}
        # The claim: a conditional UPDATE, so a second run that read the row
        # before this one committed still changes nothing (also on SQLite).
        claimed = model.objects.filter(
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
        event = kind.append_event(
            case=locked,
            actor=None,
            action=step,
            from_status=locked.status,
            to_status=locked.status,
            data={
                # The date this step counts against: the legal one for "overdue", the one the unit
                # works to (promised after an apology) for the warning and the escalations.
                "due_at": (locked.due_at if step == OVERDUE else locked.target_at).isoformat(),
                "legal_due_at": locked.due_at.isoformat(),
                "promised_at": locked.promised_at.isoformat() if locked.promised_at else None,
                "assigned_to": locked.assigned_to_id,
                **data(locked),
            },
            now=now,
        )
        # Not swept: the event stays in the case's timeline and the workbench's due/overdue filters.
        transaction.on_commit(lambda: kind.notify_clock(event.pk))
    return event


def warn_due_soon(kind, *, case, now: datetime | None = None, calendar: cal.WorkCalendar | None = None):
    """Warn the officer once the share of the time limit is used, before the deadline."""
    now = now or timezone.now()
    calendar = calendar or work_calendar()
    share = due_soon_share()

    def data(locked):
        left = hours_exact(calendar.working_hours_between(now, locked.target_at))
        return {"share": float(share), "hours_left": round(float(left), 2)}

    return _fire(
        kind,
        case=case,
        step=DUE_SOON,
        now=now,
        holds=lambda locked: due_soon_reached(kind, locked, now=now, calendar=calendar, share=share),
        data=data,
    )


def flag_overdue(kind, *, case, now: datetime | None = None):
    """Record (`overdue_flagged_at`) that the case became overdue: the one definition, legal date only."""
    now = now or timezone.now()
    return _fire(kind, case=case, step=OVERDUE, now=now, holds=lambda c: c.is_overdue_at(now), data=lambda c: {})


def escalate_to_head(kind, *, case, now: datetime | None = None):
    """Tell the heads of the acting unit once it is overdue and the date it works to has passed.

    Without an apology that is the legal date (the same run as the flag); after
    one, the promised date: the head signed the apology and hears when it is missed.
    """
    now = now or timezone.now()
    return _fire(
        kind,
        case=case,
        step=ESCALATED_TO_HEAD,
        now=now,
        holds=lambda c: c.overdue_flagged_at is not None and now >= c.target_at,
        data=lambda c: {},
    )


def escalate_to_city(kind, *, case, now: datetime | None = None, calendar: cal.WorkCalendar | None = None):
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

    return _fire(kind, case=case, step=ESCALATED_TO_CITY, now=now, holds=holds, data=data)


# --- the sweep --------------------------------------------------------------------------


def clocks_run(kind, *, now: datetime | None = None) -> dict[str, int]:
    """Fire every step of this kind's cases that is due, once; returns how many fired per step (and errors).

    Candidates are chosen in SQL on the indexed (status, due_at) and the flag,
    with a look-ahead that can only over-select, so idle cases cost no query;
    the exact rule is checked in Python and again under the row lock.
    """
    now = now or timezone.now()
    calendar = work_calendar()
    share = due_soon_share()
    days = city_after_working_days()
    counts = dict.fromkeys((*KINDS, "errors"), 0)
    running = (
        kind.model.objects.unfinished()
        .filter(status__in=kind.clock_running_statuses, paused_at__isnull=True, due_at__isnull=False)
        .alias(target=Coalesce("promised_at", "due_at"))
        .order_by("due_at", "pk")
    )

    def fire(step, service, case, **kwargs):
        try:
            if service(kind, case=case, now=now, **kwargs) is not None:
                counts[step] += 1
        except Exception:
            # One broken case must not stop the clocks of the others; the next run retries it.
            logger.exception("Clock step %s failed for %s %s", step, kind.name, case.pk)
            counts["errors"] += 1

    # Due soon: a case with more working hours left than (1 - share) of the
    # longest limit of its kind is not near its warning yet.
    longest = kind.longest_limit_hours()
    if longest is not None:
        horizon = calendar.add_working_hours(now, (1 - share) * longest + _HORIZON_SLACK_HOURS)
        candidates = running.filter(due_soon_warned_at__isnull=True, target__gt=now, target__lte=horizon)
        for case in candidates.select_related(*kind.select_related):
            if due_soon_reached(kind, case, now=now, calendar=calendar, share=share):
                fire(DUE_SOON, warn_due_soon, case, calendar=calendar)

    # The one definition of overdue (govportal.cases.models.overdue_q), on running clocks.
    for case in running.overdue(now).filter(overdue_flagged_at__isnull=True):
        fire(OVERDUE, flag_overdue, case)

    # Queried after the overdue step, so a case flagged just now is escalated in the same run.
    for case in running.filter(escalated_to_head_at__isnull=True, overdue_flagged_at__isnull=False, target__lte=now):
        fire(ESCALATED_TO_HEAD, escalate_to_head, case)

    # N working days are at least N x 8 hours of real time: a safe SQL bound.
    latest_due = now - timedelta(hours=days * cal.HOURS_PER_DAY)
    for case in running.filter(
        escalated_to_city_at__isnull=True, escalated_to_head_at__isnull=False, target__lte=latest_due
    ):
        if now >= city_escalation_at(case, calendar=calendar, days=days):
            fire(ESCALATED_TO_CITY, escalate_to_city, case, calendar=calendar)

    if any(counts.values()):
        logger.info("Clocks of %s cases at %s: %s", kind.name, now.isoformat(), counts)
    return counts

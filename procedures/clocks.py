"""The legal clocks: due-soon warnings, overdue flags and escalations, run by beat.

Four steps, each fired at most once per due date, in this order:

* ``due_soon``: the share ``CLOCK_DUE_SOON_SHARE`` (default 0.8) of the
  procedure's time limit is used up, i.e. the working hours left until
  ``due_at`` are at most (1 - share) of the limit. Counting what is *left*
  (not what elapsed since receipt) keeps the rule right after a supplement
  pause, which moves ``due_at`` but not the legal limit. Only before the
  deadline: a dossier found already late gets the overdue flag, not a warning.
* ``overdue``: ``now >= due_at``; also sets ``is_overdue``.
* ``escalated_to_head``: the dossier is overdue (same run as the flag, or later);
  the head of the acting unit must see that it is finished or apologised for.
* ``escalated_to_city``: still open ``CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS``
  working days after ``due_at``; the city admins and the city's coordinating
  unit (the Public Administration Service Centre) follow it up.

Every condition uses the dossier's current ``due_at``. An apology with a new
date clears the four flags (procedures.services): missing the new date fires
the steps again, against that date. Only running clocks fire:
a paused dossier (supplement requested) or a final one never does.

This module is the only writer of the clock flags. Each step locks the row,
re-checks its condition and claims the flag with a conditional UPDATE, so two
beat runs or two workers cannot fire it twice. The step writes one
DossierEvent (status unchanged) and, on commit, queues the staff notification
(`procedures.notify_dossier_clock`); the citizen is not told by the clocks.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from govportal.tasks import dispatch_or_log
from govportal.tiers import calendar as cal
from govportal.tiers.models import Role
from govportal.tiers.selectors import coordinating_unit, work_calendar
from identity.notifications import SUBJECT_SEPARATOR, bilingual, notification_send
from procedures.deadlines import deadline_for
from procedures.models import CLOCK_FLAGS, Dossier, DossierEvent, Procedure, TimeLimitUnit
from procedures.services import _event
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

_US_PER_HOUR = 3_600 * 1_000_000
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


def _hours(value: float) -> Fraction:
    # working_hours_between counts whole microseconds; undo its float division exactly.
    return Fraction(round(value * _US_PER_HOUR), _US_PER_HOUR)


def limit_hours(procedure: Procedure, received_at: datetime, calendar: cal.WorkCalendar) -> Fraction:
    """The procedure's legal time limit in working hours (what the due-soon share is a share of)."""
    value = Fraction(procedure.time_limit_value)
    if procedure.time_limit_unit == TimeLimitUnit.WORKING_HOURS:
        return value
    if procedure.time_limit_unit == TimeLimitUnit.WORKING_DAYS:
        return value * cal.HOURS_PER_DAY
    # Calendar days: the working time between the clock start and the original deadline.
    start = calendar.clock_start(received_at)
    return _hours(calendar.working_hours_between(start, deadline_for(procedure, received_at, calendar)))


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
    if dossier.due_at is None or dossier.received_at is None or now >= dossier.due_at:
        return False
    left = _hours(calendar.working_hours_between(now, dossier.due_at))
    return left <= (1 - share) * limit_hours(dossier.procedure, dossier.received_at, calendar)


def city_escalation_at(dossier: Dossier, *, calendar: cal.WorkCalendar, days: int) -> datetime:
    return calendar.add_working_days(dossier.due_at, days)


def _clock_running(dossier: Dossier) -> bool:
    return dossier.status in CLOCK_RUNNING and dossier.paused_at is None and dossier.due_at is not None


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
        if kind == OVERDUE:
            changes["is_overdue"] = True
        # The claim: a conditional UPDATE, so a second run that read the row
        # before this one committed still changes nothing (also on SQLite).
        claimed = Dossier.objects.filter(
            pk=locked.pk,
            **{f"{flag}__isnull": True},
            status=locked.status,
            paused_at__isnull=True,
            due_at=locked.due_at,
        ).update(**changes)
        if not claimed:
            return None
        for field, value in changes.items():
            setattr(locked, field, value)
        event = _event(
            dossier=locked,
            actor=None,
            action=kind,
            from_status=locked.status,
            to_status=locked.status,
            data={"due_at": locked.due_at.isoformat(), "assigned_to": locked.assigned_to_id, **data(locked)},
            now=now,
        )
        transaction.on_commit(lambda: _queue_notification(event.pk))
    return event


def _queue_notification(event_id: int) -> None:
    from procedures.clock_tasks import notify_dossier_clock

    # Not swept: the event stays in the dossier's timeline and the workbench's due/overdue filters.
    dispatch_or_log(notify_dossier_clock, event_id, recovered_by="nobody (the clock event stays on the dossier)")


def dossier_warn_due_soon(
    *, dossier: Dossier, now: datetime | None = None, calendar: cal.WorkCalendar | None = None
) -> DossierEvent | None:
    """Warn the officer once the share of the time limit is used, before the deadline."""
    now = now or timezone.now()
    calendar = calendar or work_calendar()
    share = due_soon_share()

    def data(locked):
        left = _hours(calendar.working_hours_between(now, locked.due_at))
        return {"share": float(share), "hours_left": round(float(left), 2)}

    return _fire(
        dossier=dossier,
        kind=DUE_SOON,
        now=now,
        holds=lambda locked: due_soon_reached(locked, now=now, calendar=calendar, share=share),
        data=data,
    )


def dossier_flag_overdue(*, dossier: Dossier, now: datetime | None = None) -> DossierEvent | None:
    """Flag the dossier overdue at its deadline (`is_overdue` and `overdue_flagged_at`)."""
    now = now or timezone.now()
    return _fire(dossier=dossier, kind=OVERDUE, now=now, holds=lambda d: now >= d.due_at, data=lambda d: {})


def dossier_escalate_to_head(*, dossier: Dossier, now: datetime | None = None) -> DossierEvent | None:
    """Tell the heads of the acting unit, once the overdue flag is set."""
    now = now or timezone.now()
    return _fire(
        dossier=dossier,
        kind=ESCALATED_TO_HEAD,
        now=now,
        holds=lambda d: d.overdue_flagged_at is not None and now >= d.due_at,
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
    running = Dossier.objects.filter(status__in=CLOCK_RUNNING, paused_at__isnull=True, due_at__isnull=False).order_by(
        "due_at", "pk"
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
        candidates = running.filter(due_soon_warned_at__isnull=True, due_at__gt=now, due_at__lte=horizon)
        for dossier in candidates.select_related("procedure"):
            if due_soon_reached(dossier, now=now, calendar=calendar, share=share):
                fire(DUE_SOON, dossier_warn_due_soon, dossier, calendar=calendar)

    for dossier in running.filter(overdue_flagged_at__isnull=True, due_at__lte=now):
        fire(OVERDUE, dossier_flag_overdue, dossier)

    # Queried after the overdue step, so a dossier flagged just now is escalated in the same run.
    for dossier in running.filter(escalated_to_head_at__isnull=True, overdue_flagged_at__isnull=False, due_at__lte=now):
        fire(ESCALATED_TO_HEAD, dossier_escalate_to_head, dossier)

    # N working days are at least N x 8 hours of real time: a safe SQL bound.
    latest_due = now - timedelta(hours=days * cal.HOURS_PER_DAY)
    for dossier in running.filter(
        escalated_to_city_at__isnull=True, escalated_to_head_at__isnull=False, due_at__lte=latest_due
    ):
        if now >= city_escalation_at(dossier, calendar=calendar, days=days):
            fire(ESCALATED_TO_CITY, dossier_escalate_to_city, dossier, calendar=calendar)

    if any(counts.values()):
        logger.info("Dossier clocks at %s: %s", now.isoformat(), counts)
    return counts


# --- notifications (staff only) ---------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    body: tuple[str, ...]  # one msgid per line


MESSAGES = {
    DUE_SOON: Message(
        gettext_noop("Dossier %(code)s is due soon: %(due)s"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s has used %(percent)s%% of its time limit."),
            gettext_noop("The result is due on %(due)s."),
            gettext_noop(
                "If it cannot be finished in time, write the apology to the citizen, "
                "with the reason and a new date, before the deadline."
            ),
        ),
    ),
    OVERDUE: Message(
        gettext_noop("Dossier %(code)s is overdue"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s was due on %(due)s and has no result yet."),
            gettext_noop("The unit owes the citizen a written apology with the reason and a new date."),
        ),
    ),
    ESCALATED_TO_HEAD: Message(
        gettext_noop("Dossier %(code)s is overdue: for the head of unit"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s was due on %(due)s and has no result yet."),
            gettext_noop(
                "As head of the unit, please see that it is finished, or that the citizen "
                "receives an apology with a new date."
            ),
        ),
    ),
    ESCALATED_TO_CITY: Message(
        gettext_noop("Dossier %(code)s escalated to the city: overdue at %(unit)s"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s was due on %(due)s and has no result yet."),
            gettext_noop("It is still open %(days)s after the deadline."),
            gettext_noop("The city's coordinating unit should follow it up with the unit."),
        ),
    ),
}


def _when(value: str) -> str:
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%d/%m/%Y %H:%M")


def _context(event: DossierEvent) -> dict:
    """Placeholders in the active language, from the event alone (what was true when it fired)."""
    english = (get_language() or "vi").startswith("en")
    dossier, unit = event.dossier, event.unit
    days = event.data.get("after_working_days", 0)
    return {
        "code": dossier.code,
        "procedure": (dossier.procedure.name_en if english else "") or dossier.procedure.name_vi,
        "unit": ((unit.name_en if english else "") or unit.name) if unit else "—",
        "due": _when(event.data["due_at"]),
        "percent": round(event.data.get("share", 0) * 100),
        "days": ngettext("%(count)s working day", "%(count)s working days", days) % {"count": days},
    }


def _staff(*, roles, unit_id=None):
    postings = {"postings__is_active": True, "postings__role__in": roles}
    if unit_id is not None:
        postings["postings__unit_id"] = unit_id
    return list(get_user_model().objects.filter(is_active=True, **postings).distinct().order_by("pk"))


def clock_recipients(event: DossierEvent) -> list:
    """Who hears about one step: the assigned officer, the unit's officers or heads, the city."""
    User = get_user_model()
    assigned_id = event.data.get("assigned_to")
    assigned = list(User.objects.filter(pk=assigned_id, is_active=True)) if assigned_id else []
    unit_id = event.unit_id
    if event.action == DUE_SOON:
        # Nobody assigned: every officer of the unit (its heads if it has none).
        users = assigned or _staff(roles=[Role.OFFICER], unit_id=unit_id) or _staff(roles=[Role.HEAD], unit_id=unit_id)
    elif event.action == OVERDUE:
        users = assigned + _staff(roles=[Role.HEAD], unit_id=unit_id)
    elif event.action == ESCALATED_TO_HEAD:
        users = _staff(roles=[Role.HEAD], unit_id=unit_id)
    elif event.action == ESCALATED_TO_CITY:
        users = _staff(roles=[Role.CITY_ADMIN])
        coordinating = event.data.get("coordinating_unit")
        if coordinating:
            users += _staff(roles=Role.values, unit_id=coordinating)
    else:
        return []
    unique = {}
    for user in users:
        unique.setdefault(user.pk, user)
    return list(unique.values())


def dossier_clock_notify(*, event_id: int) -> int:
    """Notify the staff of one clock step; the source key makes a second run send nothing.

    Returns how many users got something new in this run.
    """
    event = DossierEvent.objects.select_related("dossier__procedure", "unit").filter(pk=event_id).first()
    if event is None or event.action not in MESSAGES:
        logger.warning("Clock event %s not found: nothing to notify", event_id)
        return 0
    message = MESSAGES[event.action]

    def subject() -> str:
        return gettext(message.subject) % _context(event)

    def body() -> str:
        context = _context(event)
        return "\n".join(gettext(line) % context for line in message.body)

    rendered_subject, rendered_body = bilingual(subject, separator=SUBJECT_SEPARATOR), bilingual(body)
    link = reverse("workbench-dossier", kwargs={"code": event.dossier.code})
    delivered = 0
    for user in clock_recipients(event):
        notification = notification_send(
            user=user,
            subject=rendered_subject,
            body=rendered_body,
            link=link,
            source=f"dossier-clock:{event.pk}:{user.pk}",
        )
        delivered += int(notification.created or notification.emailed)
    return delivered

"""What people are told about dossiers, in the portal and by email: the citizen and the staff.

Run by `procedures.tasks.notify_dossier_event` on commit, after a transition
in `services.NOTIFY_ACTIONS` or a clock step (`procedures.clocks`). Each
message is built from the event (its note, unit and data), never from what
the dossier became since, so a late or repeated run says what happened at
that step.

* The citizen hears of the steps in `MESSAGES` (receipt, supplement request,
  decision...). Source "dossier-event:<event id>".
* The staff hear of their work (`STAFF_MESSAGES`): the citizen's supplement,
  a transfer that arrives or is returned, an assignment by the head, the
  clocks' warnings and escalations. Source "dossier-staff:<event id>", one
  row per recipient (the source is unique per user).

Who among the staff: `staff_recipients`. One rule, `case_staff`: the
officer the dossier is assigned to, or, when it is unassigned (or the
assignee left the unit), every officer and head posted at the unit. Nobody is
told of their own action.

Both sources make a second run send nothing, and let the beat sweep
(`unnotified_event_ids`) find the events whose task was lost: queued while the
broker was down, or taken by a worker killed before it ran. The sweep looks
for "nobody was told"; a run that told some recipients and then failed is
retried by its task (late acknowledgement), not by the sweep.

Texts are English msgids rendered in each recipient's language
(`identity.notifications.in_language`); dates are dd/mm/yyyy HH:MM in the
city's time zone.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop, ngettext

from govportal.tiers.models import Role, Unit
from identity import access
from identity.models import Notification
from identity.notifications import format_when, in_language, language_of, notification_send
from procedures.models import DossierEvent

logger = logging.getLogger(__name__)

# The citizen's pages (procedures.urls_citizen): the dossier and its receipt/appointment slip.
DOSSIER_PAGE = "my-dossier"
SLIP_PAGE = "dossier-slip"
# The officer's page of the dossier (procedures.urls_workbench).
WORKBENCH_PAGE = "workbench-dossier"
# A notification's `source` is a prefix and the event's id: once per event and user, and the sweep's marker.
SOURCE_PREFIX = "dossier-event:"
STAFF_SOURCE_PREFIX = "dossier-staff:"

# The clock steps (procedures.clocks.KINDS; named here so this module does not import the clocks).
DUE_SOON = "due_soon"
OVERDUE = "overdue"
ESCALATED_TO_HEAD = "escalated_to_head"
ESCALATED_TO_CITY = "escalated_to_city"


@dataclass(frozen=True)
class Message:
    subject: str
    body: tuple[str, ...]  # one msgid per line
    link: str = DOSSIER_PAGE  # URL name, with the dossier code


# A line that is the officer's or citizen's own words, not a msgid.
NOTE = "%(note)s"

MESSAGES = {
    # Receipt starts the legal clock: the citizen gets the due date and the appointment slip.
    "receive": Message(
        gettext_noop("Dossier %(code)s has been received"),
        (
            gettext_noop("%(unit)s received your dossier %(code)s (%(procedure)s) on %(at)s."),
            gettext_noop("The result is due on %(due)s."),
            gettext_noop("Print or show your receipt and appointment slip from the link below."),
        ),
        SLIP_PAGE,
    ),
    "refuse_receipt": Message(
        gettext_noop("Dossier %(code)s was not received"),
        (
            gettext_noop("%(unit)s did not receive your dossier %(code)s (%(procedure)s)."),
            gettext_noop("Reason: %(note)s"),
        ),
    ),
    "request_supplement": Message(
        gettext_noop("Dossier %(code)s: please send a supplement"),
        (
            gettext_noop("%(unit)s asks you to supplement your dossier %(code)s (%(procedure)s):"),
            NOTE,
            gettext_noop("The processing time is paused until you send the supplement."),
        ),
    ),
    "decide": Message(
        gettext_noop("Dossier %(code)s: a decision has been made"),
        (
            gettext_noop("A decision has been made on your dossier %(code)s (%(procedure)s) on %(at)s."),
            gettext_noop("%(unit)s will return the result to you; you can also see it in the portal."),
        ),
    ),
    "stop": Message(
        gettext_noop("Dossier %(code)s: processing stopped"),
        (
            gettext_noop("%(unit)s stopped processing your dossier %(code)s (%(procedure)s)."),
            gettext_noop("Reason: %(note)s"),
        ),
    ),
    "return_result": Message(
        gettext_noop("Dossier %(code)s: the result has been returned"),
        (gettext_noop("The result of your dossier %(code)s (%(procedure)s) was returned to you on %(at)s."),),
    ),
    # The written apology before the deadline: reason and new date (the law requires both).
    "apologise": Message(
        gettext_noop("Dossier %(code)s will be late: new date %(new_due)s"),
        (
            gettext_noop(
                "%(unit)s apologises: your dossier %(code)s (%(procedure)s) cannot be completed by %(old_due)s."
            ),
            gettext_noop("Reason: %(note)s"),
            gettext_noop("New date for the result: %(new_due)s."),
        ),
    ),
    # The citizen hears of a transfer once the new unit accepted it. It does not restart the
    # clock: the citizen does not pay for a wrong first unit.
    "accept_transfer": Message(
        gettext_noop("Dossier %(code)s was transferred to another unit"),
        (
            gettext_noop("Your dossier %(code)s (%(procedure)s) was transferred to %(unit)s."),
            gettext_noop("Reason: %(note)s"),
            gettext_noop("The processing time continues; it does not start again."),
        ),
    ),
}

# What the staff hear, linked to the dossier's workbench page.
STAFF_MESSAGES = {
    "supplement": Message(
        gettext_noop("Dossier %(code)s: the citizen sent the supplement"),
        (
            gettext_noop("The citizen sent the supplement to dossier %(code)s (%(procedure)s) on %(at)s."),
            gettext_noop("The processing time runs again: the result is due on %(due)s."),
        ),
        WORKBENCH_PAGE,
    ),
    "transfer": Message(
        gettext_noop("Dossier %(code)s transferred to your unit: accept or return it"),
        (
            gettext_noop("%(unit)s transferred dossier %(code)s (%(procedure)s) to %(to_unit)s on %(at)s."),
            gettext_noop("Reason: %(note)s"),
            gettext_noop("Accept it, or return it with the reason, from the dossier's page."),
        ),
        WORKBENCH_PAGE,
    ),
    "return_transfer": Message(
        gettext_noop("Dossier %(code)s: the transfer was returned"),
        (
            gettext_noop("%(returned_from)s returned dossier %(code)s (%(procedure)s) to %(unit)s on %(at)s."),
            gettext_noop("Reason: %(note)s"),
            gettext_noop("The dossier stays with your unit: process it or transfer it elsewhere."),
        ),
        WORKBENCH_PAGE,
    ),
    "assign": Message(
        gettext_noop("Dossier %(code)s was assigned to you"),
        (
            gettext_noop("%(actor)s assigned dossier %(code)s (%(procedure)s) at %(unit)s to you on %(at)s."),
            gettext_noop("The result is due on %(due)s."),
        ),
        WORKBENCH_PAGE,
    ),
    DUE_SOON: Message(
        gettext_noop("Dossier %(code)s is due soon: %(due)s"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s has used %(percent)s%% of its time limit."),
            gettext_noop("The result is due on %(due)s."),
            gettext_noop(
                "If it cannot be finished in time, write the apology to the citizen, with the reason "
                "and a new date, at the latest on the working day before the deadline."
            ),
        ),
        WORKBENCH_PAGE,
    ),
    OVERDUE: Message(
        gettext_noop("Dossier %(code)s is overdue"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s was due on %(due)s and has no result yet."),
            gettext_noop("It counts as late in every indicator: finish it as soon as possible."),
        ),
        WORKBENCH_PAGE,
    ),
    ESCALATED_TO_HEAD: Message(
        gettext_noop("Dossier %(code)s is overdue: for the head of unit"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s was due on %(due)s and has no result yet."),
            gettext_noop(
                "As head of the unit, please see that it is finished as soon as possible: "
                "it counts as late in every indicator."
            ),
        ),
        WORKBENCH_PAGE,
    ),
    ESCALATED_TO_CITY: Message(
        gettext_noop("Dossier %(code)s escalated to the city: overdue at %(unit)s"),
        (
            gettext_noop("Dossier %(code)s (%(procedure)s) at %(unit)s was due on %(due)s and has no result yet."),
            gettext_noop("It is still open %(days)s after the deadline."),
            gettext_noop("The city's coordinating unit should follow it up with the unit."),
        ),
        WORKBENCH_PAGE,
    ),
}


# --- texts --------------------------------------------------------------------------------


def _unit_name(unit: Unit | None, english: bool) -> str:
    if unit is None:
        return "—"
    return (unit.name_en if english else "") or unit.name


def _context(event: DossierEvent, units: dict[int, Unit]) -> dict:
    """Placeholders in the active language (names of procedures and units exist in both)."""
    english = (get_language() or "vi").startswith("en")
    dossier, procedure = event.dossier, event.dossier.procedure
    data = event.data or {}
    days = data.get("after_working_days", 0)
    actor = event.actor
    return {
        "code": dossier.code,
        "procedure": (procedure.name_en if english else "") or procedure.name_vi,
        "unit": _unit_name(event.unit, english),
        "to_unit": _unit_name(units.get(data.get("to_unit")), english),
        "returned_from": _unit_name(units.get(data.get("returned_from")), english),
        "actor": (actor.full_name or actor.username) if actor else "—",
        "note": event.note or data.get("transfer_note", ""),
        "at": format_when(event.at),
        # The due date the step knew (receipt, resumption, clock); else the dossier's legal one.
        "due": format_when(data.get("due_at") or getattr(dossier, "due_at", None)),
        "old_due": format_when(data.get("old_due_at")),
        "new_due": format_when(data.get("new_due_at")),
        "percent": round(data.get("share", 0) * 100),
        "days": ngettext("%(count)s working day", "%(count)s working days", days) % {"count": days},
    }


def _units(event: DossierEvent) -> dict[int, Unit]:
    data = event.data or {}
    ids = {data.get(key) for key in ("to_unit", "returned_from")} - {None}
    return Unit.objects.in_bulk(ids) if ids else {}


def render(message: Message, event: DossierEvent, language: str) -> tuple[str, str]:
    """(subject, body) of one message for one event in `language` (Vietnamese below any other)."""
    units = _units(event)

    def subject() -> str:
        return gettext(message.subject) % _context(event, units)

    def body() -> str:
        context = _context(event, units)
        return "\n".join((gettext(line) if line != NOTE else line) % context for line in message.body)

    return in_language(subject, language, legal_below=False), in_language(body, language)


# --- who among the staff -----------------------------------------------------------------------


def _posted(unit_id, *roles) -> list:
    """Active users with an active posting at the unit in one of `roles` (nobody without a unit)."""
    if not unit_id:
        return []
    return _with_posting(Q(postings__unit_id=unit_id), roles)


def _with_posting(where: Q, roles) -> list:
    postings = Q(postings__is_active=True, postings__role__in=roles) & where
    return list(get_user_model().objects.filter(postings, is_active=True).distinct().order_by("pk"))


def _assignee(user_id, unit_id) -> list:
    """The assigned officer, while still posted at the unit (else nobody: the unit's staff stand in)."""
    if not user_id:
        return []
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or unit_id not in access.units_where(user, access.OFFICER, access.HEAD):
        return []
    return [user]


def case_staff(unit_id, assigned_id) -> list:
    """The one recipient rule: the assignee, or (unassigned) every officer and head of the unit."""
    return _assignee(assigned_id, unit_id) or _posted(unit_id, access.OFFICER, access.HEAD)


def staff_recipients(event: DossierEvent) -> list:
    """Who among the staff hears about one event; never its own actor."""
    data = event.data or {}
    unit_id = event.unit_id
    # Clock events record the assignee when they fired; workflow events read the dossier's.
    assigned_id = data.get("assigned_to", event.dossier.assigned_to_id)
    action = event.action
    if action in ("supplement", "return_transfer", DUE_SOON):
        users = case_staff(unit_id, assigned_id)
    elif action == "transfer":
        # It waits for the target unit: nobody there is assigned yet.
        users = _posted(data.get("to_unit"), access.OFFICER, access.HEAD)
    elif action == "assign":
        users = _assignee(data.get("assigned_to"), unit_id)
    elif action == OVERDUE:
        users = case_staff(unit_id, assigned_id) + _posted(unit_id, access.HEAD)
    elif action == ESCALATED_TO_HEAD:
        users = _posted(unit_id, access.HEAD)
    elif action == ESCALATED_TO_CITY:
        users = _with_posting(Q(), [Role.CITY_ADMIN])  # wherever they are posted
        if data.get("coordinating_unit"):
            users += _posted(data["coordinating_unit"], *Role.values)
    else:
        return []
    unique = {}
    for user in users:
        if user.pk != event.actor_id:
            unique.setdefault(user.pk, user)
    return list(unique.values())


# --- services ------------------------------------------------------------------------------


def _send(*, user, message: Message, event: DossierEvent, source: str, rendered: dict) -> int:
    language = language_of(user)
    if language not in rendered:
        rendered[language] = render(message, event, language)
    subject, body = rendered[language]
    notification = notification_send(
        user=user,
        subject=subject,
        body=body,
        link=reverse(message.link, kwargs={"code": event.dossier.code}),
        source=source,
    )
    return int(notification.created or notification.emailed)


def _load(event_id: int) -> DossierEvent | None:
    return (
        DossierEvent.objects.select_related("dossier__procedure", "dossier__applicant", "unit", "actor")
        .filter(pk=event_id)
        .first()
    )


def dossier_event_notify(*, event_id: int) -> int:
    """Tell the applicant and the staff concerned about one event; returns how many got something now."""
    event = _load(event_id)
    if event is None:
        logger.warning("Dossier event %s not found: nothing to notify", event_id)
        return 0
    delivered = 0
    message = MESSAGES.get(event.action)
    if message is not None:
        delivered += _send(
            user=event.dossier.applicant,
            message=message,
            event=event,
            source=f"{SOURCE_PREFIX}{event.pk}",
            rendered={},
        )
    message = STAFF_MESSAGES.get(event.action)
    if message is not None:
        rendered = {}  # one rendering per language, shared by the recipients
        recipients = staff_recipients(event)
        if not recipients:
            logger.warning("Dossier event %s (%s): no staff to tell", event.pk, event.action)
        for user in recipients:
            delivered += _send(
                user=user, message=message, event=event, source=f"{STAFF_SOURCE_PREFIX}{event.pk}", rendered=rendered
            )
    return delivered


# --- selectors ---------------------------------------------------------------------------------


def unnotified_event_ids(
    *, older_than: timedelta, within: timedelta, now: datetime | None = None, limit: int = 500
) -> list[int]:
    """Events someone should have been told of, older than `older_than`, of which nobody was told.

    The citizen's steps without the applicant's notification, the staff's steps
    without any staff notification (and someone to tell: a unit with nobody
    posted is skipped, or it would be queued again every sweep). Only the last
    `within`: a notice days late helps nobody, and the event is on the
    dossier's timeline anyway. Oldest first; `limit` bounds one sweep.
    """
    now = now or timezone.now()
    event_id = Cast(OuterRef("pk"), CharField())
    told_citizen = Notification.objects.filter(
        user_id=OuterRef("dossier__applicant_id"), source=Concat(Value(SOURCE_PREFIX), event_id)
    )
    told_staff = Notification.objects.filter(source=Concat(Value(STAFF_SOURCE_PREFIX), event_id))
    candidates = (
        DossierEvent.objects.filter(at__lte=now - older_than, at__gte=now - within)
        .annotate(told_citizen=Exists(told_citizen), told_staff=Exists(told_staff))
        .filter(
            Q(action__in=MESSAGES.keys(), told_citizen=False) | Q(action__in=STAFF_MESSAGES.keys(), told_staff=False)
        )
        .select_related("dossier")
        .order_by("at", "pk")[:limit]
    )

    def lost(event) -> bool:
        if event.action in MESSAGES and not event.told_citizen:
            return True
        return event.action in STAFF_MESSAGES and not event.told_staff and bool(staff_recipients(event))

    return [event.pk for event in candidates if lost(event)]

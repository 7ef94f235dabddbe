"""What the citizen is told about their dossier, in the portal and by email.

Run by `procedures.tasks.notify_dossier_event` after a transition in
`services.NOTIFY_ACTIONS` committed. Each message is built from the event
alone (its note, unit and data), never from the dossier's current state, so a
late or repeated run says what happened at that step. The source key
"dossier-event:<id>" makes a second run send nothing, and lets the beat sweep
(`unnotified_event_ids`) find the events whose task was lost: queued while the
broker was down, or taken by a worker killed before it ran.

Texts are English msgids rendered in Vietnamese and English (`bilingual`);
dates are dd/mm/yyyy hh:mm in the city's time zone in both languages.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_noop as N_

from identity.models import Notification
from identity.notifications import SUBJECT_SEPARATOR, bilingual, notification_send
from procedures.models import DossierEvent

logger = logging.getLogger(__name__)

# The citizen's pages (procedures.urls_citizen): the dossier and its receipt/appointment slip.
DOSSIER_PAGE = "my-dossier"
SLIP_PAGE = "dossier-slip"
# A notification's `source` is this prefix and the event's id: once per event, and the sweep's marker.
SOURCE_PREFIX = "dossier-event:"


@dataclass(frozen=True)
class Message:
    subject: str
    body: tuple[str, ...]  # one msgid per line
    link: str = DOSSIER_PAGE  # URL name, with the dossier code


MESSAGES = {
    # Receipt starts the legal clock: the citizen gets the due date and the appointment slip.
    "receive": Message(
        N_("Dossier %(code)s has been received"),
        (
            N_("%(unit)s received your dossier %(code)s (%(procedure)s) on %(at)s."),
            N_("The result is due on %(due)s."),
            N_("Print or show your receipt and appointment slip from the link below."),
        ),
        SLIP_PAGE,
    ),
    "refuse_receipt": Message(
        N_("Dossier %(code)s was not received"),
        (N_("%(unit)s did not receive your dossier %(code)s (%(procedure)s)."), N_("Reason: %(note)s")),
    ),
    "request_supplement": Message(
        N_("Dossier %(code)s: please send a supplement"),
        (
            N_("%(unit)s asks you to supplement your dossier %(code)s (%(procedure)s):"),
            "%(note)s",
            N_("The processing time is paused until you send the supplement."),
        ),
    ),
    "decide": Message(
        N_("Dossier %(code)s: a decision has been made"),
        (
            N_("A decision has been made on your dossier %(code)s (%(procedure)s) on %(at)s."),
            N_("%(unit)s will return the result to you; you can also see it in the portal."),
        ),
    ),
    "stop": Message(
        N_("Dossier %(code)s: processing stopped"),
        (N_("%(unit)s stopped processing your dossier %(code)s (%(procedure)s)."), N_("Reason: %(note)s")),
    ),
    "return_result": Message(
        N_("Dossier %(code)s: the result has been returned"),
        (N_("The result of your dossier %(code)s (%(procedure)s) was returned to you on %(at)s."),),
    ),
    # The written apology before the deadline: reason and new date (the law requires both).
    "apologise": Message(
        N_("Dossier %(code)s will be late: new date %(new_due)s"),
        (
            N_("%(unit)s apologises: your dossier %(code)s (%(procedure)s) cannot be completed by %(old_due)s."),
            N_("Reason: %(note)s"),
            N_("New date for the result: %(new_due)s."),
        ),
    ),
    # The citizen hears of a transfer once the new unit accepted it. It does not restart the
    # clock: the citizen does not pay for a wrong first unit.
    "accept_transfer": Message(
        N_("Dossier %(code)s was transferred to another unit"),
        (
            N_("Your dossier %(code)s (%(procedure)s) was transferred to %(unit)s."),
            N_("Reason: %(note)s"),
            N_("The processing time continues; it does not start again."),
        ),
    ),
}


def _when(value) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def _context(event: DossierEvent) -> dict:
    """Placeholders in the active language (names of procedures and units exist in both)."""
    english = (get_language() or "vi").startswith("en")
    dossier, procedure, unit = event.dossier, event.dossier.procedure, event.unit
    unit_name = ((unit.name_en if english else "") or unit.name) if unit else "—"
    return {
        "code": dossier.code,
        "procedure": (procedure.name_en if english else "") or procedure.name_vi,
        "unit": unit_name,
        "note": event.note or event.data.get("transfer_note", ""),
        "at": _when(event.at),
        "due": _when(event.data.get("due_at")),
        "old_due": _when(event.data.get("old_due_at")),
        "new_due": _when(event.data.get("new_due_at")),
    }


def _render(message: Message, event: DossierEvent) -> tuple[str, str]:
    def subject() -> str:
        return gettext(message.subject) % _context(event)

    def body() -> str:
        context = _context(event)
        return "\n".join((gettext(line) if line != "%(note)s" else line) % context for line in message.body)

    return bilingual(subject, separator=SUBJECT_SEPARATOR), bilingual(body)


def dossier_event_notify(*, event_id: int) -> int:
    """Tell the applicant about one event; returns 1 if something was delivered now, else 0."""
    event = (
        DossierEvent.objects.select_related("dossier__procedure", "dossier__applicant", "unit")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        logger.warning("Dossier event %s not found: nothing to notify", event_id)
        return 0
    message = MESSAGES.get(event.action)
    if message is None:
        return 0
    dossier = event.dossier
    subject, body = _render(message, event)
    notification = notification_send(
        user=dossier.applicant,
        subject=subject,
        body=body,
        link=reverse(message.link, kwargs={"code": dossier.code}),
        source=f"{SOURCE_PREFIX}{event.pk}",
    )
    return int(notification.created or notification.emailed)


def unnotified_event_ids(
    *, older_than: timedelta, within: timedelta, now: datetime | None = None, limit: int = 500
) -> list[int]:
    """Events the applicant should have been told of, older than `older_than`, with no notification yet.

    Only the last `within`: a notice days late helps nobody, and the event is on
    the dossier's timeline anyway. Oldest first; `limit` bounds one sweep.
    """
    now = now or timezone.now()
    told = Notification.objects.filter(
        user_id=OuterRef("dossier__applicant_id"),
        source=Concat(Value(SOURCE_PREFIX), Cast(OuterRef("pk"), CharField())),
    )
    return list(
        DossierEvent.objects.filter(action__in=MESSAGES.keys(), at__lte=now - older_than, at__gte=now - within)
        .filter(~Exists(told))
        .order_by("at", "pk")
        .values_list("pk", flat=True)[:limit]
    )

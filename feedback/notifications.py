"""Who hears of a report's events, and how: the reporter (account, else the phone or email they gave) and the staff.

- The reporter hears where the report went (routing), progress and the
  committed date, the answer, a rejection and a transfer accepted. A reporter
  with an account gets a portal notification (emailed if they chose email);
  one without gets an SMS to the phone they confirmed, else an email.
- Reports merged into another (rejected as duplicates) share its progress and
  its answer: each of their reporters is told too, under their own code.
- Staff hear of reopenings, transfers, assignments and the clocks: the
  assignee, else the officers and heads of the acting unit (heads only for an
  escalation).

Each notice is sent once per event and recipient: a `ReportNotice` row is
written in the transaction that sends it (an SMS or email that fails rolls it
back, and the task's retry sends it). The beat sweep
(`unnotified_report_event_ids`) queues again the events nobody was told of:
their task was lost while the broker was down, or its worker died.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from feedback.models import ReportEvent, ReportNotice
from feedback.workflow import RejectionReason
from govportal.cases import clocks
from govportal.tasks import dispatch_or_log

logger = logging.getLogger(__name__)

REPORTER_NOTIFY_ACTIONS = frozenset({"route", "post_progress", "answer", "reject", "accept_transfer"})
STAFF_NOTIFY_ACTIONS = frozenset({"reopen", "transfer", "return_transfer", "assign", *clocks.KINDS})
# What the reporters of merged reports hear of the report theirs was merged into.
SHARED_WITH_MERGED = frozenset({"post_progress", "answer"})
SMS_MAX_CHARS = 480

_REPORTER_SUBJECTS = {
    "route": gettext_noop("Your report %(code)s was sent to %(unit)s"),
    "post_progress": gettext_noop("Progress on your report %(code)s"),
    "answer": gettext_noop("Your report %(code)s was answered"),
    "reject": gettext_noop("Your report %(code)s was rejected"),
    "accept_transfer": gettext_noop("Your report %(code)s is now handled by %(unit)s"),
}
_MERGED_SUBJECTS = {
    "post_progress": gettext_noop("Progress on report %(original)s, which your report %(code)s was merged into"),
    "answer": gettext_noop("Report %(original)s, which your report %(code)s was merged into, was answered"),
}
_ROUTED_BODY = gettext_noop(
    "Your report %(code)s was sent to %(unit)s, which answers it by %(due)s. Follow it with its code on the portal."
)
_MERGED_BODY = gettext_noop(
    "Your report %(code)s describes the same problem as report %(original)s; the unit handles them together. "
    "Follow it with the code %(original)s."
)
_STAFF_SUBJECT = gettext_noop("Report %(code)s: %(action)s")


def report_event_dispatch_notice(event_id: int) -> None:
    """Queue the notice of one event (on commit); a broker outage is logged, the event stays in the timeline."""
    from feedback.tasks import notify_report_event

    dispatch_or_log(notify_report_event, event_id, recovered_by="the report notification sweep")


def report_event_notify(*, event_id: int) -> int:
    """Send the notices of one event once; returns how many reporters or staff got something new."""
    event = ReportEvent.objects.select_related(
        "report", "report__handling_unit", "report__receiving_unit", "report__applicant", "report__duplicate_of"
    ).get(pk=event_id)
    if event.action in REPORTER_NOTIFY_ACTIONS:
        sent = _tell_reporter(event.report, event, original=None)
        if event.action in SHARED_WITH_MERGED:
            for merged in event.report.duplicates.filter(rejection_reason=RejectionReason.DUPLICATE).select_related(
                "applicant"
            ):
                sent += _tell_reporter(merged, event, original=event.report)
        return sent
    if event.action in STAFF_NOTIFY_ACTIONS:
        return _tell_staff(event)
    return 0


def _words(report, event, original) -> dict:
    from govportal.templatetags.portal import dmyhm

    unit = report.handling_unit or report.receiving_unit
    return {
        "code": report.code,
        "original": original.code if original else "",
        "unit": unit.name,
        "due": dmyhm(report.due_at),
        "action": event.action,
    }


def _texts(report, event, original):
    """(subject, body) renderers in the active language."""
    words = _words(report, event, original)
    subjects = _MERGED_SUBJECTS if original is not None else _REPORTER_SUBJECTS

    def subject():
        return gettext(subjects[event.action]) % words

    def body():
        if event.action == "route":
            return gettext(_ROUTED_BODY) % words
        if event.action == "reject" and report.rejection_reason == RejectionReason.DUPLICATE and report.duplicate_of:
            return gettext(_MERGED_BODY) % {**words, "original": report.duplicate_of.code}
        return event.note or subject()

    return subject, body


def _tell_reporter(report, event, *, original) -> int:
    from identity.notifications import in_language, language_of, notification_send

    subject, body = _texts(report, event, original)
    source = f"report-event:{event.pk}" if original is None else f"report-event:{event.pk}:{report.pk}"
    if report.applicant_id:
        language = language_of(report.applicant)
        notification = notification_send(
            user=report.applicant,
            subject=in_language(subject, language, legal_below=False),
            body=in_language(body, language),
            source=source,
        )
        _noted(event, f"user:{report.applicant_id}")
        return int(notification.created)
    return _tell_contact(report, event, subject, body)


def _noted(event, recipient: str) -> bool:
    """Record that `recipient` was told of `event`; False when it was already recorded."""
    try:
        with transaction.atomic():
            ReportNotice.objects.create(event=event, recipient=recipient[:260])
    except IntegrityError:
        return False
    return True


def _tell_contact(report, event, subject, body) -> int:
    """A reporter without an account: SMS to the confirmed phone, else email; in the portal's language, once."""
    from django.utils import translation

    from identity.sms import get_sms_gateway

    if report.contact_phone:
        recipient = f"sms:{report.contact_phone}"
    elif report.contact_email:
        recipient = f"email:{report.contact_email}"
    else:
        return 0
    with transaction.atomic():
        if not _noted(event, recipient):
            return 0  # sent before (a retried task)
        with translation.override(settings.LANGUAGE_CODE):
            subject_text, body_text = subject(), body()
        # A failure here rolls the notice back: the task's retry sends it.
        if report.contact_phone:
            # One text: the body alone when it already names the report, else after the subject.
            text = body_text if report.code in body_text else f"{subject_text}: {body_text}"
            get_sms_gateway().send(report.contact_phone, text[:SMS_MAX_CHARS])
        else:
            send_mail(subject_text, body_text, None, [report.contact_email])
    return 1


def _tell_staff(event) -> int:
    from govportal.tiers.models import Posting, Role
    from identity.notifications import in_language, language_of, notification_send

    report = event.report
    escalation = event.action in {clocks.ESCALATED_TO_HEAD, clocks.ESCALATED_TO_CITY}
    if report.assigned_to_id and not escalation:
        recipients = [report.assigned_to]
    else:
        roles = [Role.HEAD] if escalation else [Role.OFFICER, Role.HEAD]
        unit_id = event.data.get("to_unit") if event.action == "transfer" else report.acting_unit_id
        recipients = [
            posting.user
            for posting in Posting.objects.filter(unit_id=unit_id, role__in=roles, is_active=True).select_related(
                "user"
            )
        ]
    if not recipients:
        _noted(event, "nobody")  # a unit with nobody posted: the sweep need not try again
        return 0
    words = _words(report, event, None)
    sent = 0
    for user in {u.pk: u for u in recipients}.values():
        language = language_of(user)

        def render():
            return gettext(_STAFF_SUBJECT) % words

        notification = notification_send(
            user=user,
            subject=in_language(render, language, legal_below=False),
            body=in_language(lambda: event.note or render(), language),
            source=f"report-event:{event.pk}",
        )
        _noted(event, f"user:{user.pk}")
        sent += int(notification.created)
    return sent


def unnotified_report_event_ids(
    *, older_than: timedelta, within: timedelta, now: datetime | None = None, limit: int = 500
) -> list[int]:
    """Events someone should have been told of, older than `older_than` and within `within`, with no notice yet."""
    now = now or timezone.now()
    return list(
        ReportEvent.objects.filter(
            action__in=REPORTER_NOTIFY_ACTIONS | STAFF_NOTIFY_ACTIONS, at__lte=now - older_than, at__gte=now - within
        )
        .filter(~Exists(ReportNotice.objects.filter(event=OuterRef("pk"))))
        .order_by("at", "pk")
        .values_list("pk", flat=True)[:limit]
    )

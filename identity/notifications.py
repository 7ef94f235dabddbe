"""Notifications: one service writes the in-app message and sends the email.

Callers render texts in the recipient's language (`language_of`, `in_language`):
a task has no request, so the language is the user's own choice in their
profile (`User.language`, Vietnamese by default), activated with
`translation.override`. A reader of another language still gets the Vietnamese
text below theirs, since that is the one with legal weight; subjects are one
line in the reader's language. Dates are dd/mm/yyyy HH:MM in the city's time
zone (`format_when`). Email goes out only when the user agreed to it and gave
an address; the in-app row is written for everyone. Text messages
(`notify_by_sms`) wait for an SMS gateway contract and are not sent yet.

Idempotency: a message with a `source` (e.g. "dossier-event:123") is written
once per user, so a Celery task that runs twice (late acknowledgement, retry)
notifies once. The email is claimed before sending and released if the mail
server fails, so the retry sends the missing email without a second row.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from identity.models import Notification

logger = logging.getLogger(__name__)

BODY_SEPARATOR = "\n\n---\n\n"
EMAIL_FOOTER = gettext_noop(
    "An automatic message from the Ho Chi Minh City public services portal: please do not reply. "
    "To stop these emails, change your notification choices in your profile:"
)
# The language whose text has legal weight: shown below any other.
LEGAL_LANGUAGE = "vi"


def language_of(user) -> str:
    """The language the user reads the portal's messages in: their choice, else the portal's default."""
    chosen = getattr(user, "language", "") or ""
    supported = {code for code, _ in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


def in_language(render: Callable[[], str], language: str, *, legal_below: bool = True) -> str:
    """Render a text in `language`; for another language than Vietnamese, the Vietnamese follows below.

    `legal_below=False` for one-line texts (subjects): the reader's language only.
    """
    with translation.override(language):
        text = render()
    if not legal_below or language == LEGAL_LANGUAGE:
        return text
    with translation.override(LEGAL_LANGUAGE):
        legal = render()
    return text if text == legal else f"{text}{BODY_SEPARATOR}{legal}"


def format_when(value: datetime | str | None) -> str:
    """A date and time as the portal writes it in messages: dd/mm/yyyy HH:MM, Ho Chi Minh City time."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).strftime("%d/%m/%Y %H:%M")


def absolute_url(link: str) -> str:
    """A portal path as a full URL for emails; PORTAL_URL is the public address in production."""
    if not link or link.startswith(("http://", "https://")):
        return link
    base = getattr(settings, "PORTAL_URL", "") or f"http://127.0.0.1:{settings.PORT}"
    return base.rstrip("/") + "/" + link.lstrip("/")


# --- services -------------------------------------------------------------------


def notification_send(*, user, subject: str, body: str, link: str = "", source: str = "") -> Notification:
    """Write the in-app notification and email it if the user wants email; once per `source`.

    The returned notification carries two transient flags: `created` (the row
    is new) and `emailed` (an email went out in this call).
    """
    subject = " ".join(subject.split())[:300]  # a mail header is one line
    notification = Notification.objects.filter(user=user, source=source).first() if source else None
    created = False
    if notification is None:
        notification = Notification(user=user, subject=subject, body=body, link=link, source=source)
        notification.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                notification.save()
            created = True
        except IntegrityError:
            # A concurrent run of the same task wrote it first.
            notification = Notification.objects.get(user=user, source=source)
    notification.created = created
    notification.emailed = _email(notification, user=user)
    return notification


def _email(notification: Notification, *, user) -> bool:
    if not (user.notify_by_email and user.email) or notification.email_sent_at is not None:
        return False
    sent_at = timezone.now()
    claimed = Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=True).update(email_sent_at=sent_at)
    if not claimed:
        return False  # another run is sending it
    with translation.override(language_of(user)):
        message = render_to_string(
            "identity/email/notification.txt",
            {
                "body": notification.body,
                "url": absolute_url(notification.link),
                "details_label": gettext("Details"),
                "footer": gettext(EMAIL_FOOTER),
                "profile_url": absolute_url(reverse("profile")),
            },
        )
    try:
        send_mail(notification.subject, message, None, [user.email])
    except Exception:
        Notification.objects.filter(pk=notification.pk).update(email_sent_at=None)
        logger.warning("Email for notification %s failed; the task will retry", notification.pk)
        raise
    notification.email_sent_at = sent_at
    return True


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread notification of the user as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


# --- selectors ------------------------------------------------------------------


def notification_list(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()

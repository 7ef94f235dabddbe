"""Notifications: one service writes the in-app message and sends the email.

Callers pass texts already rendered in both languages (`bilingual`): a user
row has no language, and a citizen who reads English must still get the
Vietnamese text that has legal weight, so every message carries Vietnamese
first and English below. Email goes out only when the user agreed to it and
gave an address; the in-app row is written for everyone. Text messages
(`notify_by_sms`) wait for an SMS gateway contract and are not sent yet.

Idempotency: a message with a `source` (e.g. "dossier-event:123") is written
once per user, so a Celery task that runs twice (late acknowledgement, retry)
notifies once. The email is claimed before sending and released if the mail
server fails, so the retry sends the missing email without a second row.
"""

import logging
from collections.abc import Callable

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

SUBJECT_SEPARATOR = " / "
BODY_SEPARATOR = "\n\n---\n\n"
EMAIL_FOOTER = gettext_noop(
    "An automatic message from the Ho Chi Minh City public services portal: please do not reply. "
    "To stop these emails, change your notification choices in your profile:"
)


def bilingual(render: Callable[[], str], *, separator: str = BODY_SEPARATOR) -> str:
    """Render a text in Vietnamese, then English below it (once if both are the same)."""
    with translation.override("vi"):
        vi = render()
    with translation.override("en"):
        en = render()
    return vi if vi == en else f"{vi}{separator}{en}"


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
    message = render_to_string(
        "identity/email/notification.txt",
        {
            "body": notification.body,
            "url": absolute_url(notification.link),
            "details_label": bilingual(lambda: gettext("Details"), separator=SUBJECT_SEPARATOR),
            "footer": bilingual(lambda: gettext(EMAIL_FOOTER), separator="\n"),
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

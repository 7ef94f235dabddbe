"""The portal's user: citizens (from the e-ID), officers, heads and admins.

Custom from the first migration, as Django advises: the personal ID number is
the citizen's identity across logins and the key into the citizen registry.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from identity.personal_id import parse_personal_id, validate_personal_id


class EidLevel(models.IntegerChoices):
    BASIC = 1, _("Level 1 (basic)")
    FULL = 2, _("Level 2 (verified in person)")


class User(AbstractUser):
    personal_id = models.CharField(
        _("personal ID number"),
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_personal_id],
        help_text=_("12 digits: province code, sex/century digit, birth year, 6 digits."),
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    eid_level = models.PositiveSmallIntegerField(_("e-ID level"), choices=EidLevel.choices, null=True, blank=True)
    notify_by_email = models.BooleanField(_("notify me by email"), default=True)
    notify_by_sms = models.BooleanField(_("notify me by text message"), default=False)
    # The language of what the portal sends (notifications, emails): a task has no request to ask.
    language = models.CharField(
        _("language of notifications"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Messages in the portal and emails come in this language."),
    )
    residence_unit = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("residence unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.personal_id:
            try:
                parse_personal_id(self.personal_id, birth_date=self.birth_date)
            except ValidationError as error:
                raise ValidationError({"personal_id": error}) from error


class AccountEvent(models.Model):
    """Append-only audit of account changes: logins, logouts, contact changes, second factors."""

    class Action(models.TextChoices):
        EID_LOGIN = "eid_login", _("logged in with e-ID")
        EID_SIGNUP = "eid_signup", _("account created from e-ID")
        STAFF_LOGIN = "staff_login", _("logged in with password and second factor")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGIN_LOCKED = "login_locked", _("logins locked after failed attempts")
        LOGIN_UNLOCKED = "login_unlocked", _("logins unlocked by an administrator")
        EID_REFUSED = "eid_refused", _("e-ID login refused")
        LOGOUT = "logout", _("logged out")
        CONTACT_UPDATED = "contact_updated", _("contact details changed")
        TOTP_ACTIVATED = "totp_activated", _("authenticator app activated")
        TOTP_DEACTIVATED = "totp_deactivated", _("authenticator app removed")

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="account_events")
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("account event")
        verbose_name_plural = _("account events")

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_action_display()}"


class Notification(models.Model):
    """A message to one user, shown in the portal and (if they agreed) sent by email.

    `source` names what caused it (e.g. "dossier-event:123"): the unique
    constraint makes a task that runs twice (acks_late, retries) notify once.
    `email_sent_at` is set only when the email went out, so a retry after a
    mail-server failure sends the missing email without a second in-app row.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    link = models.CharField(_("link"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True, help_text=_("What caused it, for idempotency."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source"], condition=~models.Q(source=""), name="uniq_notification_source"
            )
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            # The notification sweep asks "was anybody told of this event?" by source alone.
            models.Index(fields=["source"], name="notification_source_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class OneTimeCode(models.Model):
    """A short-lived code sent by SMS or email to prove that someone holds a phone or an address.

    Only a keyed hash of the code is stored. The row is also the audit of the
    issue; each check is logged (identity.otp) with its outcome, never the code.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("email")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("phone or email"), max_length=254)
    purpose = models.CharField(_("purpose"), max_length=50)
    code_hash = models.CharField(max_length=64)
    client = models.CharField(_("client"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    burnt_at = models.DateTimeField(_("burnt at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["channel", "address", "purpose", "-created_at"], name="otp_lookup")]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.purpose} {self.created_at:%d/%m/%Y %H:%M}"


from identity.registry.models import RegistryAccessLog, RegistryPerson  # noqa: E402,F401  (registry models live in their own module)

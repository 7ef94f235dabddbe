"""One-time codes: prove that someone holds a phone number or an email address.

Used by report intake (a reporter without an account confirms their contact
before the report is accepted). ``otp_issue`` sends a 6-digit code by SMS
(through the configured ``SmsGateway``) or by email (Django's email backend);
``otp_verify`` checks it. A code:

- is stored only as an HMAC-SHA256 keyed with SECRET_KEY (a database leak
  reveals no code, and 10^6 codes cannot be brute-forced without the key);
- expires after OTP_TTL_SECONDS (10 minutes) and is single-use; a newer code for
  the same address and purpose replaces the older one;
- is burnt after OTP_MAX_ATTEMPTS (5) wrong tries;
- is rate limited in the cache (Redis in production, so all web processes
  share the counts): OTP_ISSUE_LIMIT_PER_ADDRESS (3) issues per address and
  OTP_ISSUE_LIMIT_PER_CLIENT (10) per client (IP) per OTP_RATE_WINDOW_SECONDS,
  and OTP_VERIFY_LIMIT_PER_CLIENT checks per client per window.

Every issue is a ``OneTimeCode`` row; every check is a log record of
``identity.otp`` with the row id and outcome. Neither holds the code.
"""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from govportal.api.errors import ApplicationError
from identity.models import OneTimeCode
from identity.sms import SmsError, get_sms_gateway

logger = logging.getLogger("identity.otp")

CODE_DIGITS = 6


class OneTimeCodeError(ApplicationError):
    """A code could not be issued: bad channel or address, rate limited, or the message was not sent."""


@dataclass(frozen=True)
class IssuedCode:
    id: int
    channel: str
    address: str
    expires_at: datetime


@dataclass(frozen=True)
class Verification:
    """The outcome of a check: ``ok``, or a stable ``code`` with a message for people."""

    ok: bool
    code: str  # ok | wrong | expired | used | too_many_attempts | not_issued | rate_limited
    message: str
    attempts_left: int = 0


def normalize_address(channel: str, address: str) -> str:
    """The canonical form of a phone (0xxxxxxxxx) or email (lower case); OneTimeCodeError when invalid."""
    address = (address or "").strip()
    if channel == OneTimeCode.Channel.SMS:
        digits = "".join(ch for ch in address if ch.isdigit())
        if address.startswith("+84") or (digits.startswith("84") and len(digits) == 11):
            digits = "0" + digits[2:]
        if len(digits) != 10 or not digits.startswith("0"):
            raise OneTimeCodeError("otp_address", _("Enter a Vietnamese mobile number of 10 digits, e.g. 0901234567."))
        return digits
    if channel == OneTimeCode.Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError as error:
            raise OneTimeCodeError("otp_address", _("Enter a valid email address.")) from error
        return address.lower()
    raise OneTimeCodeError("otp_channel", _("A code can be sent by SMS or by email only."))


def _hash(row_key: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{row_key}:{code}".encode(), hashlib.sha256).hexdigest()


def _row_key(channel: str, address: str, purpose: str) -> str:
    return f"{channel}:{address}:{purpose}"


def _hit(kind: str, who: str, limit: int) -> bool:
    """Count one event for ``who`` in the current window; False when the limit was already reached."""
    key = f"otp:{kind}:{hashlib.sha256(who.encode()).hexdigest()}"
    window = settings.OTP_RATE_WINDOW_SECONDS
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count <= limit


def otp_issue(channel: str, address: str, purpose: str, *, client: str = "") -> IssuedCode:
    """Send a new code to ``address`` for ``purpose`` (e.g. "report-intake"); ``client`` is the caller's IP."""
    address = normalize_address(channel, address)
    limited = _("Too many codes were requested. Please wait %(minutes)s minutes and try again.") % {
        "minutes": max(1, settings.OTP_RATE_WINDOW_SECONDS // 60)
    }
    if client and not _hit("issue-client", client, settings.OTP_ISSUE_LIMIT_PER_CLIENT):
        logger.warning("otp issue refused: rate_limited (client) channel=%s purpose=%s", channel, purpose)
        raise OneTimeCodeError("rate_limited", limited, status_code=429)
    if not _hit("issue-address", f"{channel}:{address}", settings.OTP_ISSUE_LIMIT_PER_ADDRESS):
        logger.warning("otp issue refused: rate_limited (address) channel=%s purpose=%s", channel, purpose)
        raise OneTimeCodeError("rate_limited", limited, status_code=429)

    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = max(1, settings.OTP_TTL_SECONDS // 60)
    row = OneTimeCode.objects.create(
        channel=channel,
        address=address,
        purpose=purpose,
        code_hash=_hash(_row_key(channel, address, purpose), code),
        client=client[:64],
        expires_at=timezone.now() + timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    text = _("Your HCMC portal code is %(code)s. It expires in %(minutes)s minutes. Never share it.") % {
        "code": code,
        "minutes": minutes,
    }
    try:
        if channel == OneTimeCode.Channel.SMS:
            get_sms_gateway().send(address, text)
        else:
            send_mail(_("Your HCMC portal code"), text, None, [address])
    except (SmsError, OSError, ImproperlyConfigured) as error:
        row.burnt_at = timezone.now()
        row.save(update_fields=["burnt_at"])
        logger.error("otp %s not sent: %s", row.pk, error)
        raise OneTimeCodeError(
            "otp_not_sent", _("The code could not be sent. Please try again later."), status_code=503
        ) from error
    logger.info("otp %s issued channel=%s purpose=%s", row.pk, channel, purpose)
    return IssuedCode(row.pk, channel, address, row.expires_at)


def otp_verify(channel: str, address: str, purpose: str, code: str, *, client: str = "") -> Verification:
    """Check ``code`` against the newest code sent to ``address`` for ``purpose``; a right code is used up."""
    if client and not _hit("verify-client", client, settings.OTP_VERIFY_LIMIT_PER_CLIENT):
        logger.warning("otp verify refused: rate_limited (client) channel=%s purpose=%s", channel, purpose)
        return Verification(False, "rate_limited", _("Too many attempts. Please wait a few minutes and try again."))
    try:
        address = normalize_address(channel, address)
    except OneTimeCodeError:
        return Verification(False, "not_issued", _("No code was sent to this address. Request a new code."))
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(channel=channel, address=address, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        outcome = _check(row, channel, address, purpose, (code or "").strip())
    logger.info("otp %s verify outcome=%s", row.pk if row else "-", outcome.code)
    return outcome


def _check(row: OneTimeCode | None, channel: str, address: str, purpose: str, code: str) -> Verification:
    now = timezone.now()
    if row is None:
        return Verification(False, "not_issued", _("No code was sent to this address. Request a new code."))
    if row.used_at is not None:
        return Verification(False, "used", _("This code has already been used. Request a new code."))
    if row.burnt_at is not None:
        return Verification(False, "too_many_attempts", _("Too many wrong codes were entered. Request a new code."))
    if row.expires_at <= now:
        return Verification(False, "expired", _("This code has expired. Request a new code."))
    expected = _hash(_row_key(channel, address, purpose), code)
    if hmac.compare_digest(expected, row.code_hash):
        row.used_at = now
        row.save(update_fields=["used_at"])
        return Verification(True, "ok", _("Code confirmed."))
    row.attempts += 1
    left = settings.OTP_MAX_ATTEMPTS - row.attempts
    if left <= 0:
        row.burnt_at = now
        row.save(update_fields=["attempts", "burnt_at"])
        return Verification(False, "too_many_attempts", _("Too many wrong codes were entered. Request a new code."))
    row.save(update_fields=["attempts"])
    return Verification(
        False,
        "wrong",
        ngettext(
            "The code is not right. %(left)s attempt left.", "The code is not right. %(left)s attempts left.", left
        )
        % {"left": left},
        attempts_left=left,
    )

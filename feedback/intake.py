"""Who may file a report without an account: whoever proves a phone number or an email address.

A reporter without an account gives a name and a phone or an email; the
portal sends a one-time code there (`identity.otp`: SMS through the configured
gateway, or email) and accepts the report only with the proof that the code
came back (`contact_confirm` returns it; `report_create` checks it). The proof
is a signed, short-lived token naming the confirmed address, so the page and
the API carry it the same way (a session value, a request field) and a proof
for one address cannot confirm another. Operators (hotline, email, messaging)
record reports for callers without a proof: the operator is accountable.
"""

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError
from identity.models import OneTimeCode
from identity.otp import IssuedCode, OneTimeCodeError, normalize_address, otp_issue, otp_verify

CONTACT_PURPOSE = "report-intake"
_SALT = "feedback.contact-proof"


class ContactError(ApplicationError):
    """The contact could not be confirmed: a stable code (wrong, expired, used, rate_limited...) and a message."""


def contact_channel(*, phone: str = "", email: str = "") -> tuple[str, str]:
    """(channel, normalized address): the phone by SMS when one is given, else the email."""
    phone, email = (phone or "").strip(), (email or "").strip()
    if phone:
        return OneTimeCode.Channel.SMS, normalize_address(OneTimeCode.Channel.SMS, phone)
    if email:
        return OneTimeCode.Channel.EMAIL, normalize_address(OneTimeCode.Channel.EMAIL, email)
    raise ContactError("contact_missing", _("Give a phone number or an email address so the unit can answer you."))


def contact_code_send(*, phone: str = "", email: str = "", client: str = "") -> IssuedCode:
    """Send a one-time code to the reporter's phone (SMS) or email; rate limited per address and per client."""
    try:
        channel, address = contact_channel(phone=phone, email=email)
        return otp_issue(channel, address, CONTACT_PURPOSE, client=client)
    except OneTimeCodeError as error:
        raise ContactError(error.code, error.detail, status_code=error.status_code) from error


def contact_confirm(*, phone: str = "", email: str = "", code: str, client: str = "") -> str:
    """Check the code; return the proof `report_create` accepts (valid REPORT_CONTACT_PROOF_SECONDS)."""
    try:
        channel, address = contact_channel(phone=phone, email=email)
    except OneTimeCodeError as error:
        raise ContactError(error.code, error.detail) from error
    outcome = otp_verify(channel, address, CONTACT_PURPOSE, code, client=client)
    if not outcome.ok:
        status = 429 if outcome.code == "rate_limited" else 400
        raise ContactError(f"code_{outcome.code}", outcome.message, status_code=status)
    return signing.dumps({"channel": channel, "address": address}, salt=_SALT)


def contact_proven(proof: str, *, phone: str = "", email: str = "") -> bool:
    """True when `proof` is a fresh proof for this report's phone (or, without a phone, its email)."""
    if not proof:
        return False
    try:
        value = signing.loads(proof, salt=_SALT, max_age=settings.REPORT_CONTACT_PROOF_SECONDS)
        channel, address = contact_channel(phone=phone, email=email)
    except (signing.BadSignature, OneTimeCodeError, ContactError):
        return False
    return value == {"channel": channel, "address": address}

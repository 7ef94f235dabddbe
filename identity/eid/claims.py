"""ID token verification and claim mapping: what the portal accepts from the e-ID.

Errors carry a stable `code` and a message for the citizen; they subclass
allauth's OAuth2Error so the login flow stops with the error page.
"""

import hmac
from dataclasses import dataclass
from datetime import date

import jwt
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from identity.personal_id import parse_personal_id

ALGORITHMS = ["RS256"]
CLOCK_SKEW_SECONDS = 30


class EidLoginError(OAuth2Error):
    messages = {
        "bad_signature": _("The e-ID answer was not signed by the e-ID provider."),
        "wrong_audience": _("The e-ID answer was meant for another service."),
        "wrong_issuer": _("The e-ID answer came from an unknown provider."),
        "expired": _("The e-ID answer has expired. Please log in again."),
        "invalid_token": _("The e-ID answer could not be read."),
        "invalid_claims": _("The e-ID provider sent identity data the portal cannot accept."),
        "wrong_nonce": _("The e-ID answer does not belong to this login. Please log in again."),
        "wrong_azp": _("The e-ID answer was meant for another service."),
    }

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.user_message = self.messages.get(code, self.messages["invalid_token"])


@dataclass(frozen=True)
class EidIdentity:
    personal_id: str
    full_name: str
    birth_date: date | None
    eid_level: int


def verify_id_token(id_token: str, *, jwks: dict, issuer: str, audience: str, nonce: str | None) -> dict:
    """Verify signature (RS256 only, key by kid), issuer, audience, expiry, nonce and azp; return the claims."""
    claims = _verified_claims(id_token, jwks=jwks, issuer=issuer, audience=audience)
    check_nonce(claims, expected=nonce)
    check_azp(claims, client_id=audience)
    return claims


def check_nonce(claims: dict, *, expected: str | None) -> None:
    """The ID token answers the authorization request this browser made (OIDC Core 3.1.3.7 item 11).

    The nonce was sent with the request and kept in this login's state; a token without it, or with another
    one, was obtained for some other login (a replayed or injected code) and is refused.
    """
    received = claims.get("nonce")
    if not expected or not isinstance(received, str) or not hmac.compare_digest(received, expected):
        raise EidLoginError("wrong_nonce", "missing" if not received else "mismatch")


def check_azp(claims: dict, *, client_id: str) -> None:
    """With several audiences, the token must name us as the party it was issued to (OIDC Core 3.1.3.7 items 4-5)."""
    audiences = claims.get("aud")
    several = isinstance(audiences, list) and len(audiences) > 1
    azp = claims.get("azp")
    if (several or azp is not None) and azp != client_id:
        raise EidLoginError("wrong_azp", f"azp {azp!r}")


def _verified_claims(id_token: str, *, jwks: dict, issuer: str, audience: str) -> dict:
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as error:
        raise EidLoginError("invalid_token", str(error)) from error
    if header.get("alg") not in ALGORITHMS:
        raise EidLoginError("bad_signature", f"algorithm {header.get('alg')!r} refused")
    keys = [k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")]
    if not keys:
        raise EidLoginError("bad_signature", "unknown key id")
    try:
        key = jwt.PyJWK(keys[0], algorithm="RS256")
        return jwt.decode(
            id_token,
            key=key.key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.InvalidSignatureError as error:
        raise EidLoginError("bad_signature") from error
    except jwt.InvalidAudienceError as error:
        raise EidLoginError("wrong_audience") from error
    except jwt.InvalidIssuerError as error:
        raise EidLoginError("wrong_issuer") from error
    except jwt.ExpiredSignatureError as error:
        raise EidLoginError("expired") from error
    except jwt.PyJWTError as error:
        raise EidLoginError("invalid_token", str(error)) from error


def identity_from_claims(claims: dict) -> EidIdentity:
    """Map verified claims to an EidIdentity; refuse malformed ID numbers and levels."""
    personal_id = str(claims.get("personal_id") or claims.get("sub") or "")
    birth_date = None
    if claims.get("birthdate"):
        try:
            birth_date = date.fromisoformat(claims["birthdate"])
        except (TypeError, ValueError) as error:
            raise EidLoginError("invalid_claims", "birthdate") from error
    try:
        parse_personal_id(personal_id, birth_date=birth_date)
    except ValidationError as error:
        raise EidLoginError("invalid_claims", f"personal_id: {error.messages[0]}") from error
    level = claims.get("eid_level")
    if level not in (1, 2):
        raise EidLoginError("invalid_claims", "eid_level")
    full_name = str(claims.get("name") or "").strip()
    if not full_name:
        raise EidLoginError("invalid_claims", "name")
    return EidIdentity(personal_id=personal_id, full_name=full_name[:200], birth_date=birth_date, eid_level=level)

"""Writes: issuing and redeeming authorization codes, issuing and revoking tokens.

The token endpoint's rules (RFC 6749 §4.1.3, RFC 7636 §4.6) live here so the
view only parses the request. Every failure raises OAuthError with the error
code the RFC names; nothing is half-written: consuming the code, creating the
access token and signing the ID token happen in one transaction.

Single use is enforced by the database, not by a read: the code is marked used
with one conditional UPDATE (used_at IS NULL), so of two concurrent redemptions
exactly one changes a row. The other, like any later replay, is refused and
revokes the access tokens issued from that code (RFC 6749 §4.1.2): a replayed
code means it leaked, and what it bought must stop working.
"""

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from identity.mock_eid import selectors, tokens
from identity.mock_eid.models import AccessToken, AuthorizationCode
from identity.mock_eid.selectors import Client, digest

CODE_LIFETIME = timedelta(minutes=2)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
# Used and expired codes are kept a day, so a late replay is still recognised as one.
PURGE_AFTER = timedelta(days=1)
# RFC 7636 §4.1: 43 to 128 unreserved characters.
CODE_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class OAuthError(Exception):
    """An OAuth 2.0 error response: `error` code (RFC 6749 §5.2), description, HTTP status."""

    def __init__(self, error: str, description: str = "", status: int = 400):
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    id_token: str
    scope: str


def pkce_s256(code_verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    raw = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _now(now: datetime | None) -> datetime:
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware")
    return now


def expired_grants_purge(*, now: datetime | None = None) -> int:
    """Delete codes (and their tokens) expired for more than PURGE_AFTER; return how many codes."""
    _total, per_model = AuthorizationCode.objects.filter(expires_at__lt=_now(now) - PURGE_AFTER).delete()
    return per_model.get(AuthorizationCode._meta.label, 0)


def authorization_code_issue(
    *,
    client_id: str,
    redirect_uri: str,
    personal_id: str,
    eid_level: int,
    scope: str,
    code_challenge: str,
    nonce: str = "",
    now: datetime | None = None,
) -> str:
    """Store a new code for an authenticated person and return it (the only time it exists in clear)."""
    now = _now(now)
    expired_grants_purge(now=now)
    code = secrets.token_urlsafe(32)
    row = AuthorizationCode(
        code_hash=digest(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        personal_id=personal_id,
        eid_level=int(eid_level),
        scope=scope,
        nonce=nonce or "",
        code_challenge=code_challenge,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    row.full_clean()
    row.save()
    return code


def access_tokens_revoke_for_code(*, authorization_code: AuthorizationCode) -> int:
    return AccessToken.objects.filter(authorization_code=authorization_code, revoked=False).update(revoked=True)


def authorization_code_redeem(
    *,
    client: Client,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    issuer: str,
    now: datetime | None = None,
) -> TokenGrant:
    """Exchange a code for an access token and a signed ID token, or raise OAuthError."""
    now = _now(now)
    if not code:
        raise OAuthError("invalid_request", "code is required")
    if not redirect_uri:
        raise OAuthError("invalid_request", "redirect_uri is required")
    row = AuthorizationCode.objects.filter(code_hash=digest(code)).first()
    # Another client's code is simply not a code for this client.
    if row is None or not secrets.compare_digest(row.client_id, client.client_id):
        raise OAuthError("invalid_grant", "unknown authorization code")
    if row.used_at is not None:
        access_tokens_revoke_for_code(authorization_code=row)
        raise OAuthError("invalid_grant", "authorization code already used")
    if row.expires_at <= now:
        raise OAuthError("invalid_grant", "authorization code expired")
    if redirect_uri != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if not code_verifier or not CODE_VERIFIER_RE.match(code_verifier):
        raise OAuthError("invalid_grant", "a code_verifier of 43 to 128 unreserved characters is required")
    if not secrets.compare_digest(pkce_s256(code_verifier), row.code_challenge):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    person = selectors.person_lookup(row.personal_id)
    if person is None:
        raise OAuthError("invalid_grant", "the person is no longer in the population registry")

    with transaction.atomic():
        consumed = AuthorizationCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
        if consumed:
            access_token = secrets.token_urlsafe(32)
            AccessToken.objects.create(
                token_hash=digest(access_token),
                authorization_code=row,
                client_id=row.client_id,
                personal_id=row.personal_id,
                eid_level=row.eid_level,
                scope=row.scope,
                created_at=now,
                expires_at=now + ACCESS_TOKEN_LIFETIME,
            )
            claims = tokens.build_id_token_claims(
                issuer=issuer,
                client_id=row.client_id,
                person=person,
                eid_level=row.eid_level,
                nonce=row.nonce or None,
                now=now,
            )
            id_token = tokens.sign_id_token(claims)
    if not consumed:
        # Lost the race to a concurrent redemption (which has committed by now: on
        # PostgreSQL our UPDATE waited for its row lock), so its tokens are visible.
        access_tokens_revoke_for_code(authorization_code=row)
        raise OAuthError("invalid_grant", "authorization code already used")
    return TokenGrant(
        access_token=access_token,
        expires_in=int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        id_token=id_token,
        scope=row.scope,
    )

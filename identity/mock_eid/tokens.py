"""ID tokens: which claims the mock VNeID asserts, and the RS256 signature.

Two small functions, kept apart from the token endpoint so tests can replace
either one (monkeypatch `tokens.build_id_token_claims` or
`tokens.sign_id_token`) and make the provider misbehave: a wrong audience, an
expired token, a foreign signature. The token service calls them through this
module for that reason.

Claims (OpenID Connect Core §2, §5.1), the same in the ID token and userinfo:
  sub          the personal ID number (public subject: one person, one sub)
  personal_id  the 12-digit personal ID number (số định danh cá nhân)
  name         full name as in the population registry
  birthdate    YYYY-MM-DD
  eid_level    1 or 2 (VNeID level 2 = identity verified in person)
  acr          "vneid:level1" or "vneid:level2"
The identity claims are asserted for the `openid` scope alone: identifying the
citizen is the point of a national e-ID, and the portal asks for `profile` anyway.
auth_time is the time of issue: a code lives two minutes and is redeemed once,
so the citizen authenticated at most that long before.
"""

from datetime import datetime, timedelta

import jwt

from identity.mock_eid import keys

ID_TOKEN_LIFETIME = timedelta(minutes=5)
ACR_BY_LEVEL = {1: "vneid:level1", 2: "vneid:level2"}
IDENTITY_CLAIMS = ["sub", "personal_id", "name", "birthdate", "eid_level", "acr"]


def identity_claims(*, person, eid_level: int) -> dict:
    """Who the person is, from a registry record (personal_id, full_name, birth_date)."""
    level = int(eid_level)
    if level not in ACR_BY_LEVEL:
        raise ValueError(f"e-ID level {eid_level!r} is not 1 or 2")
    return {
        "sub": person.personal_id,
        "personal_id": person.personal_id,
        "name": person.full_name,
        "birthdate": person.birth_date.isoformat() if person.birth_date else None,
        "eid_level": level,
        "acr": ACR_BY_LEVEL[level],
    }


def build_id_token_claims(
    *, issuer: str, client_id: str, person, eid_level: int, nonce: str | None, now: datetime
) -> dict:
    """The ID token's claims; `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    issued = int(now.timestamp())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": issued,
        "exp": int((now + ID_TOKEN_LIFETIME).timestamp()),
        "auth_time": issued,
        **identity_claims(person=person, eid_level=eid_level),
    }
    if nonce:
        claims["nonce"] = nonce
    return claims


def sign_id_token(claims: dict) -> str:
    """RS256 over the claims with the provider's key; the header names the key (kid)."""
    return jwt.encode(claims, keys.private_key(), algorithm=keys.ALGORITHM, headers={"kid": keys.key_id()})


def id_token_hint_decode(token: str) -> dict:
    """Claims of an ID token this provider signed, expired or not (for logout hints).

    OpenID Connect RP-Initiated Logout §2: an expired hint is still a valid hint,
    but it must be one we issued. Our signature proves that; the issuer is not
    compared with this request's origin, because the same provider answers on
    several loopback names (127.0.0.1, localhost) and the token may have been
    issued under the other one. Raises jwt.PyJWTError otherwise.
    """
    return jwt.decode(
        token,
        keys.private_key().public_key(),
        algorithms=[keys.ALGORITHM],
        options={"verify_exp": False, "verify_aud": False, "verify_iat": False, "require": ["iss", "aud", "sub"]},
    )

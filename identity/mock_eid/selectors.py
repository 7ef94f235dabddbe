"""Reads: registered clients, redirect URI matching, people and access tokens.

Clients come from settings.MOCK_EID_CLIENTS (the portal is the only one), so
they are read afresh on each call and follow override_settings in tests.

Redirect URIs match exactly (RFC 6749 §3.1.2, OAuth 2.0 Security BCP §4.1.3),
with one exception from RFC 8252 §7.3: for loopback hosts the port is ignored,
so the portal can run on any PORT and the test server on its random port with
the same registration. Nothing else is relaxed: scheme, host, path and query
must be equal, and URIs with a fragment or user info never match.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings

from identity.mock_eid.models import AccessToken

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def digest(secret: str) -> str:
    """How codes and tokens are stored and looked up: their SHA-256, never the value."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]


def client_get(client_id: str | None) -> Client | None:
    if not client_id:
        return None
    for entry in getattr(settings, "MOCK_EID_CLIENTS", []):
        if entry.get("client_id") == client_id:
            return Client(
                client_id=entry["client_id"],
                client_secret=entry.get("client_secret") or "",
                redirect_uris=tuple(entry.get("redirect_uris", ())),
                post_logout_redirect_uris=tuple(entry.get("post_logout_redirect_uris", ())),
            )
    return None


def client_authenticate(*, client_id: str | None, client_secret: str | None) -> Client | None:
    """The client if the secret is right (constant-time), else None. Clients without a secret never pass."""
    client = client_get(client_id)
    expected = client.client_secret if client else ""
    given = client_secret or ""
    # Compare even for unknown clients, so timing does not tell which client IDs exist.
    matches = hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
    if client is None or not expected or not matches:
        return None
    return client


def _uri_matches(registered: str, candidate: str) -> bool:
    if registered == candidate:
        return True
    try:
        reg, cand = urlsplit(registered), urlsplit(candidate)
        reg_host, cand_host = reg.hostname, cand.hostname
        cand.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if cand_host not in LOOPBACK_HOSTS or reg_host != cand_host:
        return False
    if cand.username or cand.password or cand.fragment or reg.username or reg.password:
        return False
    return (reg.scheme, reg.path, reg.query) == (cand.scheme, cand.path, cand.query)


def redirect_uri_is_registered(client: Client, redirect_uri: str | None) -> bool:
    if not redirect_uri or "#" in redirect_uri:
        return False
    return any(_uri_matches(registered, redirect_uri) for registered in client.redirect_uris)


def post_logout_redirect_uri_is_registered(client: Client, uri: str | None) -> bool:
    if not uri or "#" in uri:
        return False
    return any(_uri_matches(registered, uri) for registered in client.post_logout_redirect_uris)


def person_lookup(personal_id: str):
    """The registry record of this personal ID number, or None.

    Read straight through the registry contract, not the portal's audited
    `registry_lookup`: the provider is a separate system with its own access to
    the population database, and its reads are not the portal's processing.
    """
    from identity.registry import get_registry

    return get_registry().lookup(personal_id)


def demo_people():
    """The people offered on the login page's picker."""
    from identity.registry.selectors import demo_pick_people

    return demo_pick_people()


def access_token_get_active(*, token: str, now: datetime) -> AccessToken | None:
    if not token:
        return None
    return AccessToken.objects.filter(token_hash=digest(token), revoked=False, expires_at__gt=now).first()


def userinfo_claims(*, token: str, now: datetime) -> dict | None:
    """The identity claims behind a live access token, or None (unknown, expired, revoked, gone)."""
    from identity.mock_eid import tokens

    access = access_token_get_active(token=token, now=now)
    if access is None:
        return None
    person = person_lookup(access.personal_id)
    if person is None:
        return None
    return tokens.identity_claims(person=person, eid_level=access.eid_level)

"""Open311 app keys: issue (shown once), revoke, authenticate; only a sha256 of the key is stored.

The key is `secrets.token_urlsafe(32)` (never starting with "-"); its first 8 characters (`key_prefix`)
name it in the admin and in `manage.py open311_key --revoke PREFIX`.
"""

import hashlib
import hmac
import secrets

from django.utils import timezone

from feedback.models import Open311Client

PREFIX_LENGTH = 8


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open311_key_issue(*, name: str, contact: str = "") -> tuple[Open311Client, str]:
    """A new active client and its key (returned once; only the prefix and the hash are stored)."""
    name = (name or "").strip()
    if not name:
        raise ValueError("An Open311 client needs a name.")
    key = secrets.token_urlsafe(32)
    while key.startswith("-"):  # a prefix starting with "-" would read as an option in `--revoke PREFIX`
        key = secrets.token_urlsafe(32)
    client = Open311Client.objects.create(
        name=name[:200], contact=(contact or "").strip()[:200], key_prefix=key[:PREFIX_LENGTH], key_hash=key_hash(key)
    )
    return client, key


def open311_key_revoke(*, prefix: str) -> int:
    """Deactivate the active clients whose key starts with `prefix`; returns how many."""
    prefix = (prefix or "").strip()[:PREFIX_LENGTH]
    if not prefix:
        return 0
    return Open311Client.objects.filter(key_prefix=prefix, is_active=True).update(is_active=False)


def open311_client_for_key(key: str) -> Open311Client | None:
    """The active client holding `key` (its last use recorded), or None for a missing, unknown or revoked key."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        return None
    digest = key_hash(key)
    client = Open311Client.objects.filter(key_hash=digest, is_active=True).first()
    if client is None or not hmac.compare_digest(client.key_hash, digest):
        return None
    now = timezone.now()
    Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now
    return client

"""The public catalogue's reads, kept in the shared cache until an admin changes the catalogue.

Every entry's key holds a catalogue version; saving or deleting a procedure, a fee line, a required
document or a unit (a procedure shows its handling department) bumps the version, so every web process
reads the new catalogue on its next request, in every language. The bump happens at once and again on
commit, so a request that cached the old rows while the change was being committed is not kept.
Entries also expire after CATALOGUE_CACHE_SECONDS: a change made behind the ORM's back (SQL, a bulk
update) shows within that time.

Rows (language-independent) and JSON answers keyed by language are cached here; of HTML, only the list
page's results fragment (its template, keyed by `catalogue_version()` and language), never a whole page:
every page carries a CSRF token (docs/public-caching.md).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.cache import patch_cache_control, patch_vary_headers

from govportal.tiers.models import Unit
from procedures.models import FeeLine, Procedure, RequiredDocument
from procedures.selectors import procedure_get, procedure_list

VERSION_KEY = "catalogue:version"
CATALOGUE_CACHE_SECONDS = getattr(settings, "CATALOGUE_CACHE_SECONDS", 3600)


def _timeout() -> int:
    return CATALOGUE_CACHE_SECONDS


def catalogue_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY) or 1
    return version


def catalogue_changed() -> None:
    """Forget every cached read of the catalogue (now and once the current transaction commits)."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or evicted): any new value differs from what entries were keyed with
        cache.set(VERSION_KEY, catalogue_version() + 1, timeout=None)


def cache_key(kind: str, *parts: str) -> str:
    """A key for one cached read: the kind, the catalogue version and a digest of what was asked."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"catalogue:{catalogue_version()}:{kind}:{digest}"


def cached(key: str, compute):
    """The cached value of `key`, computing and storing it on a miss."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=_timeout())
    return value


def procedures_listed(*, search: str = "", field: str = "", tier: str = "") -> list[Procedure]:
    """procedure_list as a list, from the cache (rows with their department and fee lines)."""
    key = cache_key("list", search, field, tier)
    return cached(key, lambda: list(procedure_list(search=search, field=field, tier=tier)))


def procedure_shown(*, code: str) -> Procedure:
    """procedure_get from the cache (with department, fee lines and documents); 404 when not active."""
    key = cache_key("one", code)
    procedure = cache.get(key)
    if procedure is None:
        procedure = procedure_get(code=code)  # raises Http404: misses are not cached
        cache.set(key, procedure, timeout=_timeout())
    return procedure


def public_cache_headers(request, response):
    """Let browsers and proxies keep an anonymous catalogue answer for CATALOGUE_PUBLIC_MAX_AGE seconds.

    Only for anonymous GETs (a signed-in caller's answer is private), varied on the language and the
    cookies that choose it. A change in the admin shows at once to the portal and within max-age in a
    cache downstream.
    """
    user = getattr(request, "user", None)
    if request.method in ("GET", "HEAD") and not (user is not None and user.is_authenticated):
        patch_cache_control(response, public=True, max_age=getattr(settings, "CATALOGUE_PUBLIC_MAX_AGE", 60))
    else:
        patch_cache_control(response, private=True)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


@receiver(post_save, sender=Procedure)
@receiver(post_delete, sender=Procedure)
@receiver(post_save, sender=FeeLine)
@receiver(post_delete, sender=FeeLine)
@receiver(post_save, sender=RequiredDocument)
@receiver(post_delete, sender=RequiredDocument)
@receiver(post_save, sender=Unit)
@receiver(post_delete, sender=Unit)
def _on_catalogue_change(sender, **kwargs):
    catalogue_changed()

"""The portal's one abuse-limit mechanism: named limits, fixed-window counters in the shared cache.

Pages, the API (govportal/api/throttling.py) and services all count here, so a page and the API doing
the same thing share one budget per client. The limits are named in settings.RATE_LIMITS
(govportal/settings/limits.py); a check answers the wait in seconds (0: go ahead).

The client is `client_address(request)`: REMOTE_ADDR, or, behind the configured trusted proxies only,
the address they forwarded. A header the client controls is never believed otherwise.
"""

import ipaddress
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from govportal.api.errors import ApplicationError

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A look-up limit guarded by a tighter limit on its misses (unknown codes): walking codes stops quickly.
MISSES = {"track": "track-miss", "report-track": "report-track-miss"}


# --- who is asking ----------------------------------------------------------------------------------------


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request) -> str:
    """REMOTE_ADDR; behind TRUSTED_PROXY_COUNT trusted proxies, the client address they forwarded.

    Each proxy appends the address it received from to X-Forwarded-For, so with N proxies the client is
    the Nth entry from the right; anything further left was written by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0 or not _trusted(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


# --- the counters -----------------------------------------------------------------------------------------


def parse_rate(rate: str) -> tuple[int, int]:
    """Parse a rate: "30/m" is (30, 60), "10/10m" is (10, 600)."""
    count, _sep, period = str(rate).partition("/")
    period = period.strip() or "m"
    multiple = period[:-1] or "1"
    return int(count), int(multiple) * PERIODS[period[-1]]


def limit_of(scope: str) -> tuple[int, int]:
    return parse_rate(settings.RATE_LIMITS[scope])


def _window(scope: str, key: str) -> tuple[str, int, int]:
    """(cache key, limit, seconds until the window ends)."""
    limit, period = limit_of(scope)
    now = time.time()
    index = int(now // period)
    wait = max(1, math.ceil((index + 1) * period - now))
    return f"ratelimit:{scope}:{key}:{index}", limit, wait


def hit(scope: str, key: str, *, cost: int = 1, refund_refused: bool = False) -> int:
    """Count `cost` against `scope` for `key`; the wait in seconds if that went over the limit, else 0.

    With refund_refused, a refused cost is taken back (upload bytes: a refused file uses no quota).
    """
    cache_key, limit, wait = _window(scope, key)
    if cache.add(cache_key, cost, timeout=wait + 1):
        count = cost
    else:
        try:
            count = cache.incr(cache_key, cost)
        except ValueError:  # the window expired between add() and incr()
            cache.set(cache_key, cost, timeout=wait + 1)
            count = cost
    if count <= limit:
        return 0
    if refund_refused:
        try:
            cache.decr(cache_key, cost)
        except ValueError:
            pass
    return wait


def peek(scope: str, key: str) -> int:
    """The wait if `scope` is already used up for `key`, without counting."""
    cache_key, limit, wait = _window(scope, key)
    return wait if (cache.get(cache_key) or 0) >= limit else 0


def check(request, scope: str) -> int:
    """Count one request of `scope` from this client: the wait in seconds, 0 when it may go ahead.

    A look-up whose misses are used up is refused too, whatever it looks up.
    """
    client = client_address(request)
    miss_scope = MISSES.get(scope)
    redis = _redis()
    if redis is not None:
        return _check_in_one_round_trip(redis, scope, client, miss_scope)
    if miss_scope:
        wait = peek(miss_scope, client)
        if wait:
            return wait
    return hit(scope, client)


def _redis():
    """The Redis client behind the default cache, or None for another cache (then the cache API counts).

    Each cache call builds a client and makes its own round trip (~1 ms of a public look-up each, measured
    for issue 13); a pipeline makes one. Counters stay the cache's integers, so peek/hit read the same keys.
    """
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def _check_in_one_round_trip(redis, scope: str, client: str, miss_scope: str | None) -> int:
    """check() as one pipeline: read the misses, count the request, keep the window's expiry."""
    cache_key, limit, wait = _window(scope, client)
    cache_key = cache.make_key(cache_key)
    pipe = redis.pipeline(transaction=False)
    if miss_scope:
        miss_key, miss_limit, miss_wait = _window(miss_scope, client)
        pipe.get(cache.make_key(miss_key))
    pipe.incrby(cache_key, 1)
    pipe.expire(cache_key, wait + 1)
    results = pipe.execute()
    if miss_scope and int(results[0] or 0) >= miss_limit:
        redis.decrby(cache_key, 1)  # refused for its misses: this look-up does not count
        return miss_wait
    return 0 if results[-2] <= limit else wait


def missed(request, scope: str) -> None:
    """A look-up of `scope` found nothing: count it against the client's misses."""
    hit(MISSES[scope], client_address(request))


# --- the answers ------------------------------------------------------------------------------------------


def wait_message(wait: int) -> str:
    return ngettext(
        "Too many requests. Please try again in %(wait)d second.",
        "Too many requests. Please try again in %(wait)d seconds.",
        wait,
    ) % {"wait": wait}


class RateLimited(ApplicationError):
    """A service's limit: 429 `rate_limited`, with the wait for Retry-After."""

    status_code = 429

    def __init__(self, wait: int, detail: str | None = None, *, code: str = "rate_limited"):
        super().__init__(code, detail or wait_message(wait))
        self.wait = wait


def enforce(scope: str, key: str, *, cost: int = 1, error=None, refund_refused: bool = False) -> None:
    """Count and raise when over the limit: `error(code, detail, status_code=429)` (default RateLimited),
    carrying `.wait` (the API's exception handler and pages turn it into Retry-After)."""
    wait = hit(scope, key, cost=cost, refund_refused=refund_refused)
    if not wait:
        return
    if error is None:
        raise RateLimited(wait)
    exc = error("rate_limited", wait_message(wait), status_code=429)
    exc.wait = wait
    raise exc


def with_retry_after(response, wait: int | None):
    if wait:
        response["Retry-After"] = str(int(wait))
    return response


def too_many_requests(request, template: str = "429.html", wait: int = 60):
    """The page that says "wait a little" (429, Retry-After), in the visitor's language."""
    return with_retry_after(render(request, template, {"wait": wait}, status=429), wait)


def json_too_many_requests(wait: int):
    return with_retry_after(JsonResponse({"code": "rate_limited", "detail": wait_message(wait)}, status=429), wait)


def rate_limited(request, *, scope: str, template: str | None = None) -> object | None:
    """For a page: the 429 response when this client is over `scope`, else None (and the request counted)."""
    wait = check(request, scope)
    if not wait:
        return None
    return too_many_requests(request, template or "429.html", wait)


def limit_view(scope: str, *, json: bool = False, template: str = "429.html"):
    """Decorate a view: over `scope` for this client, answer 429 (a page, or JSON `rate_limited`)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            wait = check(request, scope)
            if wait:
                return json_too_many_requests(wait) if json else too_many_requests(request, template, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate

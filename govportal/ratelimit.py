"""A fixed-window request counter per client IP in the shared cache (Redis in production): the public pages' limit."""

import time

from django.core.cache import cache


def rate_limited(request, *, scope: str, limit: int, window: int = 60) -> bool:
    """True once `limit` requests of `scope` came from this client in the current window.

    REMOTE_ADDR is the client as the web server saw it: behind a reverse proxy,
    the proxy must set it (e.g. gunicorn --forwarded-allow-ips), never trust a
    header the client controls.
    """
    ip = request.META.get("REMOTE_ADDR", "unknown")
    key = f"ratelimit:{scope}:{ip}:{int(time.time() // window)}"
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def too_many_requests(request, template: str):
    """The page that says "wait a minute" (429, Retry-After), in the visitor's language."""
    from django.shortcuts import render

    response = render(request, template, status=429)
    response["Retry-After"] = "60"
    return response

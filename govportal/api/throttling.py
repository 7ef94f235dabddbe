"""DRF throttles on the portal's one limit mechanism (govportal/ratelimit.py).

A view names its limit with `scope`; the API and the page doing the same thing share the counter, and
the client is `client_address` (DRF's own throttles would believe any X-Forwarded-For).
"""

from rest_framework.throttling import BaseThrottle

from govportal import ratelimit


class PortalThrottle(BaseThrottle):
    scope: str = ""

    def allow_request(self, request, view):
        self._wait = ratelimit.check(request, self.scope)
        return not self._wait

    def wait(self):
        return self._wait or None


def throttle(scope: str) -> type[PortalThrottle]:
    """A throttle class for `scope`, for `throttle_classes = [throttle("track")]`."""
    return type(f"{scope.title().replace('-', '')}Throttle", (PortalThrottle,), {"scope": scope})

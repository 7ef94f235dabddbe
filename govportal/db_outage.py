"""A database outage answers 503 with a message, never a 500 with a trace.

While PostgreSQL restarts (or fails over) every query raises
OperationalError/InterfaceError. The request could not be done, and nothing was
half-done either (writes run in transactions that the server rolled back), so
the honest answer is "try again shortly": 503 with `Retry-After`, JSON
`{"code": "service_unavailable"}` under /api/, a plain page elsewhere. The page
is rendered without the request context: its context processors would query
the database that is down. With CONN_HEALTH_CHECKS the next request opens a
fresh connection, so the portal recovers by itself when the server is back.

Three entry points share `outage_response`: the middleware (exceptions from
views), the API's exception handler (DRF catches view exceptions first) and
the 500 handler (exceptions from other middleware, e.g. loading the session).
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def outage_detail() -> str:
    return _("The service is briefly unavailable. Your request was not saved; please try again in a minute.")


def outage_response(request) -> HttpResponse:
    """The 503 for a request that met a database outage (JSON under /api/)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "service_unavailable", "detail": outage_detail()}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"detail": outage_detail()}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """Turns a database error raised by a view into the 503 above."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_outage(exception):
            return None
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
        return outage_response(request)

"""One error format for the whole API: `{"code": <stable>, "detail": <human>}`.

Validation errors add `errors` (field -> messages). Unexpected exceptions are
logged and answered with code `server_error`, never with a stack trace.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from govportal.api.errors import ApplicationError
from govportal.api.parsers import RequestTooLarge
from govportal.db_outage import is_database_outage, outage_response

logger = logging.getLogger(__name__)

CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def _code_for(exc: exceptions.APIException) -> str:
    for cls in type(exc).__mro__:
        if cls in CODES:
            return CODES[cls]
    return exc.default_code or "error"


def portal_exception_handler(exc, context):
    if is_database_outage(exc):  # PostgreSQL restarting: 503 service_unavailable, not a 500
        return outage_response(context["request"])
    if isinstance(exc, ApplicationError):
        # A limit's error carries its wait (govportal/ratelimit.py): Retry-After, as DRF's throttles send it.
        wait = getattr(exc, "wait", None)
        headers = {"Retry-After": str(int(wait))} if wait else None
        return Response({"code": exc.code, "detail": exc.detail, **exc.extra}, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, RecursionError | TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            {"code": "server_error", "detail": _("Something went wrong on our side. Please try again later.")},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": _("Some fields are not valid."), "errors": response.data}
    elif isinstance(exc, exceptions.Throttled):
        response.data = {"code": "throttled", "detail": _throttled_detail(exc.wait)}
    else:
        detail = response.data.get("detail", str(exc)) if isinstance(response.data, dict) else str(exc)
        response.data = {"code": _code_for(exc), "detail": str(detail)}
    return response


def _throttled_detail(wait: int | None) -> str:
    """DRF's own text is English in Vietnamese (it formats the number before looking the plural up)."""
    if wait is None:
        return _("Too many requests. Please try again later.")
    return ngettext(
        "Too many requests. Please try again in %(wait)d second.",
        "Too many requests. Please try again in %(wait)d seconds.",
        wait,
    ) % {"wait": wait}

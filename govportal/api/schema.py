"""The OpenAPI schema tells the truth about errors, in one place.

Every operation answers the portal's standard errors ({"code", "detail"}, govportal/api/exceptions.py)
for reasons that follow from how it is built, not from what it does; `PortalAutoSchema` adds them
from the method, the authentication, the permissions, the throttles, the parameters and the body,
so no view has to repeat them. A view's own `responses` (with its specific codes) always win.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorSerializer(serializers.Serializer):
    """An API error: a stable code for programs, a translated detail for people."""

    code = serializers.CharField(help_text="Stable, never translated: invalid, parse_error, not_found, too_large...")
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Field -> messages (nested for form_data)."
    )


DESCRIPTIONS = {
    "400": "Invalid input: a body or query parameter (code `invalid`), a body that is not JSON or nested too "
    "deeply (`parse_error`).",
    "401": "Not authenticated, or a bad bearer token (code `not_authenticated`, `authentication_failed`).",
    "403": "Not allowed (code `permission_denied`; a session without its CSRF token).",
    "404": "Not found, or not visible to the caller (code `not_found`).",
    "413": "The body is over the size limit (code `too_large`).",
    "415": "The body's content type is not accepted (code `unsupported_media_type`).",
    "429": "Too many requests (code `throttled`); `Retry-After` says when to try again.",
}


RETRY_AFTER = {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._standard_error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[code]), code, direction=direction
                )
                if code == "429":
                    responses[code]["headers"] = {"Retry-After": RETRY_AFTER}
        return dict(sorted(responses.items()))

    def _standard_error_codes(self) -> list[str]:
        view = self.view
        authenticators = list(getattr(view, "authentication_classes", []))
        permissions = list(getattr(view, "permission_classes", []))
        has_body = self.method in {"POST", "PUT", "PATCH"} and self.get_request_serializer() is not None
        codes = []
        if has_body or any(p.get("in") == "query" for p in self._get_parameters()):
            codes.append("400")
        if authenticators:
            codes.append("401")  # a bad bearer token is 401 even where no login is needed
        session_csrf = self.method in UNSAFE and any(issubclass(a, SessionAuthentication) for a in authenticators)
        # IsAuthenticated alone is 401 (the bearer scheme comes first); other permissions may refuse.
        if session_csrf or any(p not in (AllowAny, IsAuthenticated) for p in permissions):
            codes.append("403")
        if "{" in self.path or self._is_paginated():
            codes.append("404")  # an unknown object, or a page past the last
        if has_body:
            codes += ["413", "415"]
        # DRF throttles; a limit a service counts is declared by its view (`responses`).
        if getattr(view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _is_paginated(self) -> bool:
        return self.method == "GET" and any(p.get("name") == "page" for p in self._get_parameters())

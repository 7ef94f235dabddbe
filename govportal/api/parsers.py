"""A JSON parser with a size and a depth guard.

DRF's JSONParser reads any body and lets `json` recurse as deep as the body asks: `[` x 5000 or a body
of hundreds of megabytes answered 500. Here a body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413 `too_large`
(read no further than the limit), nesting deeper than API_JSON_MAX_DEPTH is 400 `parse_error`.
A NUL character in a string (JSON, form or multipart) is 400 `parse_error` too: PostgreSQL refuses it.
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

DEFAULT_MAX_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int | None = None):
        limit = limit if limit is not None else max_body_bytes()
        super().__init__(
            _("The request body is too large (at most %(size)s kB).") % {"size": max(1, limit // 1024)},
            "too_large",
        )


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


def _refuse(value, limit: int) -> None:
    """Iterative (a recursive walk would be the very problem) check of parsed JSON: its depth, and no NUL
    character in a string (PostgreSQL refuses them in text: a 500 once the value reaches a query)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise exceptions.ParseError(_nul_message())
            continue
        if isinstance(node, dict):
            children = [*node.keys(), *node.values()]
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            raise exceptions.ParseError(_("The JSON is nested too deeply."))
        stack.extend((child, depth + 1) for child in children)


def _nul_message() -> str:
    return _("The request contains a NUL character.")


def _refuse_nul_in_form(data) -> None:
    for key, values in data.lists():
        if "\x00" in key or any(isinstance(value, str) and "\x00" in value for value in values):
            raise exceptions.ParseError(_nul_message())


class PortalFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_nul_in_form(data)
        return data


class PortalMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _refuse_nul_in_form(result.data)
        for upload in result.files.values():
            if "\x00" in (upload.name or ""):
                raise exceptions.ParseError(_nul_message())
        return result


class PortalJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON is nested too deeply.")) from None
        except (ValueError, UnicodeDecodeError):
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from None
        _refuse(data, getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))
        return data


def _refuse_constant(name: str):
    """NaN and Infinity are not JSON (RFC 8259); DRF refuses them too in strict mode."""
    raise ValueError(f"{name} is not valid JSON")

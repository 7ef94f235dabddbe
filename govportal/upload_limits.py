"""Refuse a request that announces too large a body, from its Content-Length, before anything reads it.

Django reads a multipart body (the files) as soon as anything touches request.POST or request.FILES (the
CSRF check does): a 1 GB "upload" would be read to disk before a view could say no. This middleware sits
before CSRF and answers 413 from the header alone: JSON `{"code": "too_large"}` under /api/, a page in the
visitor's language elsewhere. The limit is UPLOAD_MAX_REQUEST_BYTES, tighter where settings
UPLOAD_REQUEST_LIMITS names a path (the API's one-document uploads). Bodies that are not files stay under
DATA_UPLOAD_MAX_MEMORY_SIZE (Django's own check and govportal/api/parsers.py).
"""

import re
from functools import lru_cache

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

MB = 1024 * 1024


@lru_cache(maxsize=8)
def _compiled(rules: tuple) -> list[tuple[re.Pattern, int]]:
    return [(re.compile(pattern), limit) for pattern, limit in rules]


def max_request_bytes(path: str) -> int:
    for pattern, limit in _compiled(tuple(tuple(rule) for rule in settings.UPLOAD_REQUEST_LIMITS)):
        if pattern.search(path):
            return limit
    return settings.UPLOAD_MAX_REQUEST_BYTES


def announced_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def too_large_detail(limit: int) -> str:
    return _("What you sent is too large: at most %(size)s MB at a time. Please send smaller or fewer files.") % {
        "size": max(1, round(limit / MB))
    }


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = announced_length(request)
        limit = max_request_bytes(request.path_info)
        if length is None or length > limit:
            return self.refuse(request, limit)
        return self.get_response(request)

    @staticmethod
    def refuse(request, limit: int):
        detail = too_large_detail(limit)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"code": "too_large", "detail": detail}, status=413)
        return render(request, "413.html", {"detail": detail}, status=413)

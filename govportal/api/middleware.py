"""Requests whose path or query string holds a NUL character are 400, before any view runs.

PostgreSQL refuses NUL in text, so `/api/v1/dossiers/%00/` or `?search=%00` reached a query and answered
500. Under /api/ the answer is the JSON error format, elsewhere the 400 page (govportal.views).
"""

from urllib.parse import unquote

from govportal import views


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return views.bad_request(request)
        return self.get_response(request)

"""Site-wide pages: home and the error pages (JSON under /api/)."""

import sys

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from govportal.db_outage import is_database_outage, outage_response


def home(request):
    return render(request, "home.html")


def _wants_json(request) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if is_database_outage(sys.exc_info()[1]):  # raised outside a view (e.g. loading the session): 503, not 500
        return outage_response(request)
    if _wants_json(request):
        return JsonResponse(
            {"code": "server_error", "detail": _("Something went wrong on our side. Please try again later.")},
            status=500,
        )
    return render(request, "500.html", status=500)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"code": "permission_denied", "detail": _("You may not do this.")}, status=403)
    return render(request, "403.html", status=403)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"code": "bad_request", "detail": _("The request was not understood.")}, status=400)
    return render(request, "400.html", status=400)

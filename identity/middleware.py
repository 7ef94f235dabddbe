"""Staff reach no staff page until their second factor (TOTP) is set up.

A staff member who logged in with a password but has no authenticator yet is
sent to the TOTP set-up page; API calls made with that session get a JSON 403.
The paths needed to set it up, log out or switch language stay open.
"""

from allauth.mfa.models import Authenticator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from identity.access import is_staff_member

OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz", "/readyz", "/logout/", "/mock-eid/")
SETUP_URL = "/accounts/2fa/totp/activate/"


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and is_staff_member(user)
            and not has_totp(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "second_factor_required", "detail": _("Set up your authenticator app first.")},
                    status=403,
                )
            return redirect(f"{SETUP_URL}?next={request.path}")
        return self.get_response(request)

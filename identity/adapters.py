"""allauth adapters: where the portal's rules meet allauth's flows.

- Nobody signs up with a password: citizens arrive through the e-ID, staff are
  created by operators.
- Citizens cannot log in with a password, even if one was set by mistake.
- An e-ID login finds the citizen by personal ID number, so there is never a
  second account for the same number, and refreshes name and e-ID level.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from govportal.ratelimit import client_address
from identity import lockout
from identity.access import is_staff_member
from identity.eid.claims import identity_from_claims
from identity.landing import landing_url
from identity.models import User
from identity.services import (
    account_event_record,
    citizen_fill_from_eid,
    citizen_residence_fill,
    citizen_update_from_eid,
)


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def pre_login(self, request, user, **kwargs):
        via_eid = "sociallogin" in (kwargs.get("signal_kwargs") or {})
        if not via_eid and not is_staff_member(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            messages.error(request, _("Citizens log in with VNeID, not with a password."))
            return redirect("login")
        return super().pre_login(request, user, **kwargs)

    def get_client_ip(self, request):
        """allauth's per-address limits see the client as the rest of the portal does (trusted proxies only)."""
        return client_address(request)

    def pre_authenticate(self, request, **credentials):
        """Staff lockout per (name, address) and per address (identity.lockout), not allauth's per name."""
        found = lockout.attempt_check(request=request, username=credentials.get("username", ""))
        if found:
            raise forms.ValidationError(lockout.refused_message(found), code="too_many_login_attempts")

    def get_login_redirect_url(self, request):
        """Each role lands on its own work (a `next` parameter still wins: allauth checks it first)."""
        return landing_url(request.user)


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def pre_social_login(self, request, sociallogin):
        identity = identity_from_claims(sociallogin.account.extra_data["id_token"])
        if sociallogin.is_existing:
            citizen_update_from_eid(user=sociallogin.user, identity=identity)
            return
        existing = User.objects.filter(personal_id=identity.personal_id).first()
        if existing is not None:
            # Known number (e.g. a staff member who is also a citizen, or an
            # account made before e-ID): attach the e-ID to it, never a second one.
            citizen_update_from_eid(user=existing, identity=identity)
            sociallogin.connect(request, existing)

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """Every refused e-ID login is audited with its reason (a wrong nonce, audience, signature...)."""
        if error != AuthError.CANCELLED:
            code = getattr(exception, "code", None) or str(error or "unknown")
            account_event_record(user=None, action="eid_refused", request=request, code=str(code)[:100])
        return super().on_authentication_error(request, provider, error, exception, extra_context)

    def populate_user(self, request, sociallogin, data):
        identity = identity_from_claims(sociallogin.account.extra_data["id_token"])
        return citizen_fill_from_eid(user=sociallogin.user, identity=identity)

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        account_event_record(user=user, action="eid_signup", request=request)
        citizen_residence_fill(user=user)
        return user


def user_display(user) -> str:
    """How allauth names a user in its messages: the full name, not the ID number."""
    return user.full_name or user.username

"""Audit receivers: allauth and Django announce account events; identity records them.

Signals are the right tool here: allauth must not know about the portal's audit trail.
"""

from allauth.account.signals import user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib import messages
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver

from identity import lockout
from identity.services import account_event_record


@receiver(user_logged_in)  # allauth's: every login goes through allauth, and it says how
def _logged_in(sender, request, user, **kwargs):
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is not None:
        level = request.session.get("eid_level") if request is not None else None
        account_event_record(user=user, action="eid_login", request=request, eid_level=level)
    else:
        notice = lockout.failures_notice(user=user)  # before this login becomes "the last one"
        if notice and request is not None:
            messages.warning(request, notice)
        account_event_record(user=user, action="staff_login", request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        account_event_record(user=user, action="logout", request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    lockout.failure_record(request=request, username=credentials.get("username", ""))


@receiver(authenticator_added)
def _authenticator_added(sender, request, user, authenticator, **kwargs):
    account_event_record(user=user, action="totp_activated", request=request, type=authenticator.type)


@receiver(authenticator_removed)
def _authenticator_removed(sender, request, user, authenticator, **kwargs):
    account_event_record(user=user, action="totp_deactivated", request=request, type=authenticator.type)

"""allauth's OIDC login and callback views, bound to the strict VNeID adapter."""

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.http import Http404

from govportal.ratelimit import limit_view
from identity.eid.adapter import VNeIDAdapter


@login_not_required
@limit_view("eid-login")  # the start of an e-ID login, per client address (govportal/ratelimit.py)
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(VNeIDAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as error:
        raise Http404 from error


class VNeIDCallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        """allauth pops this login's stashed state here; its nonce goes to the adapter's ID token check."""
        state, response = super()._get_state(request, provider)
        if state is not None:
            self.adapter.expected_nonce = state.get("nonce")
        return state, response


@login_not_required
def callback(request, provider_id):
    try:
        return VNeIDCallbackView.adapter_view(VNeIDAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as error:
        raise Http404 from error

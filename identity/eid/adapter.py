"""The OAuth2 adapter: allauth's OIDC flow with strict ID token checks."""

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.urls import reverse

from identity.eid.claims import EidLoginError, identity_from_claims, verify_id_token

SESSION_ID_TOKEN = "eid_id_token"
SESSION_LEVEL = "eid_level"


class VNeIDAdapter(OpenIDConnectOAuth2Adapter):
    # The nonce this login sent (set by the callback view from the login's stashed state, identity.eid.views).
    expected_nonce: str | None = None

    def complete_login(self, request, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise EidLoginError("invalid_token", "no id_token in the token response")
        claims = self._decode_id_token(app, id_token)
        identity = identity_from_claims(claims)
        # Kept for this login: the level decides which procedures the citizen may
        # file, the raw token is the hint for logging out at the provider.
        # Django's login() keeps an anonymous session's data (cycle_key).
        request.session[SESSION_LEVEL] = identity.eid_level
        request.session[SESSION_ID_TOKEN] = id_token
        return self.get_provider().sociallogin_from_response(request, {"id_token": claims})

    def _decode_id_token(self, app, id_token):
        configured = self.get_provider().app.settings["server_url"].rstrip("/")
        issuer = self.openid_config.get("issuer", "").rstrip("/")
        if issuer != configured:
            raise EidLoginError("wrong_issuer", f"discovery says {issuer!r}")
        with get_adapter().get_requests_session() as session:
            response = session.get(self.openid_config["jwks_uri"], timeout=10)
            response.raise_for_status()
            jwks = response.json()
        return verify_id_token(
            id_token, jwks=jwks, issuer=self.openid_config["issuer"], audience=app.client_id, nonce=self.expected_nonce
        )

    def get_callback_url(self, request, app):
        url = reverse("vneid_callback", kwargs={"provider_id": self.provider_id})
        return build_absolute_uri(request, url, self.redirect_uri_protocol)

    def end_session_url(self, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser for RP-initiated logout, if the provider supports it."""
        from urllib.parse import urlencode

        endpoint = self.openid_config.get("end_session_endpoint")
        if not endpoint:
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "client_id": self.get_provider().app.client_id,
            }
        )
        return f"{endpoint}?{query}"

"""The VNeID provider for allauth (registered because this app has a `provider` module)."""

import secrets

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider

from identity.eid.adapter import VNeIDAdapter
from identity.eid.claims import identity_from_claims


class VNeIDProvider(OpenIDConnectProvider):
    id = "vneid"
    name = "VNeID"
    oauth2_adapter_class = VNeIDAdapter

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        """Send a fresh nonce with the authorization request and keep it in this login's state (the session).

        allauth stores the extra keyword in the state it stashes in the session under the `state` id; the
        callback view hands it to the adapter, which requires the ID token to carry the same value.
        """
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        auth_params = dict(self.get_auth_params() if auth_params is None else auth_params, nonce=nonce)
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)

    def get_default_scope(self):
        return ["openid", "profile"]

    def extract_uid(self, data):
        # The personal ID number is the citizen's identity: one account per number.
        return identity_from_claims(data["id_token"]).personal_id

    def extract_common_fields(self, data):
        identity = identity_from_claims(data["id_token"])
        return {"username": identity.personal_id, "name": identity.full_name}

    def extract_email_addresses(self, data):
        return []


provider_classes = [VNeIDProvider]

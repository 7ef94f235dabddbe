"""The VNeID provider for allauth (registered because this app has a `provider` module)."""

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider

from identity.eid.adapter import VNeIDAdapter
from identity.eid.claims import identity_from_claims


class VNeIDProvider(OpenIDConnectProvider):
    id = "vneid"
    name = "VNeID"
    oauth2_adapter_class = VNeIDAdapter

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

"""The relying party sends a nonce and requires it back in the ID token; with several audiences, azp must be us.

The checks themselves run on tokens signed with a key made here (fast, no server); one end-to-end test
drives the real flow against the mock provider, made to misbehave, and checks each refusal is a clear
page and an audited AccountEvent, and that the honest flow still logs in.
"""

import json
import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.eid.claims import EidLoginError, verify_id_token
from identity.models import AccountEvent, User

ISSUER = "https://eid.example"
CLIENT = "govportal-local"
NONCE = "n-0S6_WzA2Mj"
AN = "079085001234"


@pytest.fixture(scope="module")
def signer():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}

    def sign(**changes):
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": CLIENT, "iat": now, "exp": now + 300, "sub": AN, "nonce": NONCE, **changes}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    return sign, jwks


def verify(signer, token_changes=None, *, nonce=NONCE):
    sign, jwks = signer
    return verify_id_token(sign(**(token_changes or {})), jwks=jwks, issuer=ISSUER, audience=CLIENT, nonce=nonce)


@pytest.mark.parametrize(
    "changes",
    [{}, {"aud": [CLIENT, "another"], "azp": CLIENT}, {"azp": CLIENT}, {"aud": [CLIENT]}],
    ids=["single-aud", "several-aud-with-our-azp", "azp-us", "one-aud-in-a-list"],
)
def test_tokens_that_answer_this_login_are_accepted(signer, changes):
    assert verify(signer, changes)["nonce"] == NONCE


@pytest.mark.parametrize(
    "changes, nonce, code",
    [
        ({"nonce": "someone-elses-nonce"}, NONCE, "wrong_nonce"),
        ({"nonce": None}, NONCE, "wrong_nonce"),  # the token carries none
        ({}, None, "wrong_nonce"),  # this login kept none (a state from before, or forged)
        ({}, "", "wrong_nonce"),
        ({"nonce": 12345}, NONCE, "wrong_nonce"),
        ({"aud": [CLIENT, "another"]}, NONCE, "wrong_azp"),  # several audiences, no azp
        ({"aud": [CLIENT, "another"], "azp": "another"}, NONCE, "wrong_azp"),
        ({"azp": "another"}, NONCE, "wrong_azp"),  # azp present: it must be us
        ({"aud": ["another", "third"], "azp": CLIENT}, NONCE, "wrong_audience"),
    ],
)
def test_tokens_for_another_login_or_party_are_refused(signer, changes, nonce, code):
    with pytest.raises(EidLoginError) as refused:
        verify(signer, changes, nonce=nonce)
    assert refused.value.code == code
    assert refused.value.user_message  # what the citizen reads


@pytest.mark.django_db(transaction=True)
def test_the_flow_sends_a_fresh_nonce_and_refuses_answers_without_it(eid, monkeypatch):
    from identity.mock_eid import tokens

    build = tokens.build_id_token_claims
    seen = []

    def misbehave(change):
        def claims(**kw):
            seen.append(kw["nonce"])
            return change(build(**kw))

        monkeypatch.setattr(tokens, "build_id_token_claims", claims)

    cases = {
        "wrong_nonce": lambda c: {**c, "nonce": "replayed-from-another-login"},
        "missing_nonce": lambda c: {k: v for k, v in c.items() if k != "nonce"},
        "aud_list_without_azp": lambda c: {**c, "aud": [c["aud"], "another-service"]},
        "aud_list_wrong_azp": lambda c: {**c, "aud": [c["aud"], "another-service"], "azp": "another-service"},
    }
    for name, change in cases.items():
        misbehave(change)
        eid.http.cookies.clear()
        response = eid.login(AN)
        assert response.status_code == 401, name
        assert "Đăng nhập VNeID không thành công" in response.text, name
        assert not User.objects.filter(personal_id=AN).exists(), name
    codes = list(
        AccountEvent.objects.filter(action="eid_refused").order_by("at").values_list("detail__code", flat=True)
    )
    assert codes == ["wrong_nonce", "wrong_nonce", "wrong_azp", "wrong_azp"]

    # The honest provider echoes the nonce of this login's request: accepted.
    misbehave(lambda c: c)
    eid.http.cookies.clear()
    authorize_url = eid.start_login()
    sent = parse_qs(urlparse(authorize_url).query)["nonce"][0]
    response = eid.finish(eid.pick_citizen(authorize_url, AN))
    assert response.status_code == 200 and response.url.endswith("/me/")
    assert seen[-1] == sent and len(sent) >= 32
    assert len(set(seen)) == len(seen)  # a fresh nonce for every login
    assert AccountEvent.objects.filter(action="eid_login", user__personal_id=AN).count() == 1

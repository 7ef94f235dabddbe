"""The mock VNeID is a real OpenID Connect provider: tested over HTTP, as a relying party sees it.

Every test talks to the endpoints with the Django test client and checks what a
relying party would check (signatures against the published JWKS, issuer,
audience, nonce, single use of codes); nothing reaches into the views.
"""

import base64
import hashlib
import os
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from django.utils import timezone

from identity.mock_eid import keys, tokens
from identity.mock_eid.models import AccessToken, AuthorizationCode

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver/mock-eid"
CLIENT_ID = "portal-test"
CLIENT_SECRET = "portal-test-secret"
REDIRECT_URI = "http://127.0.0.1/accounts/eid/vneid/login/callback/"
REMOTE_REDIRECT_URI = "https://portal.example.vn/accounts/eid/vneid/login/callback/"
POST_LOGOUT_URI = "http://127.0.0.1/"
NOT_FOUND_MESSAGE = "Không tìm thấy số định danh này trong cơ sở dữ liệu dân cư mô phỏng."


# --- fixtures and helpers -----------------------------------------------------------


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mock-eid")


@pytest.fixture(autouse=True)
def mock_eid_settings(settings, key_dir):
    """One signing key for the session (RSA generation is slow) and a test client registration."""
    settings.MOCK_EID_KEY_FILE = key_dir / "signing-key.pem"
    settings.MOCK_EID_CLIENTS = [
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [REDIRECT_URI, REMOTE_REDIRECT_URI],
            "post_logout_redirect_uris": [POST_LOGOUT_URI],
        },
        {
            "client_id": "other-service",
            "client_secret": "other-secret",
            "redirect_uris": ["https://other.example.vn/callback"],
            "post_logout_redirect_uris": [],
        },
    ]


@pytest.fixture
def population(units):
    from identity.registry.services import registry_population_seed

    registry_population_seed(size=400)


@pytest.fixture
def demo_person(population):
    from identity.registry.selectors import demo_pick_people

    return demo_pick_people().first()


@pytest.fixture
def plain_person(population):
    """Someone in the registry who is not on the login page's picker."""
    from identity.registry.models import RegistryPerson

    return RegistryPerson.objects.filter(is_demo_pick=False).order_by("personal_id").first()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **overrides) -> dict:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid profile",
        "state": "state-" + secrets.token_hex(8),
        "nonce": "nonce-" + secrets.token_hex(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def authorize_url(params: dict) -> str:
    return "/mock-eid/authorize?" + urlencode(params)


def query_of(response) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def log_in(client, params: dict, *, person: str = "", personal_id: str = "", level: int = 2, extra: dict | None = None):
    """Open the login page for `params`, then submit it the way a browser would."""
    page = client.get(authorize_url(params))
    assert page.status_code == 200, page.content
    data = {
        "authorization_request": page.context["authorization_request"],
        "person": person,
        "personal_id": personal_id,
        "eid_level": str(level),
        "login": "1",
        **(extra or {}),
    }
    return client.post("/mock-eid/authorize", data)


def form_post(client, url: str, data: dict, **headers):
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded", headers=headers)


def redeem(client, code: str, verifier: str, *, redirect_uri: str = REDIRECT_URI, secret: str = CLIENT_SECRET):
    return form_post(
        client,
        "/mock-eid/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": CLIENT_ID,
            "client_secret": secret,
        },
    )


def code_for(client, person_id: str, *, level: int = 2, **overrides) -> tuple[str, str, dict]:
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge, **overrides)
    response = log_in(client, params, person=person_id, level=level)
    assert response.status_code == 302, response.content
    return query_of(response)["code"], verifier, params


def verify_with_jwks(client, id_token: str) -> dict:
    """Verify an ID token exactly as a relying party does: key by kid from the published JWKS."""
    jwks = client.get("/mock-eid/jwks").json()
    kid = jwt.get_unverified_header(id_token)["kid"]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == kid]
    key = jwt.PyJWK(jwk, algorithm="RS256")
    return jwt.decode(id_token, key.key, algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER)


# --- discovery and keys ------------------------------------------------------------------


def test_discovery_document_lists_endpoints_and_capabilities(client):
    response = client.get("/mock-eid/.well-known/openid-configuration")

    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert doc["jwks_uri"] == f"{ISSUER}/jwks"
    assert doc["end_session_endpoint"] == f"{ISSUER}/logout"
    assert doc["response_types_supported"] == ["code"]
    assert doc["subject_types_supported"] == ["public"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_post", "client_secret_basic"}
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["scopes_supported"]) == {"openid", "profile"}
    assert {"sub", "personal_id", "name", "birthdate", "eid_level", "acr", "nonce"} <= set(doc["claims_supported"])


def test_issuer_follows_the_host_and_port_of_the_request(client):
    doc = client.get("/mock-eid/.well-known/openid-configuration", HTTP_HOST="127.0.0.1:8123").json()

    assert doc["issuer"] == "http://127.0.0.1:8123/mock-eid"
    assert doc["token_endpoint"] == "http://127.0.0.1:8123/mock-eid/token"


def test_jwks_publishes_the_rsa_public_key_with_its_thumbprint_as_kid(client):
    (jwk,) = client.get("/mock-eid/jwks").json()["keys"]

    assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and jwk["alg"] == "RS256"
    assert jwk["kid"] == keys.thumbprint(jwk)
    assert "d" not in jwk and "p" not in jwk  # never the private parts
    assert jwt.PyJWK(jwk).key.key_size == 2048


def test_jwks_verifies_the_id_token_from_the_token_endpoint(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)

    id_token = redeem(client, code, verifier).json()["id_token"]

    assert verify_with_jwks(client, id_token)["sub"] == demo_person.personal_id


def test_a_token_signed_with_another_key_fails_jwks_verification(client, demo_person, monkeypatch):
    """The test hook for a misbehaving provider: sign_id_token is looked up through the module."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setattr(
        tokens,
        "sign_id_token",
        lambda claims: jwt.encode(claims, foreign, algorithm="RS256", headers={"kid": keys.key_id()}),
    )
    code, verifier, _params = code_for(client, demo_person.personal_id)

    id_token = redeem(client, code, verifier).json()["id_token"]

    with pytest.raises(jwt.InvalidSignatureError):
        verify_with_jwks(client, id_token)


def test_claims_builder_is_called_through_the_module(client, demo_person, monkeypatch):
    original = tokens.build_id_token_claims
    monkeypatch.setattr(tokens, "build_id_token_claims", lambda **kw: {**original(**kw), "aud": "someone-else"})
    code, verifier, _params = code_for(client, demo_person.personal_id)

    id_token = redeem(client, code, verifier).json()["id_token"]

    with pytest.raises(jwt.InvalidAudienceError):
        verify_with_jwks(client, id_token)


def test_the_key_file_is_created_private_and_shared(settings, tmp_path):
    settings.MOCK_EID_KEY_FILE = tmp_path / "nested" / "key.pem"

    first = keys.private_key()

    path = settings.MOCK_EID_KEY_FILE
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name != "key.pem"]  # no temp file left behind
    keys._cache.clear()  # another process: loads the same key from the file
    assert keys.private_key().private_numbers() == first.private_numbers()


def test_a_key_published_by_another_process_first_wins(settings, tmp_path):
    """Two workers generating at once: the one that links second adopts the first one's key."""
    path = tmp_path / "key.pem"
    settings.MOCK_EID_KEY_FILE = path
    winner = keys._generate(path)

    loser = keys._generate(path)  # the file already exists when this one tries to publish

    assert loser.private_numbers() == winner.private_numbers()
    assert os.listdir(tmp_path) == ["key.pem"]


# --- the authorization code flow ---------------------------------------------------------


def test_login_page_offers_the_demo_citizens_and_levels(client, population):
    from identity.registry.selectors import demo_pick_people

    _verifier, challenge = pkce_pair()
    response = client.get(authorize_url(authorize_params(challenge)))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Mô phỏng VNeID – chỉ dùng để thử nghiệm" in html and "Mock VNeID – demo only" in html
    people = list(demo_pick_people())
    assert people
    for person in people:
        assert person.full_name in html and person.personal_id in html
        assert person.birth_date.strftime("%d/%m/%Y") in html
    assert 'name="eid_level" id="eid_level-2" value="2" checked' in html
    assert "http://" not in html.replace(REDIRECT_URI, "")  # nothing loaded from elsewhere
    assert "<script" not in html
    assert "no-store" in response["Cache-Control"]


def test_full_code_flow_gives_an_id_token_for_the_chosen_registry_person(client, demo_person):
    from identity.registry import get_registry

    record = get_registry().lookup(demo_person.personal_id)
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge)

    response = log_in(client, params, person=demo_person.personal_id, level=1)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    returned = query_of(response)
    assert returned["state"] == params["state"]
    assert returned["iss"] == ISSUER
    token_response = redeem(client, returned["code"], verifier)
    assert token_response.status_code == 200
    assert token_response["Cache-Control"] == "no-store"
    body = token_response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300 and body["scope"] == "openid profile"
    assert body["access_token"]
    claims = verify_with_jwks(client, body["id_token"])
    assert claims["iss"] == ISSUER and claims["aud"] == CLIENT_ID
    assert claims["sub"] == claims["personal_id"] == record.personal_id
    assert claims["name"] == record.full_name
    assert claims["birthdate"] == record.birth_date.isoformat()
    assert claims["eid_level"] == 1 and claims["acr"] == "vneid:level1"
    assert claims["nonce"] == params["nonce"]
    assert claims["exp"] - claims["iat"] == 300
    assert abs(claims["iat"] - timezone.now().timestamp()) < 60


def test_a_typed_personal_id_logs_in_that_registry_person_at_level_2(client, plain_person):
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge, nonce=None)

    response = log_in(client, params, personal_id=plain_person.personal_id)

    claims = verify_with_jwks(client, redeem(client, query_of(response)["code"], verifier).json()["id_token"])
    assert claims["personal_id"] == plain_person.personal_id
    assert claims["eid_level"] == 2 and claims["acr"] == "vneid:level2"
    assert "nonce" not in claims


def test_client_secret_basic_is_accepted(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

    response = form_post(
        client,
        "/mock-eid/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
        Authorization=f"Basic {basic}",
    )

    assert response.status_code == 200
    assert verify_with_jwks(client, response.json()["id_token"])["sub"] == demo_person.personal_id


@pytest.mark.parametrize("method", ["post", "basic"])
def test_a_wrong_client_secret_is_invalid_client(client, demo_person, method):
    code, verifier, _params = code_for(client, demo_person.personal_id)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    if method == "post":
        response = form_post(client, "/mock-eid/token", {**data, "client_id": CLIENT_ID, "client_secret": "wrong"})
    else:
        basic = base64.b64encode(f"{CLIENT_ID}:wrong".encode()).decode()
        response = form_post(client, "/mock-eid/token", data, Authorization=f"Basic {basic}")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in response
    # The code was not spent by the failed attempt.
    assert redeem(client, code, verifier).status_code == 200


def test_another_clients_credentials_cannot_redeem_the_code(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)

    response = form_post(
        client,
        "/mock-eid/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": "other-service",
            "client_secret": "other-secret",
        },
    )

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_wrong_pkce_verifier_is_invalid_grant(client, demo_person):
    code, _verifier, _params = code_for(client, demo_person.personal_id)
    wrong_verifier, _challenge = pkce_pair()

    response = redeem(client, code, wrong_verifier)

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert "id_token" not in response.json()


def test_a_different_redirect_uri_at_the_token_endpoint_is_invalid_grant(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)

    response = redeem(client, code, verifier, redirect_uri=REMOTE_REDIRECT_URI)

    assert response.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused_and_revokes_the_first_access_token(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)
    first = redeem(client, code, verifier).json()
    auth = {"Authorization": f"Bearer {first['access_token']}"}
    assert client.get("/mock-eid/userinfo", headers=auth).status_code == 200

    replay = redeem(client, code, verifier)

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    response = client.get("/mock-eid/userinfo", headers=auth)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_code_redeemed_concurrently_succeeds_only_once(client, demo_person, monkeypatch):
    """Both requests passed the checks; the conditional UPDATE lets only the first one through."""
    from identity.mock_eid import selectors

    code, verifier, _params = code_for(client, demo_person.personal_id)
    real_lookup = selectors.person_lookup

    def lookup_while_another_request_wins(personal_id):
        AuthorizationCode.objects.update(used_at=timezone.now())
        return real_lookup(personal_id)

    monkeypatch.setattr(selectors, "person_lookup", lookup_while_another_request_wins)

    response = redeem(client, code, verifier)

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_an_expired_code_is_invalid_grant(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)
    row = AuthorizationCode.objects.get()
    assert row.expires_at - row.created_at == timedelta(minutes=2)
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = redeem(client, code, verifier)

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_codes_and_tokens_are_stored_only_as_digests(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)
    access_token = redeem(client, code, verifier).json()["access_token"]

    row = AuthorizationCode.objects.get()
    assert row.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert AccessToken.objects.get().token_hash == hashlib.sha256(access_token.encode()).hexdigest()


def test_grants_are_purged_a_day_after_they_expire(client, demo_person):
    from identity.mock_eid.services import expired_grants_purge

    code, verifier, _params = code_for(client, demo_person.personal_id)
    redeem(client, code, verifier)
    expires_at = AuthorizationCode.objects.get().expires_at

    assert expired_grants_purge(now=expires_at + timedelta(hours=23)) == 0
    assert expired_grants_purge(now=expires_at + timedelta(days=1, seconds=1)) == 1
    assert not AuthorizationCode.objects.exists() and not AccessToken.objects.exists()


def test_an_unknown_grant_type_is_unsupported(client):
    response = form_post(
        client,
        "/mock-eid/token",
        {
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )

    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


# --- authorization request validation -------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://evil.example.com/callback"},
        {"redirect_uri": REDIRECT_URI + "extra/"},
        {"redirect_uri": None},
        {"client_id": "unknown-client"},
        {"client_id": "other-service"},  # a real client, but not this redirect URI
    ],
)
def test_unknown_client_or_unregistered_redirect_uri_shows_a_page_and_never_redirects(client, overrides):
    _verifier, challenge = pkce_pair()

    response = client.get(authorize_url(authorize_params(challenge, **overrides)))

    assert response.status_code == 400
    assert "Location" not in response
    assert "evil.example.com" not in response.content.decode()


def test_a_loopback_redirect_on_another_port_is_accepted(client, demo_person):
    redirect_uri = "http://127.0.0.1:8123/accounts/eid/vneid/login/callback/"
    verifier, challenge = pkce_pair()

    response = log_in(client, authorize_params(challenge, redirect_uri=redirect_uri), person=demo_person.personal_id)

    assert response["Location"].startswith(redirect_uri + "?")
    assert redeem(client, query_of(response)["code"], verifier, redirect_uri=redirect_uri).status_code == 200


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://portal.example.vn:8443/accounts/eid/vneid/login/callback/",  # not loopback: port counts
        "http://localhost:8123/accounts/eid/vneid/login/callback/",  # loopback, but not the registered host
        "http://127.0.0.1:8123/accounts/eid/vneid/login/callback/?next=/x",
        "http://user@127.0.0.1:8123/accounts/eid/vneid/login/callback/",
        "https://127.0.0.1:8123/accounts/eid/vneid/login/callback/",
    ],
)
def test_the_port_is_ignored_only_for_loopback_hosts(client, redirect_uri):
    _verifier, challenge = pkce_pair()

    response = client.get(authorize_url(authorize_params(challenge, redirect_uri=redirect_uri)))

    assert response.status_code == 400 and "Location" not in response


def test_the_portals_own_default_registration_works_on_any_local_port(client, settings, population):
    from govportal.settings import identity as identity_settings

    settings.MOCK_EID_CLIENTS = identity_settings.MOCK_EID_CLIENTS
    _verifier, challenge = pkce_pair()
    params = authorize_params(
        challenge,
        client_id=identity_settings.EID_CLIENT_ID,
        redirect_uri="http://127.0.0.1:8000/accounts/eid/vneid/login/callback/",
    )

    assert client.get(authorize_url(params)).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_other_authorization_errors_go_back_to_the_client_with_the_state(client, overrides, error):
    _verifier, challenge = pkce_pair()
    params = authorize_params(challenge, **overrides)

    response = client.get(authorize_url(params))

    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI + "?")
    returned = query_of(response)
    assert returned["error"] == error
    assert returned["state"] == params["state"]


def test_an_unknown_personal_id_is_a_form_error_and_issues_no_code(client, population):
    _verifier, challenge = pkce_pair()

    response = log_in(client, authorize_params(challenge), personal_id="079099999999")

    assert response.status_code == 200
    assert NOT_FOUND_MESSAGE in response.content.decode()
    assert not AuthorizationCode.objects.exists()


@pytest.mark.parametrize("typed", ["12345", "0790991234567", "07909912345a"])
def test_an_id_number_that_is_not_12_digits_is_a_form_error(client, population, typed):
    _verifier, challenge = pkce_pair()

    response = log_in(client, authorize_params(challenge), personal_id=typed)

    assert response.status_code == 200
    assert "12 chữ số" in response.content.decode()
    assert not AuthorizationCode.objects.exists()


def test_submitting_without_choosing_anyone_is_a_form_error(client, population):
    _verifier, challenge = pkce_pair()

    response = log_in(client, authorize_params(challenge))

    assert response.status_code == 200 and not AuthorizationCode.objects.exists()
    assert "Hãy chọn một công dân" in response.content.decode()


def test_cancel_goes_back_with_access_denied_and_the_state(client, population):
    _verifier, challenge = pkce_pair()
    params = authorize_params(challenge)

    response = log_in(client, params, extra={"cancel": "1"})

    assert response.status_code == 302
    returned = query_of(response)
    assert returned["error"] == "access_denied" and returned["state"] == params["state"]
    assert not AuthorizationCode.objects.exists()


def test_a_tampered_hidden_request_is_refused(client, demo_person):
    _verifier, challenge = pkce_pair()
    page = client.get(authorize_url(authorize_params(challenge)))
    blob = page.context["authorization_request"]

    response = client.post(
        "/mock-eid/authorize",
        {
            "authorization_request": blob.replace(REDIRECT_URI[:4], "xxxx") + "x",
            "person": demo_person.personal_id,
            "eid_level": "2",
        },
    )

    assert response.status_code == 400 and "Location" not in response
    assert not AuthorizationCode.objects.exists()


def test_the_post_rechecks_the_client_registration(client, settings, demo_person):
    _verifier, challenge = pkce_pair()
    page = client.get(authorize_url(authorize_params(challenge)))
    settings.MOCK_EID_CLIENTS = [{**settings.MOCK_EID_CLIENTS[0], "redirect_uris": [REMOTE_REDIRECT_URI]}]

    response = client.post(
        "/mock-eid/authorize",
        {
            "authorization_request": page.context["authorization_request"],
            "person": demo_person.personal_id,
            "eid_level": "2",
        },
    )

    assert response.status_code == 400 and "Location" not in response


def test_the_login_form_is_csrf_protected(demo_person):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    _verifier, challenge = pkce_pair()
    page = browser.get(authorize_url(authorize_params(challenge)))

    response = browser.post(
        "/mock-eid/authorize",
        {
            "authorization_request": page.context["authorization_request"],
            "person": demo_person.personal_id,
            "eid_level": "2",
        },
    )

    assert response.status_code == 403
    assert not AuthorizationCode.objects.exists()


# --- userinfo and logout ----------------------------------------------------------------


def test_userinfo_returns_the_identity_claims_for_a_valid_token(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id, level=2)
    body = redeem(client, code, verifier).json()

    response = client.get("/mock-eid/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})

    assert response.status_code == 200
    info = response.json()
    id_claims = verify_with_jwks(client, body["id_token"])
    for name in ("sub", "personal_id", "name", "birthdate", "eid_level", "acr"):
        assert info[name] == id_claims[name]


@pytest.mark.parametrize("header", ["", "Bearer not-a-token", "Basic abc"])
def test_userinfo_refuses_missing_or_unknown_tokens(client, header):
    response = client.get("/mock-eid/userinfo", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_userinfo_refuses_an_expired_token(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)
    access_token = redeem(client, code, verifier).json()["access_token"]
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get("/mock-eid/userinfo", headers={"Authorization": f"Bearer {access_token}"})

    assert response.status_code == 401 and 'error="invalid_token"' in response["WWW-Authenticate"]


def _id_token(client, person_id: str) -> str:
    code, verifier, _params = code_for(client, person_id)
    return redeem(client, code, verifier).json()["id_token"]


def test_logout_redirects_to_a_registered_post_logout_uri_with_the_state(client, demo_person):
    hint = _id_token(client, demo_person.personal_id)

    response = client.get(
        "/mock-eid/logout?"
        + urlencode(
            {
                "id_token_hint": hint,
                "post_logout_redirect_uri": "http://127.0.0.1:8000/",
                "state": "bye",
            }
        )
    )

    assert response.status_code == 302
    assert response["Location"] == "http://127.0.0.1:8000/?state=bye"


def test_logout_accepts_an_expired_id_token_hint(client, demo_person, monkeypatch):
    original = tokens.build_id_token_claims
    monkeypatch.setattr(
        tokens,
        "build_id_token_claims",
        lambda **kw: {**original(**kw), "exp": int((timezone.now() - timedelta(hours=1)).timestamp())},
    )
    hint = _id_token(client, demo_person.personal_id)

    response = client.get(
        "/mock-eid/logout?" + urlencode({"id_token_hint": hint, "post_logout_redirect_uri": POST_LOGOUT_URI})
    )

    assert response.status_code == 302 and response["Location"] == POST_LOGOUT_URI


def test_logout_accepts_a_hint_issued_under_another_loopback_name(client, demo_person):
    code, verifier, _params = code_for(client, demo_person.personal_id)
    hint = form_post(
        client,
        "/mock-eid/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        Host="localhost:8000",
    ).json()["id_token"]
    assert jwt.decode(hint, options={"verify_signature": False})["iss"] == "http://localhost:8000/mock-eid"

    response = client.get(
        "/mock-eid/logout?" + urlencode({"id_token_hint": hint, "post_logout_redirect_uri": POST_LOGOUT_URI}),
        HTTP_HOST="127.0.0.1:8000",
    )

    assert response.status_code == 302 and response["Location"] == POST_LOGOUT_URI


@pytest.mark.parametrize("uri", ["https://evil.example.com/", "http://127.0.0.1/elsewhere"])
def test_logout_refuses_an_unregistered_post_logout_uri(client, demo_person, uri):
    hint = _id_token(client, demo_person.personal_id)

    response = client.get("/mock-eid/logout?" + urlencode({"id_token_hint": hint, "post_logout_redirect_uri": uri}))

    assert response.status_code == 400 and "Location" not in response


def test_logout_refuses_a_hint_not_signed_by_the_provider(client):
    from cryptography.hazmat.primitives.asymmetric import rsa

    forged = jwt.encode(
        {"iss": ISSUER, "aud": CLIENT_ID, "sub": "079200000001"},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
    )

    response = client.get(
        "/mock-eid/logout?" + urlencode({"id_token_hint": forged, "post_logout_redirect_uri": POST_LOGOUT_URI})
    )

    assert response.status_code == 400 and "Location" not in response


def test_logout_with_a_client_id_and_no_hint_also_checks_the_registration(client):
    ok = client.get(
        "/mock-eid/logout?" + urlencode({"client_id": CLIENT_ID, "post_logout_redirect_uri": POST_LOGOUT_URI})
    )
    refused = client.get("/mock-eid/logout?" + urlencode({"post_logout_redirect_uri": POST_LOGOUT_URI}))

    assert ok.status_code == 302
    assert refused.status_code == 400


def test_logout_without_a_redirect_shows_the_logged_out_page(client):
    response = client.get("/mock-eid/logout")

    assert response.status_code == 200
    assert "Bạn đã đăng xuất khỏi VNeID mô phỏng" in response.content.decode()

"""HTTP endpoints of the mock VNeID: discovery, JWKS, authorize, token, userinfo, logout.

Thin on purpose: protocol.py validates authorization requests, services.py
issues and redeems codes, selectors.py reads clients, people and tokens.

The issuer is always derived from the request (scheme, host, port and where
the URLconf mounts this app), so it follows PORT, a test server's random port
and a reverse proxy that sets the Host header, and the discovery document, the
endpoints and the `iss` claim always agree. In the portal's default setup that
is exactly settings.EID_ISSUER (http://127.0.0.1:PORT/mock-eid).

Pages are bilingual (Vietnamese first, English smaller) and standalone: no
portal layout, no external resources, no JavaScript. This app has no users and
no sessions of its own; it never reads request.user.
"""

import base64
import binascii
from urllib.parse import unquote_plus, urlsplit

import jwt
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govportal.ratelimit import limit_view
from identity.mock_eid import keys, protocol, selectors, services, tokens
from identity.mock_eid.forms import LEVEL_CHOICES, CitizenLoginForm

DISCOVERY_SUFFIX = ".well-known/openid-configuration"
SIGNING_SALT = "identity.mock_eid.authorize"
# How long the login page may stay open before its hidden request expires.
AUTHORIZATION_REQUEST_MAX_AGE = 30 * 60
REALM = "mock-eid"


def issuer_for(request) -> str:
    base = reverse("mock_eid:discovery")[: -len(DISCOVERY_SUFFIX)].rstrip("/")
    return request.build_absolute_uri(base)


def _json(data: dict, *, status: int = 200, no_store: bool = True, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(data, status=status, headers=headers or {})
    if no_store:
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
    return response


def _public_json(data: dict) -> JsonResponse:
    response = _json(data, no_store=False)
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error_page(request, error: protocol.ErrorPage, status: int = 400):
    return render(request, "mock_eid/error.html", {"title": error.title, "detail": error.detail}, status=status)


def _absolute(request, name: str) -> str:
    return request.build_absolute_uri(reverse(f"mock_eid:{name}"))


@login_not_required
@require_GET
def discovery(request):
    return _public_json(
        {
            "issuer": issuer_for(request),
            "authorization_endpoint": _absolute(request, "authorize"),
            "token_endpoint": _absolute(request, "token"),
            "userinfo_endpoint": _absolute(request, "userinfo"),
            "jwks_uri": _absolute(request, "jwks"),
            "end_session_endpoint": _absolute(request, "logout"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [keys.ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(protocol.SUPPORTED_SCOPES),
            "claims_supported": ["iss", "aud", "iat", "exp", "auth_time", "nonce", *tokens.IDENTITY_CLAIMS],
            "acr_values_supported": list(tokens.ACR_BY_LEVEL.values()),
            "prompt_values_supported": ["none", "login"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": ["vi", "en"],
        }
    )


@login_not_required
@require_GET
def jwks(request):
    return _public_json(keys.jwks())


def _redirect_error(request, error: protocol.ErrorRedirect):
    return HttpResponseRedirect(
        protocol.redirect_with(
            error.redirect_uri,
            {
                "error": error.error,
                "error_description": error.description,
                "state": error.state,
                "iss": issuer_for(request),
            },
        )
    )


def _login_page(request, auth_request: protocol.AuthorizationRequest, form: CitizenLoginForm, status: int = 200):
    blob = signing.dumps(
        {**auth_request.as_dict(), "response_type": "code", "code_challenge_method": "S256"}, salt=SIGNING_SALT
    )
    context = {
        "form": form,
        "errors": form.bilingual_errors() if form.is_bound else {},
        "people": form.people,
        "level_choices": LEVEL_CHOICES,
        "selected_level": str(form["eid_level"].value() or 2),
        "selected_person": form["person"].value() or "",
        "typed_personal_id": form["personal_id"].value() or "",
        "authorization_request": blob,
        "client_id": auth_request.client_id,
    }
    response = render(request, "mock_eid/authorize.html", context, status=status)
    # The login form ends in a redirect to the client's (validated) redirect URI: the CSP's form-action must allow it.
    target = urlsplit(auth_request.redirect_uri)
    response._csp_update = {"form-action": [f"{target.scheme}://{target.netloc}"]}
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request):
    try:
        if request.method == "GET":
            auth_request = protocol.authorization_request_parse(request.GET)
        else:
            try:
                params = signing.loads(
                    request.POST.get("authorization_request", ""),
                    salt=SIGNING_SALT,
                    max_age=AUTHORIZATION_REQUEST_MAX_AGE,
                )
            except signing.BadSignature:
                raise protocol.ErrorPage(
                    ("Phiên đăng nhập đã hết hạn", "The login page has expired"),
                    (
                        "Hãy quay lại ứng dụng và bắt đầu đăng nhập lại.",
                        "Go back to the application and start logging in again.",
                    ),
                ) from None
            auth_request = protocol.authorization_request_parse(params)
    except protocol.ErrorPage as error:
        return _error_page(request, error)
    except protocol.ErrorRedirect as error:
        return _redirect_error(request, error)

    form_kwargs = {"people": selectors.demo_people(), "lookup": selectors.person_lookup}
    if request.method == "GET":
        return _login_page(request, auth_request, CitizenLoginForm(**form_kwargs))

    if "cancel" in request.POST:
        return _redirect_error(
            request,
            protocol.ErrorRedirect(
                redirect_uri=auth_request.redirect_uri,
                error="access_denied",
                description="the user cancelled the login",
                state=auth_request.state,
            ),
        )
    form = CitizenLoginForm(request.POST, **form_kwargs)
    if not form.is_valid():
        return _login_page(request, auth_request, form)
    code = services.authorization_code_issue(
        client_id=auth_request.client_id,
        redirect_uri=auth_request.redirect_uri,
        personal_id=form.cleaned_data["record"].personal_id,
        eid_level=form.cleaned_data["eid_level"],
        scope=auth_request.scope,
        code_challenge=auth_request.code_challenge,
        nonce=auth_request.nonce,
    )
    return HttpResponseRedirect(
        protocol.redirect_with(
            auth_request.redirect_uri, {"code": code, "state": auth_request.state, "iss": issuer_for(request)}
        )
    )


def _oauth_error(error: str, description: str = "", status: int = 400, headers: dict | None = None) -> JsonResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return _json(body, status=status, headers=headers)


def _client_credentials(request) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from the Basic header or the body; raises OAuthError."""
    header = request.headers.get("Authorization", "")
    posted_secret = request.POST.get("client_secret")
    posted_id = request.POST.get("client_id")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise services.OAuthError("invalid_client", "unsupported authentication scheme", status=401)
        if posted_secret is not None:
            raise services.OAuthError("invalid_request", "use one client authentication method only")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise services.OAuthError("invalid_client", "malformed Basic credentials", status=401) from None
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise services.OAuthError("invalid_client", "malformed Basic credentials", status=401)
        # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
        client_id, client_secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if posted_id is not None and posted_id != client_id:
            raise services.OAuthError("invalid_request", "client_id differs from the authenticated client")
        return client_id, client_secret
    return posted_id, posted_secret


@csrf_exempt  # server-to-server: the client authenticates with its secret, there is no browser
@login_not_required
@require_POST
@limit_view("mock-eid-token", json=True)
def token(request):
    challenge = {"WWW-Authenticate": f'Basic realm="{REALM}"'}
    if request.content_type != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request", "the body must be application/x-www-form-urlencoded")
    for name in ("grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret"):
        if len(request.POST.getlist(name)) > 1:
            return _oauth_error("invalid_request", f"{name} appears more than once")
    try:
        client_id, client_secret = _client_credentials(request)
        client = selectors.client_authenticate(client_id=client_id, client_secret=client_secret)
        if client is None:
            raise services.OAuthError("invalid_client", "client authentication failed", status=401)
        grant_type = request.POST.get("grant_type", "")
        if not grant_type:
            raise services.OAuthError("invalid_request", "grant_type is required")
        if grant_type != "authorization_code":
            raise services.OAuthError("unsupported_grant_type", "only authorization_code is supported")
        grant = services.authorization_code_redeem(
            client=client,
            code=request.POST.get("code", ""),
            redirect_uri=request.POST.get("redirect_uri", ""),
            code_verifier=request.POST.get("code_verifier", ""),
            issuer=issuer_for(request),
        )
    except services.OAuthError as error:
        return _oauth_error(
            error.error, error.description, status=error.status, headers=challenge if error.status == 401 else None
        )
    return _json(
        {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": grant.expires_in,
            "id_token": grant.id_token,
            "scope": grant.scope,
        }
    )


@csrf_exempt  # bearer-token API (OpenID Connect Core §5.3.1 allows GET and POST)
@login_not_required
@require_http_methods(["GET", "POST"])
@limit_view("mock-eid-userinfo", json=True)
def userinfo(request):
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return _json({"error": "invalid_request"}, status=401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    claims = selectors.userinfo_claims(token=value.strip(), now=timezone.now())
    if claims is None:
        return _json(
            {"error": "invalid_token"},
            status=401,
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'},
        )
    return _json(claims)


def _hint_client_id(claims: dict) -> str | None:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return aud
    if isinstance(aud, list) and len(aud) == 1:
        return aud[0]
    return claims.get("azp")


@csrf_exempt  # RP-initiated logout may arrive as a cross-site form POST; this app has no session to protect
@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def logout(request):
    params = request.GET if request.method == "GET" else request.POST
    hint = params.get("id_token_hint", "")
    client_id = params.get("client_id") or None
    redirect_uri = params.get("post_logout_redirect_uri", "")
    if hint:
        try:
            hint_client = _hint_client_id(tokens.id_token_hint_decode(hint))
        except jwt.PyJWTError:
            return _error_page(
                request,
                protocol.ErrorPage(
                    ("Yêu cầu đăng xuất không hợp lệ", "Invalid logout request"),
                    (
                        "id_token_hint không do VNeID mô phỏng cấp.",
                        "The id_token_hint was not issued by this provider.",
                    ),
                ),
            )
        if client_id and hint_client != client_id:
            return _error_page(
                request,
                protocol.ErrorPage(
                    ("Yêu cầu đăng xuất không hợp lệ", "Invalid logout request"),
                    ("client_id không khớp với id_token_hint.", "The client_id does not match the id_token_hint."),
                ),
            )
        client_id = hint_client
    if redirect_uri:
        client = selectors.client_get(client_id)
        if client is None or not selectors.post_logout_redirect_uri_is_registered(client, redirect_uri):
            return _error_page(
                request,
                protocol.ErrorPage(
                    ("Địa chỉ chuyển hướng không hợp lệ", "Invalid redirect address"),
                    (
                        "post_logout_redirect_uri chưa được đăng ký cho ứng dụng này.",
                        "The post_logout_redirect_uri is not registered for this application.",
                    ),
                ),
            )
        return HttpResponseRedirect(protocol.redirect_with(redirect_uri, {"state": params.get("state", "")}))
    return render(request, "mock_eid/logged_out.html")

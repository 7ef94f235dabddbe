"""The authorization request: parsing, validation order, and how errors travel.

OAuth 2.0 (RFC 6749 §4.1.2.1) draws one line that matters for safety: until the
client and its redirect URI are known to be genuine, the provider must not
redirect anywhere (that would make it an open redirector), so those errors are
shown as a page. Every later error is sent back to the client's redirect URI
with `error`, `error_description`, `state` and `iss` (RFC 9207).

The same parser runs on GET and again on the login page's POST, on the
parameters carried back in a signed blob: the POST re-checks the client and the
redirect URI against the current registrations instead of trusting the page.
"""

import re
from dataclasses import asdict, dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from identity.mock_eid import selectors

SUPPORTED_SCOPES = ("openid", "profile")
SINGLE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
)
CODE_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
MAX_STATE = 2000
MAX_NONCE = 500


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    nonce: str
    code_challenge: str

    def as_dict(self) -> dict:
        return asdict(self)


class ErrorPage(Exception):
    """Shown to the user with status 400; never a redirect."""

    def __init__(self, title: tuple[str, str], detail: tuple[str, str]):
        super().__init__(detail[1])
        self.title = title
        self.detail = detail


class ErrorRedirect(Exception):
    """An error returned to the (verified) client through its redirect URI."""

    def __init__(self, *, redirect_uri: str, error: str, description: str, state: str):
        super().__init__(f"{error}: {description}")
        self.redirect_uri = redirect_uri
        self.error = error
        self.description = description
        self.state = state


def redirect_with(uri: str, params: dict) -> str:
    """`uri` with params appended to its query (kept as registered), empty values left out."""
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v})
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _single(params, name: str) -> str:
    values = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    values = [v for v in values if v is not None]
    if len(values) > 1:
        raise ValueError(name)
    return values[0] if values else ""


def authorization_request_parse(params) -> AuthorizationRequest:
    """Validate the parameters of /authorize; raise ErrorPage or ErrorRedirect."""
    try:
        client_id = _single(params, "client_id")
        redirect_uri = _single(params, "redirect_uri")
    except ValueError as error:
        raise ErrorPage(
            ("Yêu cầu không hợp lệ", "Invalid request"),
            (f"Tham số {error} bị lặp lại.", f"The parameter {error} appears more than once."),
        ) from error
    client = selectors.client_get(client_id)
    if client is None:
        raise ErrorPage(
            ("Ứng dụng không được đăng ký", "Unknown application"),
            ("Mã ứng dụng (client_id) không có trong danh sách đã đăng ký.", "The client_id is not registered."),
        )
    if not selectors.redirect_uri_is_registered(client, redirect_uri):
        raise ErrorPage(
            ("Địa chỉ chuyển hướng không hợp lệ", "Invalid redirect address"),
            (
                "Địa chỉ redirect_uri thiếu hoặc chưa được đăng ký cho ứng dụng này.",
                "The redirect_uri is missing or not registered for this application.",
            ),
        )

    state = params.get("state") or ""

    def fail(error: str, description: str):
        return ErrorRedirect(redirect_uri=redirect_uri, error=error, description=description, state=state[:MAX_STATE])

    try:
        values = {name: _single(params, name) for name in SINGLE_PARAMS}
    except ValueError as error:
        raise fail("invalid_request", f"{error} appears more than once") from error
    if params.get("request"):
        raise fail("request_not_supported", "request objects are not supported")
    if params.get("request_uri"):
        raise fail("request_uri_not_supported", "request_uri is not supported")
    if values["response_type"] != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if values["response_mode"] not in ("", "query"):
        raise fail("invalid_request", "only response_mode=query is supported")
    if len(state) > MAX_STATE:
        raise fail("invalid_request", "state is too long")
    scopes = values["scope"].split()
    if "openid" not in scopes:
        raise fail("invalid_scope", "the openid scope is required")
    if not values["code_challenge"]:
        raise fail("invalid_request", "PKCE is required: code_challenge is missing")
    if values["code_challenge_method"] != "S256":
        raise fail("invalid_request", "PKCE: only code_challenge_method=S256 is supported")
    if not CODE_CHALLENGE_RE.match(values["code_challenge"]):
        raise fail("invalid_request", "PKCE: code_challenge is malformed")
    if len(values["nonce"]) > MAX_NONCE:
        raise fail("invalid_request", "nonce is too long")
    if "none" in values["prompt"].split():
        # The mock keeps no login session, so it can never authenticate silently.
        raise fail("login_required", "the mock provider keeps no session")
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(s for s in SUPPORTED_SCOPES if s in scopes),
        state=state,
        nonce=values["nonce"],
        code_challenge=values["code_challenge"],
    )

"""Identity: citizen e-ID (OpenID Connect), the mock e-ID provider, staff login + TOTP.

Citizens log in only through the e-ID provider; staff with a user name, a
password and a TOTP code. The mock e-ID provider (a real OIDC provider with its
own keys, served under /mock-eid/) is on when DEMO_ENABLED is, and refused in
production unless ALLOW_MOCK_EID_IN_PRODUCTION says so (production.py).
"""

from pathlib import Path

import environ

_env = environ.Env()
_var = Path(_env("GOVPORTAL_VAR_DIR", default=str(Path(__file__).resolve().parent.parent.parent / "var")))
_port = _env.int("PORT", default=8000)
_demo = _env.bool("DEMO_ENABLED", default=True)

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/me/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

# --- Staff login (allauth account + mfa) --------------------------------------
ACCOUNT_ADAPTER = "identity.adapters.PortalAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_USER_DISPLAY = "identity.adapters.user_display"
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
# Five wrong passwords for one user name lock it for 15 minutes; 10 a minute per IP.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/15m/key", "login": "30/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "govportal HCMC"
MFA_TOTP_TOLERANCE = 1

# --- Citizen e-ID (allauth socialaccount, our strict OIDC provider) ------------
SOCIALACCOUNT_ADAPTER = "identity.adapters.PortalSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False

MOCK_EID_ENABLED = _env.bool("MOCK_EID_ENABLED", default=_demo)
EID_ISSUER = _env("EID_ISSUER", default=f"http://127.0.0.1:{_port}/mock-eid")
EID_CLIENT_ID = _env("EID_CLIENT_ID", default="govportal-local")
EID_CLIENT_SECRET = _env("EID_CLIENT_SECRET", default="govportal-local-secret" if MOCK_EID_ENABLED else "")
EID_PROVIDER_NAME = _env("EID_PROVIDER_NAME", default="VNeID")

SOCIALACCOUNT_PROVIDERS = {
    "vneid": {
        "APPS": [
            {
                "provider_id": "vneid",
                "name": EID_PROVIDER_NAME,
                "client_id": EID_CLIENT_ID,
                "secret": EID_CLIENT_SECRET,
                "settings": {
                    "server_url": EID_ISSUER,
                    "token_auth_method": "client_secret_post",
                    "oauth_pkce_enabled": True,
                    "fetch_userinfo": False,
                },
            }
        ],
        "SCOPE": ["openid", "profile"],
    }
}

# The mock provider: its own RSA key (made on first use, shared by all
# processes through this file) and the portal as its only client. Loopback
# redirect URIs match on any port (RFC 8252 section 7.3), so PORT and the test
# server's random port both work.
MOCK_EID_KEY_FILE = Path(_env("MOCK_EID_KEY_FILE", default=str(_var / "mock-eid-signing-key.pem")))
MOCK_EID_CLIENTS = [
    {
        "client_id": EID_CLIENT_ID,
        "client_secret": EID_CLIENT_SECRET,
        "redirect_uris": [
            "http://127.0.0.1/accounts/eid/vneid/login/callback/",
            "http://localhost/accounts/eid/vneid/login/callback/",
        ],
        "post_logout_redirect_uris": ["http://127.0.0.1/", "http://localhost/"],
    }
]

# --- Citizen registry (data reuse) ---------------------------------------------
CITIZEN_REGISTRY_BACKEND = _env("CITIZEN_REGISTRY_BACKEND", default="identity.registry.local.LocalRegistry")

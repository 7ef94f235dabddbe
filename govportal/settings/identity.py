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
# Sign-up is closed: a reset asked for an unknown address sends nothing (no invitation to sign up,
# no mail to a stranger's inbox), and the page answers exactly as for a known one.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Wrong passwords lock a user name from one client address only (identity.lockout), so a stranger elsewhere
# cannot lock an officer out; an address failing too often, whatever the names, is locked as a whole.
LOGIN_LOCKOUT_PER_NAME_AND_ADDRESS = _env("LOGIN_LOCKOUT_PER_NAME_AND_ADDRESS", default="5/15m")
LOGIN_LOCKOUT_PER_ADDRESS = _env("LOGIN_LOCKOUT_PER_ADDRESS", default="20/15m")
# allauth's "login_failed" now guards only the second factor (its key is the user who passed the password).
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

# --- SMS and one-time codes (identity/sms, identity/otp.py) -------------------
# The console simulator here; production defaults to the HTTP adapter and refuses
# the console unless ALLOW_CONSOLE_SMS_IN_PRODUCTION is set (production.py).
SMS_BACKEND = _env("SMS_BACKEND", default="identity.sms.console.ConsoleSmsGateway")
SMS_HTTP_ENDPOINT = _env("SMS_HTTP_ENDPOINT", default="")
SMS_HTTP_ACCOUNT = _env("SMS_HTTP_ACCOUNT", default="")
SMS_HTTP_SECRET = _env("SMS_HTTP_SECRET", default="")
SMS_HTTP_SENDER = _env("SMS_HTTP_SENDER", default="HCMC1022")
SMS_HTTP_TIMEOUT = _env.float("SMS_HTTP_TIMEOUT", default=10.0)
OTP_TTL_SECONDS = _env.int("OTP_TTL_SECONDS", default=600)
OTP_MAX_ATTEMPTS = _env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RATE_WINDOW_SECONDS = _env.int("OTP_RATE_WINDOW_SECONDS", default=600)
OTP_ISSUE_LIMIT_PER_ADDRESS = _env.int("OTP_ISSUE_LIMIT_PER_ADDRESS", default=3)
OTP_ISSUE_LIMIT_PER_CLIENT = _env.int("OTP_ISSUE_LIMIT_PER_CLIENT", default=10)
OTP_VERIFY_LIMIT_PER_CLIENT = _env.int("OTP_VERIFY_LIMIT_PER_CLIENT", default=30)
# How long the proof of a confirmed contact lets a reporter without an account file reports (feedback.intake).
REPORT_CONTACT_PROOF_SECONDS = _env.int("REPORT_CONTACT_PROOF_SECONDS", default=3600)

"""Production settings: no insecure default survives here.

The portal refuses to start without SECRET_KEY, ALLOWED_HOSTS (a wildcard is
refused) and the e-ID client (issuer, id, secret), with DEBUG on, or with demo
parts (seed data, simulators, mock e-ID) enabled.
"""

from django.core.exceptions import ImproperlyConfigured

from govportal.settings.base import *  # noqa: F401,F403
from govportal.settings.base import env

SECRET_KEY = env("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set (at least 50 random characters) in production.")

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the portal's host names in production.")
if any("*" in host for host in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must not contain '*' in production: name the portal's host names "
        "(a wildcard lets forged Host headers into password-reset links and emails)."
    )

PORTAL_URL = env("PORTAL_URL", default="")
if not PORTAL_URL.startswith("https://"):
    raise ImproperlyConfigured("PORTAL_URL must be the portal's public https address (used in emails).")

DEMO_ENABLED = env.bool("DEMO_ENABLED", default=False)
if DEMO_ENABLED and not env.bool("ALLOW_DEMO_IN_PRODUCTION", default=False):
    raise ImproperlyConfigured(
        "DEMO_ENABLED turns on demo data and simulators; it is refused in production "
        "unless ALLOW_DEMO_IN_PRODUCTION is also set (for a staging host)."
    )

MOCK_EID_ENABLED = env.bool("MOCK_EID_ENABLED", default=False)
if MOCK_EID_ENABLED and not env.bool("ALLOW_MOCK_EID_IN_PRODUCTION", default=False):
    raise ImproperlyConfigured(
        "The mock e-ID provider lets anyone log in as any citizen; it is refused in production "
        "unless ALLOW_MOCK_EID_IN_PRODUCTION is also set (for a staging host)."
    )
SMS_BACKEND = env("SMS_BACKEND", default="identity.sms.http.HttpSmsGateway")
if SMS_BACKEND.endswith("ConsoleSmsGateway") and not env.bool("ALLOW_CONSOLE_SMS_IN_PRODUCTION", default=False):
    raise ImproperlyConfigured(
        "The console SMS gateway sends nothing to anyone (one-time codes would never arrive); it is refused "
        "in production unless ALLOW_CONSOLE_SMS_IN_PRODUCTION is also set (for a staging host)."
    )
PAYGOV_SIM_ENABLED = env.bool("PAYGOV_SIM_ENABLED", default=False)
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="payments.gateways.http.HttpGateway")
if (PAYGOV_SIM_ENABLED or PAYMENT_GATEWAY.endswith("SimulatorGateway")) and not env.bool(
    "ALLOW_PAYGOV_SIM_IN_PRODUCTION", default=False
):
    raise ImproperlyConfigured(
        "The PayGov simulator takes no money and confirms any payment; it is refused in production "
        "unless ALLOW_PAYGOV_SIM_IN_PRODUCTION is also set (for a staging host)."
    )
if not PAYGOV_SIM_ENABLED:
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "payments.paygov_sim"]  # noqa: F405
PAYGOV_SECRET = env("PAYGOV_SECRET", default="")
if PAYMENT_GATEWAY.endswith("HttpGateway") and not (
    PAYGOV_SECRET and env("PAYGOV_ENDPOINT", default="").startswith("https://")
):
    raise ImproperlyConfigured(
        "Set PAYGOV_ENDPOINT (https), PAYGOV_MERCHANT_CODE and PAYGOV_SECRET for the payment gateway."
    )
if not MOCK_EID_ENABLED:
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "identity.mock_eid"]  # noqa: F405
# identity.py falls back to the local mock provider's client; production takes only what is set.
EID_CLIENT_ID = env("EID_CLIENT_ID", default="")
EID_CLIENT_SECRET = env("EID_CLIENT_SECRET", default="")
_eid_missing = [
    name
    for name, ok in (
        ("EID_ISSUER (https)", EID_ISSUER.startswith("https://")),  # noqa: F405
        ("EID_CLIENT_ID", bool(EID_CLIENT_ID)),
        ("EID_CLIENT_SECRET", bool(EID_CLIENT_SECRET)),
    )
    if not ok
]
if _eid_missing:
    raise ImproperlyConfigured(
        "Set EID_ISSUER (https), EID_CLIENT_ID and EID_CLIENT_SECRET for the e-ID provider; "
        f"missing: {', '.join(_eid_missing)}."
    )

# TLS ends at the reverse proxy, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "dossiers": DOSSIER_STORAGE,  # noqa: F405  (FILE_STORAGE: the file system or an S3-compatible bucket)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

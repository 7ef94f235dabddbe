"""Benchmark settings: the production settings, made to start on a developer machine.

DJANGO_SETTINGS_MODULE=bench.settings for every benchmark (gunicorn, the Celery worker, the scripts), so the
figures are those of production's stack (DEBUG off, the same middleware, the manifest-free static storage
aside). Only what a loopback run cannot have is relaxed: no TLS (no HTTPS redirect, no secure cookies), e-ID
and payment gateway placeholders (never called), and ROOT_URLCONF adds the baseline views of bench/urls.py.
Values already in the environment win over these defaults.
"""

import os

_DEFAULTS = {
    "SECRET_KEY": "bench-only-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "PORTAL_URL": "https://bench.invalid",
    "EID_ISSUER": "https://eid.bench.invalid",
    "EID_CLIENT_ID": "bench",
    "EID_CLIENT_SECRET": "bench",
    "PAYGOV_ENDPOINT": "https://paygov.bench.invalid",
    "PAYGOV_MERCHANT_CODE": "bench",
    "PAYGOV_SECRET": "bench",
    "SMS_BACKEND": "identity.sms.console.ConsoleSmsGateway",
    "ALLOW_CONSOLE_SMS_IN_PRODUCTION": "1",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_HSTS_PRELOAD": "0",
}
for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from govportal.settings.production import *  # noqa: E402,F401,F403

ROOT_URLCONF = "bench.urls"

# Plain HTTP on loopback: cookies must come back without TLS.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False

# No collectstatic needed before a run (the manifest storage refuses unknown files when rendering).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}  # noqa: F405

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

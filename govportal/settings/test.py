"""Test settings: the base settings, made fast and deterministic.

DATABASE_URL and REDIS_URL still choose the real services (CI sets both); the
embedded broker lives in its own folder so tests never touch `make run`'s queue.
"""

import os
from pathlib import Path

_var = Path(__file__).resolve().parent.parent.parent / "var" / "test"
os.environ.setdefault("BROKER_DATA_DIR", str(_var / "broker"))

from govportal.settings.base import *  # noqa: E402,F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = _var / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "dossiers": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # follows MEDIA_ROOT
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Each test process keeps its own cache: rate limits and heartbeats never leak
# between tests (tests that need the shared cache override this).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MOCK_EID_KEY_FILE = _var / "mock-eid-signing-key.pem"
# Tasks dispatched by services run in-process in tests; tests of the real worker
# send their tasks with `send_task`, which always crosses the broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

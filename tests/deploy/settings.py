"""Settings of the process demo (tests/deploy/test_processes.py): production's, over plain HTTP on loopback.

Every required production value comes from the environment the test sets; only what a loopback run cannot
have is relaxed (no TLS: cookies without the Secure flag), and beat gets a probe entry every second so that
"which beat schedules" shows within seconds.
"""

import os
from datetime import timedelta

from govportal.settings.production import *  # noqa: F401,F403

# Each run counts its rate-limit windows under its own prefix: nothing of REDIS_URL's database is flushed.
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": os.environ["DEPLOY_DEMO_CACHE_PREFIX"]}}  # noqa: F405

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
# Static files are nginx's (served from the source folder here, no collectstatic): no manifest needed.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BEAT_SCHEDULE = {  # noqa: F405
    **CELERY_BEAT_SCHEDULE,  # noqa: F405
    "deploy-probe": {"task": "govportal.tasks.heartbeat", "schedule": timedelta(seconds=1)},
}

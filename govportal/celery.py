"""The Celery application: configured from Django settings (CELERY_* names).

Tasks live in each app's tasks.py and stay thin: they take IDs and call a service.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govportal.settings.base")

app = Celery("govportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["govportal"])

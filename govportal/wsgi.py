"""WSGI entry point (gunicorn govportal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govportal.settings.base")
application = get_wsgi_application()

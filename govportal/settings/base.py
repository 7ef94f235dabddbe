"""Base settings: everything the portal needs, with safe local defaults.

Local defaults need no server: SQLite under var/ and Celery's filesystem
transport as an embedded broker, so `make run` works on a machine with only
Python and still runs a real worker and beat. DATABASE_URL and REDIS_URL switch
to PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("GOVPORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Demo data, simulators and mock providers: on locally, refused in production.
DEMO_ENABLED = env.bool("DEMO_ENABLED", default=True)
PORT = env.int("PORT", default=8000)
# The public address, for links in emails and on printed slips.
PORTAL_URL = env("PORTAL_URL", default=f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "govportal.tiers",
    "govportal.cases",
    "identity",
    "procedures",
    "feedback",
    "payments",
    "govportal.dashboard",
    "govportal.operations",
    "identity.eid",
]
if env.bool("MOCK_EID_ENABLED", default=DEMO_ENABLED):
    INSTALLED_APPS.append("identity.mock_eid")
# The PayGov simulator (a bank's pages and records, for demos and tests); off in production.
PAYGOV_SIM_ENABLED = env.bool("PAYGOV_SIM_ENABLED", default=DEMO_ENABLED)
if PAYGOV_SIM_ENABLED:
    INSTALLED_APPS.append("payments.paygov_sim")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (settings/security.py).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "govportal.db_outage.DatabaseOutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "govportal.middleware.PortalLanguageMiddleware",
    # A NUL character in the path or query string: 400, not a 500 from PostgreSQL (govportal/api/middleware.py).
    "govportal.api.middleware.RefuseNulMiddleware",
    # Uploads announcing more than UPLOAD_MAX_REQUEST_BYTES: 413 before the body is read (before CSRF reads it).
    "govportal.upload_limits.UploadSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "identity.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "govportal.urls"
WSGI_APPLICATION = "govportal.wsgi.application"
ASGI_APPLICATION = "govportal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "libraries": {"portal": "govportal.templatetags.portal"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "govportal.context_processors.portal_nav",
                "identity.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'govportal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
# A connection broken by a database restart is replaced on the next request (the portal recovers by itself).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite (make run's default) acts like PostgreSQL under concurrent writes: a transaction takes the write
    # lock when it begins (what select_for_update does there), others wait for it instead of failing with
    # "database is locked", and readers never block writers (WAL). tests/security/test_concurrent_actions.py.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=30),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
# A streaming read replica for the dashboards, scorecard, stats API and exports (govportal/db_router.py);
# without DATABASE_REPLICA_URL they read the one database. Tests mirror it onto the test database.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db("DATABASE_REPLICA_URL"),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["govportal.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English second, whatever the browser says (see middleware).
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "govportal_language"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# dd/mm/yyyy and HH:MM in both languages (Django's own vi format spells the month out).
FORMAT_MODULE_PATH = ["govportal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files live outside the web root and are served only through views
# that check who is asking (procedures/uploads.py reads and writes them through
# the "dossiers" storage, never with open()). FILE_STORAGE=filesystem keeps them
# under MEDIA_ROOT (one disk: every web container must mount it);
# FILE_STORAGE=s3 keeps them in a private bucket of any S3-compatible store
# (MinIO, Ceph, a cloud) through django-storages: `pip install '.[s3]'`.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/files/"
FILE_STORAGE = env("FILE_STORAGE", default="filesystem")
if FILE_STORAGE == "filesystem":
    # No location: the storage follows MEDIA_ROOT.
    DOSSIER_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif FILE_STORAGE == "s3":
    if not env("S3_BUCKET", default=""):
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for a non-AWS store).")
    _s3_options = {
        "bucket_name": env("S3_BUCKET"),
        "location": env("S3_PREFIX", default=""),
        # Files are private: no public ACL, never overwritten, downloads go through the portal's views.
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
    }
    for _option, _variable in (
        ("endpoint_url", "S3_ENDPOINT_URL"),
        ("region_name", "S3_REGION"),
        # Unset: boto3's own chain (instance role, AWS_* variables, ~/.aws) provides them.
        ("access_key", "S3_ACCESS_KEY_ID"),
        ("secret_key", "S3_SECRET_ACCESS_KEY"),
        ("addressing_style", "S3_ADDRESSING_STYLE"),
    ):
        if env(_variable, default=""):
            _s3_options[_option] = env(_variable)
    DOSSIER_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    raise ImproperlyConfigured(f"FILE_STORAGE must be 'filesystem' or 's3', not {FILE_STORAGE!r}.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "dossiers": DOSSIER_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Redis: cache and broker -------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by the web, worker and beat processes of `make run`.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -------------------------------------------------------------------
from govportal.settings.celery import *  # noqa: E402,F401,F403

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Bearer first: unauthenticated calls get 401 with `WWW-Authenticate: Bearer`.
        "govportal.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # django-filter, where an empty filter value is 400, not "all" (govportal/api/filters.py).
    "DEFAULT_FILTER_BACKENDS": ["govportal.api.filters.PortalFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "govportal.api.pagination.PortalPagination",
    # Adds the standard error responses (400, 401, 403, 404, 413, 415, 429) each operation can answer.
    "DEFAULT_SCHEMA_CLASS": "govportal.api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "govportal.api.exceptions.portal_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with a size (413) and depth (400) guard: hostile bodies never answer 500.
    "DEFAULT_PARSER_CLASSES": [
        "govportal.api.parsers.PortalJSONParser",
        "govportal.api.parsers.PortalFormParser",
        "govportal.api.parsers.PortalMultiPartParser",
    ],
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "govportal API",
    "DESCRIPTION": "Two-tier digital government portal of Ho Chi Minh City.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from local static files: the portal runs on a closed network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from the public validator (closed network; the CSP would refuse it anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
}

from govportal.settings.identity import *  # noqa: E402,F401,F403
from govportal.settings.limits import *  # noqa: E402,F401,F403
from govportal.settings.payments import *  # noqa: E402,F401,F403
from govportal.settings.retention import *  # noqa: E402,F401,F403
from govportal.settings.security import *  # noqa: E402,F401,F403

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

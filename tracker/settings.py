"""Settings for the recommendation tracker, read from the environment.

Local defaults need nothing installed: SQLite under ``var/``, a generated secret key kept in
``var/``, email printed to the console and Celery on a filesystem broker under ``var/``.
``DATABASE_URL``, ``REDIS_URL`` and ``EMAIL_URL`` switch to the real services; ``DEBUG=false``
turns on the production hardening that ``manage.py check --deploy`` expects.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("TRACKER_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()


def _local_secret_key() -> str:
    # A key generated once per checkout, never a fixed one shipped in the code.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="") or (_local_secret_key() if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A refused form says what happened in the person's words and language (recommendations/views.py).
CSRF_FAILURE_VIEW = "recommendations.views.csrf_failure"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # First, so that its templates win over every other app's: the app-directories loader takes
    # the first match, and recommendations/templates/admin/base_site.html (the admin's language
    # menu) must replace django.contrib.admin's own. Its other templates have names no other app
    # uses, and its locale directory already comes first through LOCALE_PATHS.
    "recommendations",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # axes itself (label "axes"), with a translatable name in the admin.
    "recommendations.third_party_messages.AxesConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "recommendations.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
ASGI_APPLICATION = "tracker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share the embedded database (web, worker, scheduler): wait for the
    # write lock instead of failing at once, and take it at the start of a transaction.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # Tests on a file, not in memory, so that a Celery worker started by the reminder integration
    # test reads the same data; one file per test run so that concurrent runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Parameters sent apart from the SQL, so that psycopg prepares a statement on a connection
    # once it has run there 5 times: PostgreSQL then no longer parses and plans it on every
    # request (the same statements of every transition, every token lookup). Django's default
    # interpolates the parameters into the SQL text, which cannot be prepared. Turn it off
    # behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode
    # before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "recommendations.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English selectable.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "recommendations" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
# Dates typed in forms are read day-first, in both languages (tracker/formats).
FORMAT_MODULE_PATH = ["tracker.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media is never served as static files: evidence files go only through an authorised view.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Evidence uploads: size limit and an allow-list checked against the file's content.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
EVIDENCE_ALLOWED_TYPES = {
    "application/pdf": [".pdf"],
    "image/png": [".png"],
    "image/jpeg": [".jpg", ".jpeg"],
    "text/plain": [".txt"],
    "text/csv": [".csv"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# What an import may unpack (an XLSX file's parts; also the text of all its cells, in characters)
# and the rows it may hold below its header (recommendations/tabular.py).
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=10_000)

# Email: console in development; EMAIL_URL (smtp://host:port, smtp+tls://user:pass@host:587).
_email = env.email_url("EMAIL_URL", default="consolemail://")
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    # Django's SMTP backend, writing messages out faster (tracker/mail.py).
    _email["EMAIL_BACKEND"] = "tracker.mail.EmailBackend"
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Theo dõi kiến nghị <tracker@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Celery: Redis when REDIS_URL is set, else a filesystem broker under var/ so that reminders
# work on a laptop with nothing installed.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    for sub in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "data_folder_processed": str(CELERY_BROKER_DIR / "processed"),
        # Broadcast (pidbox) messages; kombu's default is a "control" folder in the cwd.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup then closes database connections only every this many tasks; around each
# task recommendations/tasks.py applies CONN_MAX_AGE and the health check, as around a request.
CELERY_DB_REUSE_MAX = 100
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# Reminders and escalation.
REMINDER_DUE_SOON_DAYS = env.int("REMINDER_DUE_SOON_DAYS", default=14)
REMINDER_STALE_DAYS = env.int("REMINDER_STALE_DAYS", default=30)
CHECK_IN_LINK_MAX_AGE_DAYS = env.int("CHECK_IN_LINK_MAX_AGE_DAYS", default=14)
ESCALATION_OVERDUE_DAYS = env.int("ESCALATION_OVERDUE_DAYS", default=14)
ESCALATION_MISSED_DIGESTS = env.int("ESCALATION_MISSED_DIGESTS", default=3)
# Sending retries on SMTP errors: exponential backoff from this base, at most this many retries.
REMINDER_RETRY_BACKOFF_SECONDS = env.int("REMINDER_RETRY_BACKOFF_SECONDS", default=60)
REMINDER_MAX_RETRIES = env.int("REMINDER_MAX_RETRIES", default=6)

# REST API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "recommendations.api.authentication.TrackerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # An unknown ?format= is a 406 naming the formats there are, not DRF's bare 404.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "recommendations.api.negotiation.TrackerContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "recommendations.api.throttling.AnonSlidingRateThrottle",
        "recommendations.api.throttling.UserSlidingRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/minute"),
        "user": env.str("THROTTLE_USER", default="2000/minute"),
    },
    # Domain errors (stale version 409, refused transition 400, not permitted 403) → JSON bodies.
    "EXCEPTION_HANDLER": "recommendations.api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Recommendation tracker API",
    "DESCRIPTION": "Theo dõi kiến nghị về ngoại giao số — reports and integration API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets come from this deployment, not a CDN: ministry networks may be closed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "recommendations.workflow.Status",
        "OrganizationKindEnum": "recommendations.models.Organization.Kind",
        "EvidenceKindEnum": "recommendations.models.Evidence.Kind",
        "HistoryKindEnum": "recommendations.models.HistoryEntry.Kind",
    },
}

# Behind reverse proxies, their number: the client's address (for login lock-outs and API
# throttling) is then read from X-Forwarded-For. AXES_PROXY_COUNT is its earlier name.
PROXY_COUNT = env.int("PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))
if PROXY_COUNT < 0:
    raise environ.ImproperlyConfigured(f"PROXY_COUNT must be 0 or more, not {PROXY_COUNT}.")

# Cache (throttling counters, axes): per process by default; CACHE_URL=redis://… shares it
# between the web workers of a deployment.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's backend with one client per server and a one-round-trip incr (tracker/cache.py).
    CACHES["default"]["BACKEND"] = "tracker.cache.RedisCache"

# Admin login throttling: AXES_FAILURE_LIMIT failures lock that username from that address (the
# pair, not either one: a whole ministry behind one NAT address is not locked out by one person's
# typing, nor is a user locked out everywhere by someone guessing their password elsewhere).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
# Against one address trying a few passwords on every account (password spraying): this many
# failures from one address, all usernames together, lock that address for every username
# (tracker/login_lockout.py); 0 turns it off. Three times the pair's limit, so that colleagues'
# ordinary mistakes behind one NAT address stay well below it; raise it for a large office.
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_HANDLER = "tracker.login_lockout.PairAndAddressHandler"
AXES_COOLOFF_TIME = 1  # hours, counted from the last attempt
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A page in the admin's look and the person's language that says how long to wait and whom to ask.
AXES_LOCKOUT_TEMPLATE = "recommendations/login_locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# The client's address, for lock-outs and throttling alike (tracker/client_address.py).
AXES_CLIENT_IP_CALLABLE = "tracker.client_address.client_address"
AXES_VERBOSE = False

# Production hardening, on whenever DEBUG is off.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

"""Settings shared by every environment.

Everything that differs between machines is read from the environment (django-environ).
With nothing set, Careboard runs on its embedded defaults: SQLite under ``var/``, local-memory
cache and an in-memory channel layer, so a fresh clone needs no services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS
from redis.exceptions import ConnectionError as RedisConnectionError

BASE_DIR = Path(__file__).resolve().parent.parent.parent
APPS_DIR = BASE_DIR / "careboard"
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

# General
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("th", "ไทย")]
LOCALE_PATHS = [str(BASE_DIR / "locale")]
USE_I18N = True
USE_TZ = True
SITE_ID = 1

# Databases
# ------------------------------------------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "careboard.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, and the timeout waits for it:
    # concurrent writers (every read writes an access-log row) queue instead of failing with
    # "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Prepared statements are off in Django's psycopg connections by default (None). A
    # threshold lets careboard.core.prepared prepare the hot reads it asks for; Django's own
    # cursors bind on the client and are never prepared, so nothing else changes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 1_000_000)
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Session and item positions are unique per parent with a DEFERRED constraint on PostgreSQL
# (so a reorder can swap positions in one transaction). SQLite, the embedded default, has no
# deferrable constraints; there the builder's services keep positions unique.
SILENCED_SYSTEM_CHECKS = ["models.W038"]

# Cache and channel layer: Redis when REDIS_URL is set, in-process otherwise
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache; sign-in keeps working while Redis is down (core/cache.py).
            "BACKEND": "careboard.core.cache.SignInResilientRedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis must cost a request seconds at most, not minutes.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="careboard"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout drops every websocket that has been
                # quiet for 5 s (channels_redis waits on Redis longer than that): no timeout.
                # One retry on a lost connection: after a Redis restart every pooled
                # connection is stale, and would otherwise fail once each (an event lost, a
                # websocket closed) before the pool has reconnected them all.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "retry_on_error": [RedisConnectionError],
                    }
                ],
                "prefix": env("CHANNEL_PREFIX", default="careboard"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# URLs
# ------------------------------------------------------------------------------
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Apps
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.admin",
    "django.forms",
]
THIRD_PARTY_APPS = [
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_vite",
]
LOCAL_APPS = [
    "careboard.core",
    "careboard.users",
    "careboard.organizations",
    "careboard.patients",
    "careboard.realtime",
    "careboard.builder",
    "careboard.privacy",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# Authentication
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_USER_MODEL = "users.User"
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Middleware
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    "careboard.core.metrics.MetricsMiddleware",
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.middleware.ApiProblemMiddleware",
]

# Static files
# ------------------------------------------------------------------------------
STATIC_ROOT = str(BASE_DIR / "staticfiles")
STATIC_URL = "/static/"
STATICFILES_DIRS = [str(APPS_DIR / "static")]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# The Vue front end, built by Vite into careboard/static/dist (`make frontend`).
DJANGO_VITE = {
    "default": {
        "dev_mode": env.bool("DJANGO_VITE_DEV_MODE", default=False),
        "manifest_path": APPS_DIR / "static" / "dist" / "manifest.json",
        "static_url_prefix": "dist",
    }
}

# Templates
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(APPS_DIR / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.template.context_processors.static",
                "django.template.context_processors.tz",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    }
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Security
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the front end reads it to send X-CSRFToken
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False

# Content Security Policy: no inline script, no third-party content. Video embeds load
# only after a click, from the privacy-enhanced hosts listed here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https://i.ytimg.com", "https://i.vimeocdn.com"],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "media-src": ["'self'", "https:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# E-mail
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Careboard <noreply@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Admin
# ------------------------------------------------------------------------------
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")

# Logging: one JSON object per line, each carrying the request id
# ------------------------------------------------------------------------------
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="text")
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
# logging.config.dictConfig's nested schema; other settings modules adjust parts of it.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "careboard.core.request_context.RequestIdLogFilter"},
        "no_query_string": {"()": "careboard.privacy.log_filters.QueryStringFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            # The JSON formatter writes out every extra attribute of a record; Django's
            # request loggers attach the request, whose repr is the URL with its query
            # string (a patient search is a name).
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"level": LOG_LEVEL, "handlers": ["console"]},
    "loggers": {
        # Django's request logger repeats the URL with the query string, which may carry
        # personal data (a search for a patient's name); our access logger replaces it.
        "django.request": {"level": "ERROR", "handlers": ["console"], "propagate": False},
        # runserver logs the request line (with the query string) of every 4xx and 5xx.
        "django.server": {"level": "WARNING", "filters": ["no_query_string"]},
        "uvicorn.access": {"level": "WARNING"},
    },
}

# django-allauth
# ------------------------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("DJANGO_ACCOUNT_EMAIL_VERIFICATION", default="optional")
# Members join by invitation only; an open sign-up would let anyone create accounts.
ACCOUNT_ADAPTER = "careboard.users.adapters.AccountAdapter"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Rate limits (allauth keeps the counters in the cache, so they hold across instances when
# the cache is Redis). "login_failed" is the lock-out: after 5 failures for one e-mail address
# within 15 minutes, further attempts for it are refused until the window passes.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "20/m/ip,5/15m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Careboard"
MFA_RECOVERY_CODE_COUNT = 10
MFA_ADAPTER = "careboard.users.mfa.MFAAdapter"
# A Fernet key for TOTP secrets at rest; derived from SECRET_KEY when empty.
MFA_ENCRYPTION_KEY = env("MFA_ENCRYPTION_KEY", default="")

# Django REST Framework
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "careboard.users.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_RENDERER_CLASSES": ("rest_framework.renderers.JSONRenderer",),
    "DEFAULT_PARSER_CLASSES": ("rest_framework.parsers.JSONParser",),
    "DEFAULT_PAGINATION_CLASS": "careboard.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": (
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ),
    "DEFAULT_SCHEMA_CLASS": "careboard.core.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "careboard.core.problems.exception_handler",
    # DRF's throttles, but letting requests through while the cache (Redis) is unreachable.
    "DEFAULT_THROTTLE_CLASSES": (
        "careboard.core.throttling.AnonRateThrottle",
        "careboard.core.throttling.UserRateThrottle",
    ),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="1200/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Clinical values are numbers in JSON (38.5, not "38.5").
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Careboard API",
    "DESCRIPTION": (
        "REST API of Careboard. Authenticate with `Authorization: Bearer <token>` (personal API "
        "token) or a browser session with CSRF. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from our own static files: no CDN, and CSP needs no exception.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DenguePhaseEnum": "careboard.patients.models.DenguePhase",
        "RoleEnum": "careboard.organizations.roles.Role",
        "AssignmentStatusEnum": "careboard.builder.models.AssignmentStatus",
        "ProgramStatusEnum": "careboard.builder.models.ProgramStatus",
        "ProgressionFieldEnum": "careboard.builder.models.ProgressionField",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
}

# Careboard
# ------------------------------------------------------------------------------
# The overdue sweep (alert.overdue once per overdue period) runs every this many seconds,
# in the ASGI server or from Celery beat (BACKGROUND_JOBS); 0 turns it off.
OVERDUE_SWEEP_SECONDS = env.float("OVERDUE_SWEEP_SECONDS", default=60.0)
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
# Program builder: a patient with no log for this many days is flagged to the therapist.
ADHERENCE_INACTIVE_DAYS = env.int("ADHERENCE_INACTIVE_DAYS", default=3)
# Portal links last until this many days after the program's end date (for late logs), or
# PORTAL_TOKEN_DAYS from issue when the program has no end date.
PORTAL_TOKEN_GRACE_DAYS = env.int("PORTAL_TOKEN_GRACE_DAYS", default=7)
PORTAL_TOKEN_DAYS = env.int("PORTAL_TOKEN_DAYS", default=180)
# The front end's portal page the patient's link points to; empty: /portal/ on this host.
PORTAL_URL = env("PORTAL_URL", default="")
# Privacy (docs/privacy.md). Reverse proxies in front of the app whose X-Forwarded-For entry
# the access log trusts for the client's address; 0: REMOTE_ADDR (what the ASGI server gives,
# which resolves the header itself when run with --forwarded-allow-ips).
TRUSTED_PROXY = env.int("TRUSTED_PROXY", default=0)
# `manage.py apply_retention` erases patients discharged longer ago than this.
RETENTION_YEARS_AFTER_DISCHARGE = env.int("RETENTION_YEARS_AFTER_DISCHARGE", default=10)
# ... and the same runs on its own every this many seconds (default daily; 0: only by hand).
RETENTION_SWEEP_SECONDS = env.float("RETENTION_SWEEP_SECONDS", default=24 * 60 * 60.0)
# Printed by `make run`; the demo personas only. Production never loads demo data.
DEMO_PASSWORD = "careboard-demo"  # noqa: S105
CSRF_FAILURE_VIEW = "careboard.core.errors.csrf_failure"
# Prometheus metrics at /metrics (careboard/core/metrics.py, docs/operations.md#monitoring):
# answered only to callers from these networks (empty: any) and, when METRICS_TOKEN is set,
# only with `Authorization: Bearer <token>`; with neither, to nobody. Anyone else gets 404.
# Worker processes add up their metrics when PROMETHEUS_MULTIPROC_DIR is set (read by
# prometheus_client itself, from the environment).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])

# Background jobs (docs/operations.md#background-jobs)
# ------------------------------------------------------------------------------
# "inprocess" (default): the periodic work (overdue sweep, Idempotency-Key expiry, retention)
# runs inside the ASGI server and export jobs run in their request, so the embedded default
# needs no worker. "celery": Celery beat schedules that work and Celery workers run it and
# the export jobs; the server runs none of it. Celery needs Redis: its broker, and the cache
# where export jobs keep their state and document.
BACKGROUND_JOBS = env("BACKGROUND_JOBS", default="inprocess")
if BACKGROUND_JOBS not in {"inprocess", "celery"}:
    raise ImproperlyConfigured(
        f"BACKGROUND_JOBS must be inprocess or celery, not {BACKGROUND_JOBS!r}."
    )
if BACKGROUND_JOBS == "celery" and not REDIS_URL:
    raise ImproperlyConfigured("BACKGROUND_JOBS=celery needs REDIS_URL.")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# JSON only: a pickled message from whoever can write to the broker would run code.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# No result backend: the periodic tasks return nothing anyone reads, and export jobs keep
# their own state (careboard/privacy/export_jobs.py).
CELERY_TASK_IGNORE_RESULT = True
# A task whose worker dies mid-way is delivered again (every task is idempotent), and a
# worker takes one task at a time, so a long export does not hold short sweeps back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Upper bounds for any task; each task sets tighter ones. Below the Redis transport's
# one-hour visibility timeout, after which an unacknowledged task is delivered again.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
EXPORT_JOB_TTL_SECONDS = env.int("EXPORT_JOB_TTL_SECONDS", default=60 * 60)
CELERY_BEAT_SCHEDULE = {
    name: entry
    for name, entry in {
        # A sweep that waited longer than one interval is superseded by the next: expire it.
        "overdue-sweep": {
            "task": "careboard.patients.tasks.sweep_overdue",
            "schedule": OVERDUE_SWEEP_SECONDS,
            "options": {"expires": OVERDUE_SWEEP_SECONDS},
        },
        "idempotency-key-expiry": {
            "task": "careboard.core.tasks.forget_expired_idempotency_keys",
            "schedule": 60 * 60.0,
        },
        "retention": {
            "task": "careboard.privacy.tasks.apply_retention",
            "schedule": RETENTION_SWEEP_SECONDS,
        },
    }.items()
    if entry["schedule"] > 0
}

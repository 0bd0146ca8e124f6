"""Production settings.

Refuses to start, with one line naming the variable, when a required variable is missing:
a half-configured production (a default secret key, any host, SQLite) must never serve.
"""

from __future__ import annotations

import os
import sys

for _required in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
    if not os.environ.get(_required, "").strip():
        sys.stderr.write(
            f"Careboard refuses to start: the environment variable {_required} is not set "
            f"(required by config.settings.production).\n"
        )
        raise SystemExit(1)

from .base import *  # noqa: E402
from .base import DATABASES, env  # noqa: E402

SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DEBUG = False

# Database: pooled psycopg 3 connections (Django's built-in pool).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DJANGO_DB_POOL", default=True
):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DJANGO_DB_POOL_MIN", default=2),
        "max_size": env.int("DJANGO_DB_POOL_MAX", default=10),
        # While PostgreSQL is unreachable a request waits this long for a connection, then
        # answers 503. psycopg_pool's default, 30 s, holds every request for half a minute.
        "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=5.0),
        # The pool's background reconnection backs off exponentially, so after a long outage
        # its next try could be minutes away; giving up after this long lets the next
        # request try again at once.
        "reconnect_timeout": env.float("DJANGO_DB_POOL_RECONNECT_TIMEOUT", default=10.0),
    }

# Security: TLS ends at Traefik, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Secure-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Secure-csrftoken"
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True

# Static files: hashed names, compressed, served by whitenoise.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# E-mail: real addresses must be verified before they can reset passwords.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=True)

# Logs: one JSON object per line, for the log shipper.
LOGGING["handlers"]["console"]["formatter"] = env("DJANGO_LOG_FORMAT", default="json")  # noqa: F405

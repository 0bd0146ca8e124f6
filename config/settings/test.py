"""Test settings: the embedded defaults unless DATABASE_URL / REDIS_URL are set (CI sets both)."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = env(
    "SECRET_KEY",
    default="test-only-insecure-key-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f",
)
TEST_RUNNER = "django.test.runner.DiscoverRunner"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
# Throttles are tested with their own rates; the rest of the suite must not trip them.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min"},
}

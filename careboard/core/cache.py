"""The Redis cache, with sign-in kept working while Redis is unreachable.

allauth keeps two things in the default cache: its rate limits (the failed-login lock-out)
and the TOTP codes already used. With Django's Redis backend both raise when Redis is down,
so nobody could sign in during a Redis outage, although sessions live in the database. For
those keys only, this backend answers as if the cache were empty and logs a warning: the
lock-out and the replay guard pause for the outage, sign-in goes on. Every other key (the
health check, export jobs, DRF's throttles, which fail open on their own) still raises, so
callers that must know keep knowing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# allauth's rate-limit keys ("allauth:rl:...") and its used-TOTP-code keys.
SIGN_IN_KEY_PREFIXES = ("allauth:rl:", "allauth.mfa.totp.used")
UNAVAILABLE = (RedisError, OSError)


def _sign_in_key(key: Any) -> bool:
    return isinstance(key, str) and key.startswith(SIGN_IN_KEY_PREFIXES)


def _warn(operation: str, exc: BaseException) -> None:
    logger.warning(
        "cache unavailable (%s), sign-in goes on without rate limits: %s",
        operation,
        type(exc).__name__,
    )


class SignInResilientRedisCache(RedisCache):
    """Django's RedisCache; sign-in keys behave as an empty cache while Redis is down."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as exc:
            if not _sign_in_key(key):
                raise
            _warn("get", exc)
            return default

    def add(self, key: Any, value: Any, timeout: Any = 300, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as exc:
            if not _sign_in_key(key):
                raise
            _warn("add", exc)
            # As if the key were new: allauth's lock and "code not used yet" both proceed.
            return True

    def set(self, key: Any, value: Any, timeout: Any = 300, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as exc:
            if not _sign_in_key(key):
                raise
            _warn("set", exc)

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except UNAVAILABLE as exc:
            if not _sign_in_key(key):
                raise
            _warn("delete", exc)
            return False

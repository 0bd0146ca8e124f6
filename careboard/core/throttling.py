"""DRF's rate limits, failing open while the cache that counts requests is unreachable.

The counters live in the cache (Redis in production). DRF's throttles raise when it cannot be
reached, which would turn a Redis outage into a 500 on every API request: a nurse could not
record observations because a rate limit could not be counted. A rate limit protects the
service; it must not be the thing that takes it down.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)


class _FailOpen:
    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except (RedisError, OSError) as exc:
            logger.warning(
                "rate limit not checked, the cache is unavailable: %s", type(exc).__name__
            )
            return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    pass

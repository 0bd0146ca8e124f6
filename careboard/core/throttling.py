"""DRF's rate limits: one Redis round trip per check, failing open while Redis is unreachable.

DRF's throttles keep each caller's request times as a list in the cache, read it and write it
back on every request: two round trips, and a list that grows with the limit (a caller at
1,200 requests a minute moves a pickled list of 1,200 floats twice per request). With Redis
as the cache (production), the same sliding window is kept in a sorted set and checked and
updated by one Lua script, atomically; with any other cache (development, tests) DRF's own
implementation runs.

When the cache cannot be reached the request is let through: a nurse must not be unable to
record observations because a rate limit could not be counted. A rate limit protects the
service; it must not be the thing that takes it down.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

# The mixins below are only ever combined with DRF's SimpleRateThrottle; the type checker is
# told so, and checks their use of its attributes and of super() against that class.
if TYPE_CHECKING:
    _Throttle = throttling.SimpleRateThrottle
else:
    _Throttle = object

# KEYS[1]: the caller's window. ARGV: now, window (s), limit, a unique member for this request.
# Returns {allowed, requests in the window, time of the oldest one (when refused)}.
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, count, oldest[2]}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('EXPIRE', key, math.ceil(window))
return {1, count + 1, '0'}
"""

_script: Any = None


def _redis_script() -> Any:
    """The registered script on the cache's Redis (None when the cache is not Redis). One
    client for the process: Django builds a new one for each cache call."""
    global _script  # noqa: PLW0603
    if _script is None:
        backend = getattr(cache, "_cache", None)
        if backend is None or not hasattr(backend, "_get_connection_pool"):
            _script = False
        else:
            import redis

            client = redis.Redis(connection_pool=backend._get_connection_pool(True))
            _script = client.register_script(_SLIDING_WINDOW)
    return _script or None


class _RedisWindow(_Throttle):
    """``SimpleRateThrottle.allow_request`` and ``wait`` over one script call."""

    _counted: tuple[int, float] | None = None
    # Set by SimpleRateThrottle.__init__ from the rate (which the stubs leave out); read only
    # once a rate is known.
    num_requests: int
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        script = _redis_script()
        if script is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        allowed, count, oldest = script(
            keys=[cache.make_and_validate_key(key)],
            args=[
                self.now,
                self.duration,
                self.num_requests,
                f"{self.now}:{secrets.token_hex(4)}",
            ],
        )
        self._counted = (int(count), float(oldest))
        return bool(allowed)

    def wait(self) -> float | None:
        if self._counted is None:
            return super().wait()
        # As DRF's: the time left until the oldest request leaves the window, shared out
        # over the requests that will then be available.
        count, oldest = self._counted
        remaining = self.duration - (self.now - oldest)
        available = self.num_requests - count + 1
        if available <= 0:
            return None
        return remaining / float(available)


class _FailOpen(_Throttle):
    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            logger.warning(
                "rate limit not checked, the cache is unavailable: %s", type(exc).__name__
            )
            return True


class AnonRateThrottle(_FailOpen, _RedisWindow, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpen, _RedisWindow, throttling.UserRateThrottle):
    pass

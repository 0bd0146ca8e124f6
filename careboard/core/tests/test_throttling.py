"""The API's rate limits on Redis: a sliding window kept by one script call per request (run
with REDIS_URL set; other caches use DRF's own implementation)."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

from careboard.core import throttling

pytestmark = pytest.mark.skipif(
    throttling._redis_script() is None, reason="needs Redis as the cache (REDIS_URL)"
)


class ThreePerMinute(throttling.UserRateThrottle):
    rate = "3/min"


def _request(user_id: int) -> SimpleNamespace:
    user = SimpleNamespace(pk=user_id, is_authenticated=True)
    return SimpleNamespace(user=user, META={"REMOTE_ADDR": "127.0.0.1"})


@pytest.fixture
def user_id():
    # A caller of its own in the shared Redis database, and nothing left behind.
    user_id = 9_000_000 + id(object()) % 1_000_000
    yield user_id
    cache.delete(f"throttle_user_{user_id}")


def test_the_window_admits_the_rate_then_refuses_with_a_wait(user_id):
    results = [ThreePerMinute().allow_request(_request(user_id), None) for _ in range(3)]
    refused = ThreePerMinute()

    assert results == [True, True, True]
    assert refused.allow_request(_request(user_id), None) is False
    wait = refused.wait()
    assert wait is not None
    assert 0 < wait <= 60


def test_callers_are_counted_apart(user_id):
    for _ in range(3):
        ThreePerMinute().allow_request(_request(user_id), None)

    assert ThreePerMinute().allow_request(_request(user_id + 1), None) is True
    cache.delete(f"throttle_user_{user_id + 1}")


def test_requests_leave_the_window_as_time_passes(user_id):
    throttle = ThreePerMinute()
    with mock.patch.object(ThreePerMinute, "timer", side_effect=[1000.0, 1001.0, 1002.0, 1061.5]):
        assert [throttle.allow_request(_request(user_id), None) for _ in range(3)] == [True] * 3
        # 61.5 s later the first two have left the window.
        assert throttle.allow_request(_request(user_id), None) is True


def test_redis_unreachable_lets_the_request_through(user_id):
    failing = mock.Mock(side_effect=RedisConnectionError("down"))
    with mock.patch.object(throttling, "_redis_script", return_value=failing):
        assert ThreePerMinute().allow_request(_request(user_id), None) is True

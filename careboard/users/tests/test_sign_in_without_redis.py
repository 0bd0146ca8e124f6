"""Sign-in while Redis is unreachable: allauth's rate limits and used-TOTP-code marks live in
the cache, and the cache backend (careboard/core/cache.py) lets sign-in go on without them.

"Unreachable" is real: a redis-py client connecting to a closed port on this machine.
"""

from __future__ import annotations

import socket

import pytest
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.test import Client, override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from careboard.core.cache import SignInResilientRedisCache
from careboard.users.tests.factories import PASSWORD, UserFactory


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{closed_port()}/0"


def dead_cache_setting(url: str) -> dict[str, object]:
    """The production cache backend, pointed at a Redis that is not there."""
    return {
        "BACKEND": "careboard.core.cache.SignInResilientRedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 1},
    }


@pytest.fixture
def dead_cache(dead_redis_url: str) -> SignInResilientRedisCache:
    return SignInResilientRedisCache(dead_redis_url, {"OPTIONS": {"socket_connect_timeout": 1}})


@pytest.mark.parametrize(
    "key",
    ["allauth:rl:account:login_failed:5/900.0/key:abc", "allauth.mfa.totp.used?user=1&code=1"],
)
def test_sign_in_keys_read_as_an_empty_cache_while_redis_is_down(dead_cache, key):
    assert dead_cache.get(key, "default") == "default"
    assert dead_cache.add(key, "y", timeout=30) is True
    dead_cache.set(key, ["hit"], timeout=30)
    assert dead_cache.delete(key) is False


@pytest.mark.parametrize("key", ["health-check", "export-job:1", "throttle_user_1"])
def test_other_keys_still_raise_while_redis_is_down(dead_cache, key):
    with pytest.raises(RedisConnectionError):
        dead_cache.get(key)
    with pytest.raises(RedisConnectionError):
        dead_cache.set(key, "1")
    with pytest.raises(RedisConnectionError):
        dead_cache.add(key, "1")


@pytest.mark.django_db
def test_a_member_signs_in_while_redis_is_down(dead_redis_url):
    user = UserFactory.create(email="nurse@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with override_settings(CACHES={"default": dead_cache_setting(dead_redis_url)}):
        client = Client()
        response = client.post(
            "/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=False
        )

        assert response.status_code == 302
        assert auth.get_user(client).pk == user.pk


@pytest.mark.django_db
def test_a_wrong_password_is_still_refused_while_redis_is_down(dead_redis_url):
    user = UserFactory.create(email="nurse@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with override_settings(CACHES={"default": dead_cache_setting(dead_redis_url)}):
        client = Client()
        response = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})

        assert response.status_code == 200
        assert not auth.get_user(client).is_authenticated

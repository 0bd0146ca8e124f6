"""Sign-in at /accounts/login/ and its lock-out (ACCOUNT_RATE_LIMITS["login_failed"]).

allauth counts failed attempts per e-mail address ("5/15m/key") and per IP ("20/m/ip") in the
cache, stamping each with ``time.time()`` read in ``allauth.core.internal.ratelimit``. A locked
e-mail address is refused as a form error (200), not a 429; only the view-wide "login" limit
("30/m/ip") answers 429. The passage of time is simulated by a clock that replaces that
module's ``time`` (hits older than the window are then dropped, as in production), so the
counters themselves are never cleared by hand.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.contrib import auth
from django.test import Client

from careboard.users.models import User
from careboard.users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
WRONG_PASSWORD = "not the password"
MISMATCH = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts. Try again later."
WINDOW = 15 * 60


class FakeClock:
    """Wall-clock time for allauth's rate limiter only: ticks a millisecond per reading and
    jumps when the test says so.

    It must tick: allauth rolls back a successful attempt by removing the hit with its exact
    timestamp, so a frozen clock would also remove earlier failures stamped the same.
    """

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        self.now += 0.001
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    # The module's cache lock also uses time.monotonic/time.sleep: keep those real.
    monkeypatch.setattr(
        allauth_ratelimit,
        "time",
        SimpleNamespace(time=fake.time, monotonic=time.monotonic, sleep=time.sleep),
    )
    return fake


def make_user(email: str) -> User:
    user = UserFactory.create(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def alice() -> User:
    return make_user("alice@example.test")


@pytest.fixture
def bob() -> User:
    return make_user("bob@example.test")


def post_login(client: Client, email: str, password: str, **extra: Any):
    return client.post(LOGIN_URL, {"login": email, "password": password}, **extra)


def form_errors(response) -> list[str]:
    """The form's errors on a re-rendered login page (a refused attempt is not a redirect)."""
    assert response.status_code == 200
    errors: list[str] = response.context["form"].non_field_errors()
    return errors


def signed_in_user(client: Client):
    return auth.get_user(client)


def fail_times(client: Client, email: str, times: int, **extra: str) -> None:
    for _ in range(times):
        response = post_login(client, email, WRONG_PASSWORD, **extra)
        assert response.status_code == 200
        assert form_errors(response) == [MISMATCH]


def test_right_password_logs_in_and_redirects_home(client: Client, alice: User) -> None:
    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client) == alice


def test_wrong_password_shows_error_and_does_not_log_in(client: Client, alice: User) -> None:
    response = post_login(client, alice.email, WRONG_PASSWORD)

    assert response.status_code == 200
    assert form_errors(response) == [MISMATCH]
    assert not signed_in_user(client).is_authenticated


def test_unknown_email_shows_the_same_error_as_a_wrong_password(client: Client) -> None:
    response = post_login(client, "nobody@example.test", WRONG_PASSWORD)

    assert response.status_code == 200
    assert form_errors(response) == [MISMATCH]


def test_five_failures_still_allow_the_right_password(
    client: Client, alice: User, clock: FakeClock
) -> None:
    fail_times(client, alice.email, 4)

    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user(client) == alice


def test_sixth_attempt_is_refused_even_with_the_right_password(
    client: Client, alice: User, clock: FakeClock
) -> None:
    fail_times(client, alice.email, 5)

    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 200
    assert form_errors(response) == [LOCKED]
    assert not signed_in_user(client).is_authenticated


def test_lockout_ignores_the_case_of_the_email(
    client: Client, alice: User, clock: FakeClock
) -> None:
    fail_times(client, alice.email, 5)

    response = post_login(client, "Alice@Example.TEST", PASSWORD)

    assert form_errors(response) == [LOCKED]
    assert not signed_in_user(client).is_authenticated


def test_lockout_holds_for_the_email_from_another_ip(alice: User, clock: FakeClock) -> None:
    fail_times(Client(), alice.email, 5, REMOTE_ADDR="198.51.100.7")
    elsewhere = Client()

    response = post_login(elsewhere, alice.email, PASSWORD, REMOTE_ADDR="203.0.113.9")

    assert form_errors(response) == [LOCKED]
    assert not signed_in_user(elsewhere).is_authenticated


def test_another_email_is_not_locked(
    client: Client, alice: User, bob: User, clock: FakeClock
) -> None:
    fail_times(client, alice.email, 5)

    response = post_login(client, bob.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user(client) == bob


def test_lockout_still_holds_just_before_the_window_passes(
    client: Client, alice: User, clock: FakeClock
) -> None:
    fail_times(client, alice.email, 5)
    clock.advance(WINDOW - 1)

    response = post_login(client, alice.email, PASSWORD)

    assert form_errors(response) == [LOCKED]
    assert not signed_in_user(client).is_authenticated


def test_right_password_works_again_once_the_window_passed(
    client: Client, alice: User, clock: FakeClock
) -> None:
    fail_times(client, alice.email, 5)
    clock.advance(WINDOW)

    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user(client) == alice


def test_window_slides_from_each_failure(client: Client, alice: User, clock: FakeClock) -> None:
    fail_times(client, alice.email, 1)
    clock.advance(10 * 60)
    fail_times(client, alice.email, 4)
    # The first failure has left the window; the four later ones have not.
    clock.advance(5 * 60)

    fail_times(client, alice.email, 1)
    response = post_login(client, alice.email, PASSWORD)

    assert form_errors(response) == [LOCKED]
    assert not signed_in_user(client).is_authenticated


def test_successful_login_neither_counts_nor_resets_failures(
    client: Client, alice: User, clock: FakeClock
) -> None:
    fail_times(client, alice.email, 4)
    assert post_login(client, alice.email, PASSWORD).status_code == 302
    client.logout()

    # Had the success counted, this fifth failure would already be refused as locked.
    fail_times(client, alice.email, 1)
    # Had the success reset the counter, this would log in.
    response = post_login(client, alice.email, PASSWORD)

    assert form_errors(response) == [LOCKED]
    assert not signed_in_user(client).is_authenticated


def test_thirty_first_post_in_a_minute_from_one_ip_answers_429(
    client: Client, alice: User, clock: FakeClock
) -> None:
    for _ in range(30):
        # Incomplete forms: counted by the "login" limit, never reach authentication.
        assert client.post(LOGIN_URL, {"login": alice.email}).status_code == 200

    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == "text/html"
    assert b"<h1>429 Too Many Requests</h1>" in response.content
    assert not signed_in_user(client).is_authenticated


def test_ip_limit_passes_after_a_minute(client: Client, alice: User, clock: FakeClock) -> None:
    for _ in range(30):
        client.post(LOGIN_URL, {"login": alice.email})
    clock.advance(60)

    response = post_login(client, alice.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user(client) == alice

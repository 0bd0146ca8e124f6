"""Two-factor authentication with allauth.mfa: TOTP enrolment, recovery codes, 2FA sign-in.

Everything goes through the real pages, as a browser would. Codes are computed with allauth's
own HOTP helpers from the secret the activation form offers. The TOTP clock is allauth's
``time.time()`` in ``allauth.mfa.totp.internal.auth``, replaced by a fixed clock so that a code
never straddles a 30-second period boundary mid-test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from allauth.mfa.utils import decrypt
from django.contrib import auth
from django.test import Client
from rest_framework.test import APIClient

from careboard.users.models import User
from careboard.users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
REAUTHENTICATE_URL = "/accounts/reauthenticate/"
ACTIVATE_URL = "/accounts/2fa/totp/activate/"
AUTHENTICATE_URL = "/accounts/2fa/authenticate/"
RECOVERY_CODES_URL = "/accounts/2fa/recovery-codes/"
GENERATE_CODES_URL = "/accounts/2fa/recovery-codes/generate/"
REAUTHENTICATE_FOR_ACTIVATION = f"{REAUTHENTICATE_URL}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
INCORRECT_CODE = "Incorrect code."
PERIOD = 30


class TotpClock:
    """allauth's TOTP clock, fixed in the middle of a 30-second period until moved."""

    def __init__(self) -> None:
        self.now = (time.time() // PERIOD) * PERIOD + PERIOD / 2

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def totp_clock(monkeypatch: pytest.MonkeyPatch) -> TotpClock:
    clock = TotpClock()
    monkeypatch.setattr(totp_auth, "time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def code_now(totp_clock: TotpClock) -> Callable[[str], str]:
    def make(secret: str) -> str:
        counter = int(totp_clock.now) // PERIOD
        code: str = totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))
        return code

    return make


@pytest.fixture
def user() -> User:
    user = UserFactory.create(email="mira@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def sign_in_with_password(client: Client, user: User):
    return client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})


def reauthenticate(client: Client, next_url: str) -> None:
    response = client.post(f"{REAUTHENTICATE_URL}?next={next_url}", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == next_url


def open_activation_form(client: Client, user: User) -> str:
    """Sign in, confirm the password as allauth asks, and return the offered TOTP secret."""
    assert sign_in_with_password(client, user).status_code == 302
    response = client.get(ACTIVATE_URL)
    # Adding an authenticator needs a fresh password confirmation, not just a session.
    assert response.status_code == 302
    assert response["Location"] == REAUTHENTICATE_FOR_ACTIVATION
    reauthenticate(client, ACTIVATE_URL)
    response = client.get(ACTIVATE_URL)
    assert response.status_code == 200
    secret: str = response.context["form"].secret
    assert client.session[totp_auth.SECRET_SESSION_KEY] == secret
    return secret


@dataclass
class Enrolled:
    user: User
    secret: str
    recovery_codes: list[str]


@pytest.fixture
def enrolled(user: User, code_now: Callable[[str], str]) -> Enrolled:
    """``user`` with TOTP and recovery codes set up through the pages, then signed out."""
    client = Client()
    secret = open_activation_form(client, user)
    response = client.post(ACTIVATE_URL, {"code": code_now(secret)})
    assert response["Location"] == RECOVERY_CODES_URL
    codes = client.get(RECOVERY_CODES_URL).context["unused_codes"]
    client.logout()
    return Enrolled(user=user, secret=secret, recovery_codes=list(codes))


def other_code(code: str) -> str:
    """A well-formed code that is certainly not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def authenticator_types(user: User) -> set[str]:
    return set(Authenticator.objects.filter(user=user).values_list("type", flat=True))


def me(user: User) -> dict[str, Any]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# Enrolment ------------------------------------------------------------------------------------


def test_activation_needs_a_password_confirmation(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.get(ACTIVATE_URL)

    assert response.status_code == 302
    assert response["Location"] == REAUTHENTICATE_FOR_ACTIVATION


def test_anonymous_cannot_open_activation(client: Client) -> None:
    response = client.get(ACTIVATE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"


def test_valid_code_activates_totp_and_recovery_codes(
    client: Client, user: User, code_now: Callable[[str], str]
) -> None:
    secret = open_activation_form(client, user)

    response = client.post(ACTIVATE_URL, {"code": code_now(secret)})

    assert response.status_code == 302
    assert response["Location"] == RECOVERY_CODES_URL
    assert authenticator_types(user) == {
        Authenticator.Type.TOTP,
        Authenticator.Type.RECOVERY_CODES,
    }
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    # Stored encrypted (careboard.users.mfa), never in the clear; the session forgets the
    # secret once it is enrolled.
    assert totp.data["secret"] != secret
    assert secret not in str(totp.data)
    assert decrypt(totp.data["secret"]) == secret
    assert totp_auth.SECRET_SESSION_KEY not in client.session


def test_recovery_codes_are_shown_after_activation(
    client: Client, user: User, code_now: Callable[[str], str]
) -> None:
    secret = open_activation_form(client, user)
    client.post(ACTIVATE_URL, {"code": code_now(secret)})

    response = client.get(RECOVERY_CODES_URL)

    assert response.status_code == 200
    codes = response.context["unused_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(code) == 8 and code.isdigit() for code in codes)
    rc = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert rc.wrap().get_unused_codes() == codes


def test_wrong_code_does_not_activate(
    client: Client, user: User, code_now: Callable[[str], str]
) -> None:
    secret = open_activation_form(client, user)
    response = client.post(ACTIVATE_URL, {"code": other_code(code_now(secret))})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [INCORRECT_CODE]}
    assert authenticator_types(user) == set()


def test_unverified_email_cannot_activate(
    client: Client, user: User, code_now: Callable[[str], str]
) -> None:
    # Else someone who signed up with another person's address could lock its owner out.
    EmailAddress.objects.filter(user=user).update(verified=False)
    sign_in_with_password(client, user)

    response = client.get(ACTIVATE_URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    assert authenticator_types(user) == set()


def test_me_shows_mfa_enabled_after_enrolment(
    client: Client, user: User, code_now: Callable[[str], str]
) -> None:
    assert me(user)["mfa_enabled"] is False
    secret = open_activation_form(client, user)

    client.post(ACTIVATE_URL, {"code": code_now(secret)})

    assert me(user)["mfa_enabled"] is True


def test_regenerated_recovery_codes_replace_the_old_ones(
    client: Client, enrolled: Enrolled, code_now: Callable[[str], str]
) -> None:
    sign_in_with_password(client, enrolled.user)
    client.post(AUTHENTICATE_URL, {"code": code_now(enrolled.secret)})
    reauthenticate(client, GENERATE_CODES_URL)

    response = client.post(GENERATE_CODES_URL, {})

    assert response.status_code == 302
    assert response["Location"] == RECOVERY_CODES_URL
    new_codes = client.get(RECOVERY_CODES_URL).context["unused_codes"]
    assert len(new_codes) == 10
    assert set(new_codes).isdisjoint(enrolled.recovery_codes)
    client.logout()
    sign_in_with_password(client, enrolled.user)
    refused = client.post(AUTHENTICATE_URL, {"code": enrolled.recovery_codes[0]})
    assert refused.context["form"].errors == {"code": [INCORRECT_CODE]}


# Signing in with a second factor --------------------------------------------------------------


def test_password_alone_stops_at_the_code_step(client: Client, enrolled: Enrolled) -> None:
    response = sign_in_with_password(client, enrolled.user)

    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE_URL
    assert not auth.get_user(client).is_authenticated
    page = client.get(AUTHENTICATE_URL)
    assert page.status_code == 200
    assert page.templates[0].name == "mfa/authenticate.html"


def test_password_alone_does_not_open_the_api(client: Client, enrolled: Enrolled) -> None:
    sign_in_with_password(client, enrolled.user)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_code_step_without_password_step_goes_to_login(client: Client) -> None:
    response = client.get(AUTHENTICATE_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL


def test_wrong_code_is_refused(
    client: Client, enrolled: Enrolled, code_now: Callable[[str], str]
) -> None:
    sign_in_with_password(client, enrolled.user)
    response = client.post(AUTHENTICATE_URL, {"code": other_code(code_now(enrolled.secret))})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [INCORRECT_CODE]}
    assert not auth.get_user(client).is_authenticated


def test_right_code_completes_the_sign_in(
    client: Client, enrolled: Enrolled, code_now: Callable[[str], str]
) -> None:
    sign_in_with_password(client, enrolled.user)
    client.post(AUTHENTICATE_URL, {"code": other_code(code_now(enrolled.secret))})

    response = client.post(AUTHENTICATE_URL, {"code": code_now(enrolled.secret)})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert auth.get_user(client) == enrolled.user
    totp = Authenticator.objects.get(user=enrolled.user, type=Authenticator.Type.TOTP)
    assert totp.last_used_at is not None


def test_a_code_cannot_be_used_twice(
    client: Client, enrolled: Enrolled, code_now: Callable[[str], str]
) -> None:
    code = code_now(enrolled.secret)
    sign_in_with_password(client, enrolled.user)
    assert client.post(AUTHENTICATE_URL, {"code": code}).status_code == 302
    client.logout()
    sign_in_with_password(client, enrolled.user)

    response = client.post(AUTHENTICATE_URL, {"code": code})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [INCORRECT_CODE]}
    assert not auth.get_user(client).is_authenticated


def test_code_of_the_previous_period_is_refused(
    client: Client, enrolled: Enrolled, code_now: Callable[[str], str], totp_clock: TotpClock
) -> None:
    old = code_now(enrolled.secret)
    totp_clock.advance(PERIOD)
    assert code_now(enrolled.secret) != old
    sign_in_with_password(client, enrolled.user)

    response = client.post(AUTHENTICATE_URL, {"code": old})

    assert response.context["form"].errors == {"code": [INCORRECT_CODE]}
    assert not auth.get_user(client).is_authenticated


def test_recovery_code_signs_in_once_only(client: Client, enrolled: Enrolled) -> None:
    code = enrolled.recovery_codes[3]
    sign_in_with_password(client, enrolled.user)

    first = client.post(AUTHENTICATE_URL, {"code": code})

    assert first.status_code == 302
    assert first["Location"] == "/"
    assert auth.get_user(client) == enrolled.user
    rc = Authenticator.objects.get(user=enrolled.user, type=Authenticator.Type.RECOVERY_CODES)
    assert code not in rc.wrap().get_unused_codes()
    assert len(rc.wrap().get_unused_codes()) == 9

    client.logout()
    sign_in_with_password(client, enrolled.user)
    second = client.post(AUTHENTICATE_URL, {"code": code})

    assert second.status_code == 200
    assert second.context["form"].errors == {"code": [INCORRECT_CODE]}
    assert not auth.get_user(client).is_authenticated

"""`manage.py create_api_token EMAIL [--days N] [--name LABEL]`."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from careboard.users.models import ApiToken, User
from careboard.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def user() -> User:
    return UserFactory.create(email="ops@example.test")


def test_prints_a_token_that_works(user: User) -> None:
    before = timezone.now()

    out, err = run(user.email, "--days", "3")

    secret = out.strip()
    assert out == f"{secret}\n"
    assert secret.startswith("cbt_")
    token = ApiToken.objects.get(user=user)
    assert token.name == "command line"
    assert before + timedelta(days=3) <= token.expires_at <= timezone.now() + timedelta(days=3)
    # The secret goes to stdout alone (for piping); the note for the operator to stderr.
    assert (
        err == f"Token {token.prefix}… for ops@example.test, expires {token.expires_at:%Y-%m-%d}.\n"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == "ops@example.test"


def test_email_is_matched_case_insensitively(user: User) -> None:
    run("OPS@Example.Test", "--name", "backup job")

    token = ApiToken.objects.get(user=user)
    assert token.name == "backup job"
    assert token.expires_at - token.created_at == pytest.approx(
        timedelta(days=90), abs=timedelta(seconds=5)
    )


def test_unknown_email_is_an_error() -> None:
    with pytest.raises(CommandError, match=r"^No active user with the e-mail address x@y\.test\.$"):
        run("x@y.test")

    assert ApiToken.objects.count() == 0


def test_inactive_user_is_an_error(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(CommandError, match="No active user"):
        run(user.email)

    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("days", ["0", "-1", "366"])
def test_days_out_of_range_is_an_error(user: User, days: str) -> None:
    with pytest.raises(CommandError, match=r"^Must be between 1 and 365 days\.$"):
        run(user.email, "--days", days)

    assert ApiToken.objects.count() == 0

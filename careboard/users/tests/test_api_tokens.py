"""Personal API tokens: `Authorization: Bearer <token>` and the /api/v1/tokens/ endpoints."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory
from careboard.users.models import ApiToken, User
from careboard.users.services import api_token_create
from careboard.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me/"
TOKENS_URL = "/api/v1/tokens/"
PROBLEM = "application/problem+json"
WWW_AUTHENTICATE = 'Bearer realm="api"'
BAD_HEADER = "Invalid Authorization header: expected 'Bearer <token>'."
NOT_PROVIDED = "Authentication credentials were not provided."
TOKEN_FIELDS = {
    "id",
    "name",
    "prefix",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
    "is_active",
}


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


def assert_unauthorized(response, detail: str) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert response.json() == {
        "type": "urn:careboard:problem:not-authenticated",
        "title": "Unauthorized",
        "status": 401,
        "detail": detail,
        "errors": {},
    }


@pytest.fixture
def token_and_secret(nurse: User) -> tuple[ApiToken, str]:
    return api_token_create(user=nurse, name="laptop")


# Authentication -------------------------------------------------------------------------------


def test_valid_token_shows_the_caller(
    nurse: User, organization, other_organization, token_and_secret: tuple[ApiToken, str]
) -> None:
    MembershipFactory.create(user=nurse, organization=other_organization, role=Role.VIEWER)
    _token, secret = token_and_secret

    response = bearer(secret).get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(nurse.public_id),
        "email": nurse.email,
        "name": nurse.name,
        "language": "",
        # Ordered by organisation name: "Elsewhere Clinic" before "St. Example Hospital".
        "memberships": [
            {
                "organization_id": str(other_organization.id),
                "organization_name": "Elsewhere Clinic",
                "time_zone": "Europe/Berlin",
                "role": "viewer",
            },
            {
                "organization_id": str(organization.id),
                "organization_name": "St. Example Hospital",
                "time_zone": "Europe/Berlin",
                "role": "nurse",
            },
        ],
        "mfa_enabled": False,
    }


def test_keyword_is_case_insensitive(token_and_secret: tuple[ApiToken, str]) -> None:
    _token, secret = token_and_secret

    response = with_header(f"bearer {secret}").get(ME_URL)

    assert response.status_code == 200


def test_expired_token_is_refused(token_and_secret: tuple[ApiToken, str]) -> None:
    token, secret = token_and_secret
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = bearer(secret).get(ME_URL)

    assert_unauthorized(response, "Token expired.")


def test_revoked_token_is_refused(token_and_secret: tuple[ApiToken, str]) -> None:
    token, secret = token_and_secret
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    response = bearer(secret).get(ME_URL)

    assert_unauthorized(response, "Token revoked.")


def test_token_of_a_deactivated_user_is_refused(
    nurse: User, token_and_secret: tuple[ApiToken, str]
) -> None:
    _token, secret = token_and_secret
    User.objects.filter(pk=nurse.pk).update(is_active=False)

    response = bearer(secret).get(ME_URL)

    assert_unauthorized(response, "Invalid token.")


def test_garbage_token_is_refused() -> None:
    response = bearer("cbt_this-is-not-a-token").get(ME_URL)

    assert_unauthorized(response, "Invalid token.")


def test_token_that_is_not_utf8_is_refused() -> None:
    # Header bytes are read as ISO-8859-1; a lone 0xE9 byte is not valid UTF-8.
    response = with_header("Bearer caf\u00e9").get(ME_URL)

    assert_unauthorized(response, "Invalid token.")


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer abc def"])
def test_malformed_header_is_refused(header: str) -> None:
    response = with_header(header).get(ME_URL)

    assert_unauthorized(response, BAD_HEADER)


def test_missing_header_is_refused() -> None:
    response = APIClient().get(ME_URL)

    assert_unauthorized(response, NOT_PROVIDED)


def test_other_scheme_is_ignored_and_refused(token_and_secret: tuple[ApiToken, str]) -> None:
    _token, secret = token_and_secret

    response = with_header(f"Token {secret}").get(ME_URL)

    assert_unauthorized(response, NOT_PROVIDED)


def test_secret_is_stored_only_as_its_digest(
    nurse: User, token_and_secret: tuple[ApiToken, str]
) -> None:
    token, secret = token_and_secret

    row = ApiToken.objects.filter(pk=token.pk).values().get()

    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert row["prefix"] == secret[:10]
    assert all(secret not in str(value) for value in row.values())
    assert not ApiToken.objects.filter(key_hash=secret).exists()


def test_use_records_last_used_at(token_and_secret: tuple[ApiToken, str]) -> None:
    token, secret = token_and_secret
    assert token.last_used_at is None
    before = timezone.now()

    bearer(secret).get(ME_URL)

    last_used_at = ApiToken.objects.get(pk=token.pk).last_used_at
    assert last_used_at is not None
    assert before <= last_used_at <= timezone.now()


def test_last_used_at_is_written_at_most_once_a_minute(
    token_and_secret: tuple[ApiToken, str],
) -> None:
    token, secret = token_and_secret
    client = bearer(secret)
    client.get(ME_URL)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    client.get(ME_URL)
    token.refresh_from_db()
    assert token.last_used_at == first_use

    # Two minutes pass since the recorded use.
    earlier = first_use - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    client.get(ME_URL)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > first_use


# POST /api/v1/tokens/ -------------------------------------------------------------------------


def test_create_returns_the_secret_once(
    nurse: User, client_for: Callable[[User | None], APIClient]
) -> None:
    client = client_for(nurse)
    before = timezone.now()

    response = client.post(TOKENS_URL, {"name": "  CI job ", "expires_in_days": 30})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == TOKEN_FIELDS | {"token"}
    secret = body["token"]
    assert secret.startswith("cbt_")
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == nurse
    assert token.name == "CI job"
    assert body["name"] == "CI job"
    assert body["prefix"] == secret[:10]
    assert body["is_active"] is True
    assert body["revoked_at"] is None
    assert body["last_used_at"] is None
    expires_at = parse_datetime(body["expires_at"])
    assert expires_at is not None
    assert before + timedelta(days=30) <= expires_at <= timezone.now() + timedelta(days=30)
    assert bearer(secret).get(ME_URL).json()["email"] == nurse.email
    # Nowhere to read it again.
    listed = client.get(TOKENS_URL).json()["results"]
    assert all("token" not in item for item in listed)
    assert secret not in client.get(f"{TOKENS_URL}{token.pk}/").content.decode()


def test_create_defaults_to_ninety_days(
    nurse: User, client_for: Callable[[User | None], APIClient]
) -> None:
    response = client_for(nurse).post(TOKENS_URL, {"name": "script"})

    assert response.status_code == 201
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.expires_at - token.created_at == pytest.approx(
        timedelta(days=90), abs=timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (-3, "Ensure this value is greater than or equal to 1."),
        (366, "Ensure this value is less than or equal to 365."),
        ("soon", "A valid integer is required."),
    ],
)
def test_create_refuses_expiry_out_of_range(
    nurse: User, client_for: Callable[[User | None], APIClient], days: object, message: str
) -> None:
    client = client_for(nurse)
    count = ApiToken.objects.count()

    response = client.post(TOKENS_URL, {"name": "x", "expires_in_days": days})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:careboard:problem:validation-error"
    assert body["errors"] == {"expires_in_days": [message]}
    assert ApiToken.objects.count() == count


def test_create_requires_a_name(
    nurse: User, client_for: Callable[[User | None], APIClient]
) -> None:
    client = client_for(nurse)
    count = ApiToken.objects.count()

    response = client.post(TOKENS_URL, {"expires_in_days": 3})

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["This field is required."]}
    assert ApiToken.objects.count() == count


def test_anonymous_cannot_create() -> None:
    response = APIClient().post(TOKENS_URL, {"name": "x"})

    assert_unauthorized(response, NOT_PROVIDED)
    assert ApiToken.objects.count() == 0


# GET /api/v1/tokens/ --------------------------------------------------------------------------


def test_list_shows_own_tokens_without_secrets(
    nurse: User, colleague: User, client_for: Callable[[User | None], APIClient]
) -> None:
    client = client_for(nurse)  # creates the token named "test"
    api_token_create(user=nurse, name="laptop")
    api_token_create(user=colleague, name="colleague's")

    response = client.get(TOKENS_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {item["name"] for item in body["results"]} == {"test", "laptop"}
    assert all(set(item) == TOKEN_FIELDS for item in body["results"])


def test_list_newest_first(nurse: User, client_for: Callable[[User | None], APIClient]) -> None:
    client = client_for(nurse)
    api_token_create(user=nurse, name="second")
    api_token_create(user=nurse, name="third")

    names = [item["name"] for item in client.get(TOKENS_URL).json()["results"]]

    assert names == ["third", "second", "test"]


def test_anonymous_cannot_list(token_and_secret: tuple[ApiToken, str]) -> None:
    assert_unauthorized(APIClient().get(TOKENS_URL), NOT_PROVIDED)


def test_cannot_see_another_users_token(
    nurse: User, outsider: User, client_for: Callable[[User | None], APIClient]
) -> None:
    theirs, _secret = api_token_create(user=outsider, name="theirs")

    response = client_for(nurse).get(f"{TOKENS_URL}{theirs.pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


# DELETE /api/v1/tokens/{id}/ ------------------------------------------------------------------


def test_delete_revokes_and_keeps_the_row(
    nurse: User, client_for: Callable[[User | None], APIClient]
) -> None:
    token, secret = api_token_create(user=nurse, name="old laptop")
    assert bearer(secret).get(ME_URL).status_code == 200

    response = client_for(nurse).delete(f"{TOKENS_URL}{token.pk}/")

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.is_active is False
    assert_unauthorized(bearer(secret).get(ME_URL), "Token revoked.")


def test_deleting_twice_keeps_the_first_revocation(
    nurse: User, client_for: Callable[[User | None], APIClient]
) -> None:
    token, _secret = api_token_create(user=nurse, name="old laptop")
    client = client_for(nurse)
    client.delete(f"{TOKENS_URL}{token.pk}/")
    token.refresh_from_db()
    first = token.revoked_at

    response = client.delete(f"{TOKENS_URL}{token.pk}/")

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at == first


def test_a_token_can_revoke_itself(token_and_secret: tuple[ApiToken, str]) -> None:
    token, secret = token_and_secret
    client = bearer(secret)

    assert client.delete(f"{TOKENS_URL}{token.pk}/").status_code == 204

    assert_unauthorized(client.get(ME_URL), "Token revoked.")


def test_cannot_revoke_another_users_token(
    nurse: User, outsider: User, client_for: Callable[[User | None], APIClient]
) -> None:
    theirs, their_secret = api_token_create(user=outsider, name="theirs")

    response = client_for(nurse).delete(f"{TOKENS_URL}{theirs.pk}/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert bearer(their_secret).get(ME_URL).status_code == 200


def test_anonymous_cannot_revoke(token_and_secret: tuple[ApiToken, str]) -> None:
    token, secret = token_and_secret

    response = APIClient().delete(f"{TOKENS_URL}{token.pk}/")

    assert_unauthorized(response, NOT_PROVIDED)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_unknown_token_id_is_404(
    nurse: User, client_for: Callable[[User | None], APIClient]
) -> None:
    response = client_for(nurse).delete(f"{TOKENS_URL}00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


def test_user_without_membership_can_manage_tokens() -> None:
    # Tokens belong to the person, not to an organisation.
    loner = UserFactory.create()
    token, secret = api_token_create(user=loner, name="x")

    response = bearer(secret).get(TOKENS_URL)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(token.pk)]

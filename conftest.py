"""Project-wide pytest fixtures: personas after DESIGN.md's users, and API clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    WardFactory,
)
from careboard.users.models import User
from careboard.users.services import api_token_create


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate-limit counters live in the cache; one test's failures must not lock out the next.
    cache.clear()


@pytest.fixture
def organization():
    return OrganizationFactory.create(name="St. Example Hospital")


@pytest.fixture
def other_organization():
    return OrganizationFactory.create(name="Elsewhere Clinic")


@pytest.fixture
def ward(organization):
    return WardFactory.create(organization=organization, name="Ward A")


@pytest.fixture
def other_ward(other_organization):
    return WardFactory.create(organization=other_organization, name="Ward Z")


@pytest.fixture
def make_member(organization) -> Callable[..., User]:
    def make(role: str, org=None, **user_kwargs) -> User:
        user_fields = {f"user__{key}": value for key, value in user_kwargs.items()}
        return MembershipFactory.create(
            organization=org or organization, role=role, **user_fields
        ).user

    return make


@pytest.fixture
def admin(make_member: Callable[..., User]) -> User:
    return make_member(Role.ADMIN)


@pytest.fixture
def physician(make_member: Callable[..., User]) -> User:
    return make_member(Role.PHYSICIAN)


@pytest.fixture
def nurse(make_member: Callable[..., User]) -> User:
    return make_member(Role.NURSE)


@pytest.fixture
def therapist(make_member: Callable[..., User]) -> User:
    return make_member(Role.THERAPIST)


@pytest.fixture
def viewer(make_member: Callable[..., User]) -> User:
    return make_member(Role.VIEWER)


@pytest.fixture
def colleague(make_member: Callable[..., User]) -> User:
    """Another nurse in the same organisation."""
    return make_member(Role.NURSE)


@pytest.fixture
def outsider(make_member: Callable[..., User], other_organization) -> User:
    """An admin of another organisation: may do everything there, nothing here."""
    return make_member(Role.ADMIN, org=other_organization)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    """An API client authenticated with a fresh bearer token for ``user`` (None: anonymous)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            _token, secret = api_token_create(user=user, name="test")
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make

"""/api/v1/memberships/: admins list members, change roles and remove members of their own
organisations; every organisation keeps at least one admin; role changes are in the history."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from careboard.organizations.models import Membership, Organization
from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory
from careboard.users.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/memberships/"
PROBLEM = "application/problem+json"
LAST_ADMIN = "An organisation needs at least one admin; appoint another first."

ClientFor = Callable[[User | None], APIClient]


def membership_of(user: User, organization: Organization) -> Membership:
    return Membership.objects.get(user=user, organization=organization)


def detail_url(membership: Membership) -> str:
    return f"{URL}{membership.pk}/"


def history_count(membership: Membership) -> int:
    rows: int = Membership.history.filter(id=membership.pk).count()
    return rows


# GET ------------------------------------------------------------------------------------------


def test_admin_lists_the_members_of_own_organization_only(
    admin: User,
    nurse: User,
    physician: User,
    outsider: User,
    organization: Organization,
    client_for: ClientFor,
) -> None:
    response = client_for(admin).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert {(m["user"]["email"], m["role"]) for m in body["results"]} == {
        (admin.email, "admin"),
        (nurse.email, "nurse"),
        (physician.email, "physician"),
    }
    assert {m["organization"] for m in body["results"]} == {str(organization.pk)}
    assert outsider.email not in response.content.decode()


def test_list_item_shape(admin: User, organization: Organization, client_for: ClientFor) -> None:
    membership = membership_of(admin, organization)

    item = client_for(admin).get(URL).json()["results"][0]

    assert set(item) == {"id", "user", "organization", "role", "created_at", "updated_at"}
    assert item["id"] == str(membership.pk)
    assert item["user"] == {"id": str(admin.public_id), "email": admin.email, "name": admin.name}


def test_admin_here_and_nurse_elsewhere_sees_only_here(
    admin: User,
    outsider: User,
    organization: Organization,
    other_organization: Organization,
    client_for: ClientFor,
) -> None:
    MembershipFactory.create(user=admin, organization=other_organization, role=Role.NURSE)

    response = client_for(admin).get(URL)

    assert {m["organization"] for m in response.json()["results"]} == {str(organization.pk)}


def test_list_query_count_does_not_grow_with_members(
    admin: User, make_member: Callable[..., User], client_for: ClientFor
) -> None:
    client = client_for(admin)
    make_member(Role.NURSE)
    client.get(URL)  # warm up: token last-used write, caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(8):
        make_member(Role.NURSE)

    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert response.json()["count"] == 10
    assert len(many) == len(few)


def test_admin_retrieves_a_member(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(nurse, organization)

    response = client_for(admin).get(detail_url(membership))

    assert response.status_code == 200
    assert response.json()["role"] == "nurse"
    assert response.json()["user"]["email"] == nurse.email


def test_member_without_the_role_lists_nothing(
    admin: User, nurse: User, colleague: User, client_for: ClientFor
) -> None:
    response = client_for(nurse).get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


@pytest.mark.parametrize("persona", ["nurse", "physician", "therapist", "viewer"])
def test_member_without_the_role_cannot_retrieve(
    admin: User,
    organization: Organization,
    client_for: ClientFor,
    persona: str,
    request: pytest.FixtureRequest,
) -> None:
    caller = request.getfixturevalue(persona)

    response = client_for(caller).get(detail_url(membership_of(admin, organization)))

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_outsider_gets_404(
    admin: User, outsider: User, organization: Organization, client_for: ClientFor
) -> None:
    response = client_for(outsider).get(detail_url(membership_of(admin, organization)))

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_anonymous_gets_401(admin: User, organization: Organization) -> None:
    client = APIClient()

    assert client.get(URL).status_code == 401
    assert client.get(detail_url(membership_of(admin, organization))).status_code == 401


# PATCH ----------------------------------------------------------------------------------------


def test_admin_changes_a_role_and_history_records_who(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(nurse, organization)
    before = history_count(membership)

    response = client_for(admin).patch(detail_url(membership), {"role": "physician"})

    assert response.status_code == 200
    assert response.json()["role"] == "physician"
    membership.refresh_from_db()
    assert membership.role == Role.PHYSICIAN
    assert history_count(membership) == before + 1
    latest = Membership.history.filter(id=membership.pk).latest("history_date")
    assert (latest.role, latest.history_type, latest.history_user) == ("physician", "~", admin)


def test_promoted_member_gains_admin_rights_at_once(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    nurse_client = client_for(nurse)
    assert nurse_client.get(URL).json()["count"] == 0

    client_for(admin).patch(detail_url(membership_of(nurse, organization)), {"role": "admin"})

    assert nurse_client.get(URL).json()["count"] == 2


def test_read_only_fields_are_ignored(
    admin: User,
    nurse: User,
    organization: Organization,
    other_organization: Organization,
    client_for: ClientFor,
) -> None:
    membership = membership_of(nurse, organization)

    response = client_for(admin).patch(
        detail_url(membership),
        {"role": "viewer", "organization": str(other_organization.pk), "user": str(admin.pk)},
    )

    assert response.status_code == 200
    membership.refresh_from_db()
    assert (membership.organization, membership.user, membership.role) == (
        organization,
        nurse,
        Role.VIEWER,
    )


def test_unknown_role_is_refused(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(nurse, organization)
    before = history_count(membership)

    response = client_for(admin).patch(detail_url(membership), {"role": "surgeon"})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == {"role": ['"surgeon" is not a valid choice.']}
    membership.refresh_from_db()
    assert membership.role == Role.NURSE
    assert history_count(membership) == before


def test_patch_without_a_role_changes_nothing(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(nurse, organization)

    response = client_for(admin).patch(detail_url(membership), {})

    assert response.status_code == 200
    assert response.json()["role"] == "nurse"
    membership.refresh_from_db()
    assert membership.role == Role.NURSE


def test_put_is_not_allowed(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    response = client_for(admin).put(
        detail_url(membership_of(nurse, organization)), {"role": "viewer"}
    )

    assert response.status_code == 405


def test_demoting_the_last_admin_conflicts(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(admin, organization)
    before = history_count(membership)

    response = client_for(admin).patch(detail_url(membership), {"role": "nurse"})

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == LAST_ADMIN
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    assert history_count(membership) == before


def test_keeping_the_last_admin_an_admin_is_allowed(
    admin: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(admin, organization)

    response = client_for(admin).patch(detail_url(membership), {"role": "admin"})

    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_an_admin_may_step_down_when_another_remains(
    admin: User, make_member: Callable[..., User], organization: Organization, client_for: ClientFor
) -> None:
    make_member(Role.ADMIN)
    client = client_for(admin)

    response = client.patch(detail_url(membership_of(admin, organization)), {"role": "nurse"})

    assert response.status_code == 200
    assert membership_of(admin, organization).role == Role.NURSE
    # The former admin no longer sees the member list.
    assert client.get(URL).json()["count"] == 0


def test_last_admin_rule_counts_per_organization(
    admin: User,
    outsider: User,
    organization: Organization,
    other_organization: Organization,
    client_for: ClientFor,
) -> None:
    # An admin elsewhere does not make the admin here replaceable.
    MembershipFactory.create(user=outsider, organization=organization, role=Role.NURSE)
    membership = membership_of(admin, organization)

    response = client_for(admin).patch(detail_url(membership), {"role": "viewer"})

    assert response.status_code == 409
    assert membership_of(admin, organization).role == Role.ADMIN


@pytest.mark.parametrize("persona", ["nurse", "physician", "viewer"])
def test_member_without_the_role_cannot_change_roles(
    admin: User,
    organization: Organization,
    client_for: ClientFor,
    persona: str,
    request: pytest.FixtureRequest,
) -> None:
    caller = request.getfixturevalue(persona)
    own = membership_of(caller, organization)

    response = client_for(caller).patch(detail_url(own), {"role": "admin"})

    assert response.status_code == 404
    own.refresh_from_db()
    assert own.role == persona


def test_outsider_cannot_change_roles(
    admin: User, nurse: User, outsider: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(nurse, organization)
    before = history_count(membership)

    response = client_for(outsider).patch(detail_url(membership), {"role": "admin"})

    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.role == Role.NURSE
    assert history_count(membership) == before


def test_anonymous_cannot_change_roles(nurse: User, organization: Organization) -> None:
    membership = membership_of(nurse, organization)

    response = APIClient().patch(detail_url(membership), {"role": "admin"})

    assert response.status_code == 401
    membership.refresh_from_db()
    assert membership.role == Role.NURSE


# DELETE ---------------------------------------------------------------------------------------


def test_admin_removes_a_member(
    admin: User, nurse: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(nurse, organization)
    nurse_client = client_for(nurse)

    response = client_for(admin).delete(detail_url(membership))

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    latest = Membership.history.filter(id=membership.pk).latest("history_date")
    assert (latest.history_type, latest.history_user) == ("-", admin)
    # The account stays; only the organisation's data is out of reach now.
    assert User.objects.filter(pk=nurse.pk).exists()
    assert nurse_client.get("/api/v1/me/").json()["memberships"] == []


def test_removing_the_last_admin_conflicts(
    admin: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(admin, organization)

    response = client_for(admin).delete(detail_url(membership))

    assert response.status_code == 409
    assert response.json()["detail"] == LAST_ADMIN
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_may_be_removed_when_another_remains(
    admin: User, make_member: Callable[..., User], organization: Organization, client_for: ClientFor
) -> None:
    other_admin = make_member(Role.ADMIN)

    response = client_for(other_admin).delete(detail_url(membership_of(admin, organization)))

    assert response.status_code == 204
    assert not Membership.objects.filter(user=admin, organization=organization).exists()


def test_others_cannot_remove_members(
    admin: User, nurse: User, outsider: User, organization: Organization, client_for: ClientFor
) -> None:
    membership = membership_of(admin, organization)

    assert client_for(nurse).delete(detail_url(membership)).status_code == 404
    assert client_for(outsider).delete(detail_url(membership)).status_code == 404
    assert APIClient().delete(detail_url(membership)).status_code == 401

    assert Membership.objects.filter(pk=membership.pk).exists()

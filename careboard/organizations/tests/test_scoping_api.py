"""Organisations and wards through the API: scoping to the caller and role rules."""

from __future__ import annotations

import pytest

from careboard.organizations.models import Organization, Ward
from careboard.organizations.roles import Role

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.THERAPIST, Role.VIEWER]


def test_ward_list_shows_only_the_callers_organisation(client_for, nurse, ward, other_ward):
    response = client_for(nurse).get("/api/v1/wards/")
    assert response.status_code == 200
    assert [w["id"] for w in response.json()["results"]] == [str(ward.id)]


def test_outsider_gets_404_for_another_organisations_ward(client_for, outsider, ward):
    response = client_for(outsider).get(f"/api/v1/wards/{ward.id}/")
    assert response.status_code == 404


def test_outsider_cannot_rename_another_organisations_ward_and_learns_nothing(
    client_for, outsider, ward
):
    response = client_for(outsider).patch(f"/api/v1/wards/{ward.id}/", {"name": "Mine now"})
    assert response.status_code == 404
    ward.refresh_from_db()
    assert ward.name == "Ward A"


def test_outsider_cannot_create_a_ward_in_another_organisation(client_for, outsider, organization):
    response = client_for(outsider).post(
        "/api/v1/wards/", {"organization": str(organization.id), "name": "Intruder"}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["organization"] == [
        f'Invalid pk "{organization.id}" - object does not exist.'
    ]
    assert not Ward.objects.filter(name="Intruder").exists()


def test_anonymous_caller_gets_401_and_nothing_changes(api_client, ward, organization):
    assert api_client.get("/api/v1/wards/").status_code == 401
    response = api_client.post(
        "/api/v1/wards/", {"organization": str(organization.id), "name": "Anon"}
    )
    assert response.status_code == 401
    assert Ward.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "list_status", "create_status", "update_status"),
    [
        (Role.ADMIN, 200, 201, 200),
        (Role.PHYSICIAN, 200, 403, 403),
        (Role.NURSE, 200, 403, 403),
        (Role.THERAPIST, 200, 403, 403),
        (Role.VIEWER, 200, 403, 403),
    ],
)
def test_ward_endpoints_by_role(
    client_for, make_member, organization, ward, role, list_status, create_status, update_status
):
    client = client_for(make_member(role))
    assert client.get("/api/v1/wards/").status_code == list_status
    created = client.post("/api/v1/wards/", {"organization": str(organization.id), "name": "B"})
    assert created.status_code == create_status
    updated = client.patch(f"/api/v1/wards/{ward.id}/", {"beds": 12})
    assert updated.status_code == update_status
    ward.refresh_from_db()
    assert ward.beds == (12 if update_status == 200 else 20)
    assert Ward.objects.filter(name="B").exists() is (create_status == 201)


def test_ward_name_is_unique_within_an_organisation(client_for, admin, organization, ward):
    response = client_for(admin).post(
        "/api/v1/wards/", {"organization": str(organization.id), "name": "ward a"}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["name"] == ["A ward with this name exists."]


def test_ward_cannot_move_to_another_organisation(
    client_for, admin, make_member, ward, other_organization
):
    make_member(Role.ADMIN, org=other_organization, email="double@example.test")
    response = client_for(admin).patch(
        f"/api/v1/wards/{ward.id}/", {"organization": str(other_organization.id)}
    )
    assert response.status_code == 400
    ward.refresh_from_db()
    assert ward.organization_id != other_organization.id


def test_ward_change_is_kept_in_history_with_who(client_for, admin, ward):
    client_for(admin).patch(f"/api/v1/wards/{ward.id}/", {"name": "Ward A1"})
    latest = ward.history.latest()
    assert latest.name == "Ward A1"
    assert latest.history_user == admin
    assert latest.prev_record.name == "Ward A"


@pytest.mark.parametrize("role", ROLES)
def test_organisation_list_shows_only_own(client_for, make_member, organization, role):
    Organization.objects.create(name="Not mine", slug="not-mine")
    response = client_for(make_member(role)).get("/api/v1/organizations/")
    assert [o["id"] for o in response.json()["results"]] == [str(organization.id)]


@pytest.mark.parametrize(("role", "expected"), [(Role.ADMIN, 200), (Role.NURSE, 403)])
def test_only_admins_edit_their_organisation(client_for, make_member, organization, role, expected):
    response = client_for(make_member(role)).patch(
        f"/api/v1/organizations/{organization.id}/", {"time_zone": "Asia/Bangkok"}
    )
    assert response.status_code == expected
    organization.refresh_from_db()
    assert (organization.time_zone == "Asia/Bangkok") is (expected == 200)


def test_organisation_time_zone_must_be_a_real_zone(client_for, admin, organization):
    response = client_for(admin).patch(
        f"/api/v1/organizations/{organization.id}/", {"time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()["errors"]


def test_outsider_gets_404_for_another_organisation(client_for, outsider, organization):
    client = client_for(outsider)
    assert client.get(f"/api/v1/organizations/{organization.id}/").status_code == 404
    response = client.patch(f"/api/v1/organizations/{organization.id}/", {"name": "Taken"})
    assert response.status_code == 404
    organization.refresh_from_db()
    assert organization.name == "St. Example Hospital"


def test_me_lists_memberships_and_roles(client_for, make_member, organization, other_organization):
    user = make_member(Role.PHYSICIAN)
    make_member(Role.VIEWER, org=other_organization, email="x@example.test")
    from careboard.organizations.models import Membership

    Membership.objects.create(user=user, organization=other_organization, role=Role.VIEWER)
    body = client_for(user).get("/api/v1/me/").json()
    assert body["email"] == user.email
    assert body["mfa_enabled"] is False
    assert body["memberships"] == [
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
            "role": "physician",
        },
    ]


def test_ward_list_query_count_does_not_grow_with_wards(client_for, nurse, organization):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(nurse)
    client.get("/api/v1/wards/")  # first use of the token records last_used_at
    counts = []
    for total in (1, 30):
        while Ward.objects.count() < total:
            Ward.objects.create(organization=organization, name=f"W{Ward.objects.count()}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/wards/")
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_admin_sets_shift_times_and_intervals(client_for, admin, organization):
    response = client_for(admin).patch(
        f"/api/v1/organizations/{organization.id}/",
        {"day_shift_start": "06:00", "evening_shift_start": "14:00", "interval_low": 360},
    )
    assert response.status_code == 200
    organization.refresh_from_db()
    assert (str(organization.day_shift_start), organization.interval_low) == ("06:00:00", 360)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"evening_shift_start": "06:00"}, "evening_shift_start"),
        ({"interval_high": 1}, "interval_high"),
        ({"interval_score_zero": 99999}, "interval_score_zero"),
    ],
)
def test_impossible_shift_times_and_intervals_are_refused(
    client_for, admin, organization, body, field
):
    response = client_for(admin).patch(f"/api/v1/organizations/{organization.id}/", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    organization.refresh_from_db()
    assert (organization.interval_high, str(organization.evening_shift_start)) == (15, "15:00:00")

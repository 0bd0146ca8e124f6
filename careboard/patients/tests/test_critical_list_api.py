"""/api/v1/board/critical/: the patients needing attention across every ward the caller
sees."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory, WardFactory
from careboard.patients import services
from careboard.patients.tests.factories import (
    VITALS_HIGH_8,
    VITALS_MEDIUM_6,
    VITALS_SCORE_0,
    PatientFactory,
    admit,
    record,
    vitals,
)
from careboard.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/board/critical/"


def names(response) -> list[str]:
    assert response.status_code == 200
    return [row["patient"]["family_name"] for row in response.json()["rows"]]


def admitted(ward, by, name: str, **kwargs):
    return admit(
        ward=ward,
        by=by,
        patient=PatientFactory.create(organization=ward.organization, family_name=name),
        hours_ago=24,
        **kwargs,
    )


@pytest.fixture
def ward_b(organization):
    return WardFactory.create(organization=organization, name="Ward B")


@pytest.fixture
def hospital(ward, ward_b, nurse, physician):
    """One patient per reason to be on the list, and some who are not."""
    record(admitted(ward, nurse, "High"), by=nurse, minutes_ago=5, **VITALS_HIGH_8)
    record(admitted(ward_b, nurse, "Medium"), by=nurse, minutes_ago=5, **VITALS_MEDIUM_6)
    record(admitted(ward, nurse, "Red3"), by=nurse, minutes_ago=5, **vitals(consciousness="C"))
    record(
        admitted(ward_b, nurse, "Warning", protocol="dengue"),
        by=nurse,
        minutes_ago=5,
        **vitals(warning_signs=["abdominal_pain"]),
    )
    record(
        admitted(ward, nurse, "Severe", protocol="dengue"),
        by=nurse,
        minutes_ago=5,
        **vitals(systolic_bp=88, diastolic_bp=70),
    )
    critical = admitted(ward_b, nurse, "Critical", protocol="dengue")
    services.admission_set_phase(admission=critical, by=physician, phase="critical")
    record(critical, by=nurse, minutes_ago=5, **VITALS_SCORE_0)
    record(admitted(ward, nurse, "Overdue"), by=nurse, minutes_ago=300, **vitals(heart_rate=95))
    admitted(ward_b, nurse, "Unobserved")  # due on admission, 24 h ago

    # Not on the list: stable, observed on time.
    record(admitted(ward, nurse, "Stable"), by=nurse, minutes_ago=5, **vitals(heart_rate=95))
    record(
        admitted(ward_b, nurse, "StableDengue", protocol="dengue"),
        by=nurse,
        minutes_ago=5,
        **VITALS_SCORE_0,
    )
    record(admitted(ward, nurse, "Pregnant", pregnant=True), by=nurse, minutes_ago=5)
    # Not on the list: gone home, however sick when they left.
    gone = admitted(ward, nurse, "Discharged")
    record(gone, by=nurse, minutes_ago=5, **VITALS_HIGH_8)
    services.admission_discharge(admission=gone, by=nurse, outcome="home")


def test_lists_everyone_who_needs_attention_across_wards(client_for, viewer, hospital):
    response = client_for(viewer).get(URL)

    assert sorted(names(response)) == sorted(
        ["High", "Medium", "Red3", "Warning", "Severe", "Critical", "Overdue", "Unobserved"]
    )
    body = response.json()
    assert {row["ward_name"] for row in body["rows"]} == {"Ward A", "Ward B"}
    assert body["summary"]["patients"] == 8
    assert body["summary"]["by_phase"] == {"febrile": 2, "critical": 1, "recovery": 0}


def test_sorted_like_the_board(client_for, nurse, hospital):
    ordered = names(client_for(nurse).get(URL))
    assert ordered[:2] == ["High", "Medium"]
    assert ordered[-1] == "Unobserved"


def test_another_organisations_patients_never_appear(
    client_for, nurse, outsider, other_ward, hospital
):
    theirs = admitted(other_ward, outsider, "Theirs")
    record(theirs, by=outsider, minutes_ago=5, **VITALS_HIGH_8)

    assert "Theirs" not in names(client_for(nurse).get(URL))
    assert names(client_for(outsider).get(URL)) == ["Theirs"]


def test_member_of_two_organisations_sees_both(client_for, nurse, other_ward, hospital):
    MembershipFactory.create(user=nurse, organization=other_ward.organization, role=Role.VIEWER)
    record(admitted(other_ward, nurse, "Theirs"), by=nurse, minutes_ago=5, **VITALS_HIGH_8)
    assert "Theirs" in names(client_for(nurse).get(URL))


def test_no_one_to_worry_about(client_for, nurse, ward):
    record(admitted(ward, nurse, "Stable"), by=nurse, minutes_ago=5)
    body = client_for(nurse).get(URL).json()
    assert body["rows"] == []
    assert body["summary"]["patients"] == 0


def test_query_count_does_not_grow_with_the_number_of_patients(client_for, nurse, ward):
    client = client_for(nurse)
    client.get(URL)  # warm the token

    def fill(count: int) -> None:
        for index in range(count):
            admission = admitted(ward, nurse, f"P{index}")
            record(admission, by=nurse, minutes_ago=5, **VITALS_MEDIUM_6)

    fill(1)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()["rows"]) == 1
    fill(20)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["rows"]) == 21
    assert len(many) == len(one)


def test_anonymous_caller_gets_401(api_client, hospital):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert "rows" not in response.json()


def test_user_without_membership_sees_nothing(client_for, hospital):
    assert names(client_for(UserFactory.create()).get(URL)) == []


def test_read_only(client_for, nurse, hospital):
    assert client_for(nurse).post(URL, {}).status_code == 405

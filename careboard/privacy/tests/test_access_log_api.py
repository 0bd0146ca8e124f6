"""GET /api/v1/access-log/: org admins query who read what, by patient, user, ward, action
and time, newest first, a cursor page at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from careboard.privacy.models import AccessLog

pytestmark = pytest.mark.django_db

URL = "/api/v1/access-log/"
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
PATIENT_A = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
PATIENT_B = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002")


def log(organization, user, *, minutes: int, action: str = "patient.view", **fields: Any):
    return AccessLog.objects.create(
        organization=organization,
        user=user,
        action=action,
        at=T0 + dt.timedelta(minutes=minutes),
        **fields,
    )


def iso(at: dt.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.fixture
def entries(organization, other_organization, nurse, physician, outsider, ward):
    return {
        "nurse_a": log(organization, nurse, minutes=0, patient_id=PATIENT_A, ip="10.0.0.1"),
        "physician_a": log(
            organization, physician, minutes=10, action="patient.timeline", patient_id=PATIENT_A
        ),
        "nurse_b": log(organization, nurse, minutes=20, patient_id=PATIENT_B),
        "board": log(
            organization, nurse, minutes=30, action="ward.board", ward_id=ward.pk, count=4
        ),
        "elsewhere": log(other_organization, outsider, minutes=40, patient_id=PATIENT_A),
    }


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_an_admin_reads_the_organisations_log_newest_first(client_for, admin, entries, nurse):
    response = client_for(admin).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert ids(response) == [
        entries[name].pk for name in ("board", "nurse_b", "physician_a", "nurse_a")
    ]
    assert body["results"][3] == {
        "id": entries["nurse_a"].pk,
        "at": iso(T0),
        "action": "patient.view",
        "user": {"id": str(nurse.public_id), "name": nurse.get_full_name()},
        "patient": str(PATIENT_A),
        "ward": None,
        "count": None,
        "ip": "10.0.0.1",
        "request_id": "",
    }
    assert (body["next"], body["previous"]) == (None, None)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"patient": str(PATIENT_A)}, ["physician_a", "nurse_a"]),
        ({"action": "patient.timeline"}, ["physician_a"]),
        ({"from": iso(T0 + dt.timedelta(minutes=10)), "to": iso(T0 + dt.timedelta(minutes=20))},
         ["nurse_b", "physician_a"]),
        ({"from": iso(T0 + dt.timedelta(minutes=25))}, ["board"]),
        ({"patient": str(PATIENT_A), "action": "patient.view"}, ["nurse_a"]),
    ],
)  # fmt: skip
def test_filters(client_for, admin, entries, query, expected):
    response = client_for(admin).get(URL, query)

    assert response.status_code == 200
    assert ids(response) == [entries[name].pk for name in expected]


def test_filter_by_user_takes_their_public_id(client_for, admin, entries, physician):
    response = client_for(admin).get(URL, {"user": str(physician.public_id)})

    assert ids(response) == [entries["physician_a"].pk]


def test_filter_by_ward(client_for, admin, entries, ward):
    response = client_for(admin).get(URL, {"ward": str(ward.pk)})

    assert ids(response) == [entries["board"].pk]


def test_pages_follow_a_cursor(client_for, admin, entries):
    client = client_for(admin)

    first = client.get(URL, {"page_size": 3})
    second = client.get(first.json()["next"])

    assert ids(first) == [entries[name].pk for name in ("board", "nurse_b", "physician_a")]
    assert ids(second) == [entries["nurse_a"].pk]
    assert second.json()["next"] is None


def test_a_row_written_while_paging_does_not_shift_the_pages(client_for, admin, entries, nurse):
    client = client_for(admin)
    first = client.get(URL, {"page_size": 2})

    log(entries["nurse_a"].organization, nurse, minutes=60)
    second = client.get(first.json()["next"])

    assert ids(second) == [entries["physician_a"].pk, entries["nurse_a"].pk]


def test_another_organisations_rows_are_never_shown(client_for, outsider, entries):
    response = client_for(outsider).get(URL, {"patient": str(PATIENT_A)})

    assert ids(response) == [entries["elsewhere"].pk]


@pytest.mark.parametrize("persona", ["physician", "nurse", "therapist", "viewer"])
def test_a_role_other_than_admin_gets_403(client_for, request, persona, entries):
    response = client_for(request.getfixturevalue(persona)).get(URL)

    assert response.status_code == 403
    assert response.json()["type"] == "urn:careboard:problem:permission-denied"


def test_anonymous_gets_401(api_client, entries):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"patient": "Miller"}, {"patient": ["Must be a valid UUID."]}),
        ({"action": "patient.delete"}, {"action": ['"patient.delete" is not a valid choice.']}),
        ({"from": "yesterday"}, {"from": [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}),
        ({"from": "2025-03-02T00:00:00Z", "to": "2025-03-01T00:00:00Z"},
         {"from": ["The start is after the end."]}),
    ],
)  # fmt: skip
def test_invalid_filters_get_400(client_for, admin, entries, query, errors):
    response = client_for(admin).get(URL, query)

    assert response.status_code == 400
    assert response.json()["errors"] == errors


def test_reading_the_log_is_not_itself_a_read_of_patient_data(client_for, admin, entries):
    before = AccessLog.objects.count()

    client_for(admin).get(URL)

    assert AccessLog.objects.count() == before


def test_rows_carry_the_time_they_were_written(organization, nurse):
    before = timezone.now()

    row = AccessLog.objects.create(organization=organization, user=nurse, action="patient.view")

    assert before <= row.at <= timezone.now()

"""Every read of a patient's data writes an access-log row: who, what, which patient (or
ward), when, from where and in which request; one INSERT per read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careboard.patients.models import Admission, Observation, Patient
from careboard.patients.tests.factories import VITALS_HIGH_8, PatientFactory, admit, record
from careboard.privacy.models import AccessLog

pytestmark = pytest.mark.django_db

REQUEST_ID = "read-0123456789"


@pytest.fixture
def patient(organization) -> Patient:
    return PatientFactory.create(organization=organization, family_name="Hopper")


@pytest.fixture
def admission(patient, ward, nurse) -> Admission:
    return admit(ward=ward, by=nurse, patient=patient)


@pytest.fixture
def observation(admission, nurse) -> Observation:
    return record(admission, by=nurse, minutes_ago=30)


def rows() -> list[tuple[Any, ...]]:
    return list(
        AccessLog.objects.order_by("id").values_list(
            "action", "user_id", "organization_id", "patient_id", "ward_id", "count"
        )
    )


def access_log_inserts(queries: CaptureQueriesContext) -> int:
    return sum(
        1 for query in queries.captured_queries if query["sql"].startswith('INSERT INTO "privacy_')
    )


def test_reading_a_patient_writes_who_what_which_patient_when_from_where_and_the_request(
    client_for, viewer, patient, organization
):
    before = timezone.now()

    response = client_for(viewer).get(
        f"/api/v1/patients/{patient.pk}/", HTTP_X_REQUEST_ID=REQUEST_ID, REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 200
    row = AccessLog.objects.get()
    assert (
        row.action,
        row.user_id,
        row.organization_id,
        row.patient_id,
        row.ward_id,
        row.count,
        row.ip,
        row.request_id,
    ) == (
        "patient.view",
        viewer.pk,
        organization.pk,
        patient.pk,
        None,
        None,
        "203.0.113.9",
        REQUEST_ID,
    )
    assert before <= row.at <= timezone.now()


READS: list[tuple[str, Callable[[Any], str], str]] = [
    ("patient", lambda f: f"/api/v1/patients/{f['patient'].pk}/", "patient.view"),
    ("timeline", lambda f: f"/api/v1/patients/{f['patient'].pk}/timeline/", "patient.timeline"),
    ("consents", lambda f: f"/api/v1/patients/{f['patient'].pk}/consents/", "patient.consents"),
    ("admission", lambda f: f"/api/v1/admissions/{f['admission'].pk}/", "admission.view"),
    ("moves", lambda f: f"/api/v1/admissions/{f['admission'].pk}/moves/", "admission.moves"),
    (
        "phase changes",
        lambda f: f"/api/v1/admissions/{f['admission'].pk}/phase-changes/",
        "admission.phase_changes",
    ),
    (
        "observations",
        lambda f: f"/api/v1/admissions/{f['admission'].pk}/observations/",
        "observation.list",
    ),
    ("observation", lambda f: f"/api/v1/observations/{f['observation'].pk}/", "observation.view"),
    (
        "series",
        lambda f: f"/api/v1/admissions/{f['admission'].pk}/series/?fields=heart_rate",
        "admission.series",
    ),
]


@pytest.mark.parametrize(("read", "url", "action"), READS, ids=[r[0] for r in READS])
def test_each_read_of_a_patients_data_writes_one_row_in_one_insert(
    read, url, action, client_for, nurse, patient, admission, observation, organization
):
    client = client_for(nurse)
    fixtures = {"patient": patient, "admission": admission, "observation": observation}

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(fixtures))

    assert response.status_code == 200
    assert rows() == [(action, nurse.pk, organization.pk, patient.pk, None, None)]
    assert access_log_inserts(queries) == 1


def test_a_patient_list_writes_a_row_per_patient_shown_in_one_insert(
    client_for, viewer, organization
):
    shown = [
        PatientFactory.create(organization=organization, family_name=f"Lamarr{i}") for i in range(3)
    ]

    with CaptureQueriesContext(connection) as queries:
        response = client_for(viewer).get("/api/v1/patients/")

    assert response.status_code == 200
    assert sorted(rows(), key=str) == sorted(
        [("patient.list", viewer.pk, organization.pk, p.pk, None, None) for p in shown], key=str
    )
    assert access_log_inserts(queries) == 1


def test_a_search_logs_the_patients_it_found_and_not_the_search(client_for, viewer, organization):
    found = PatientFactory.create(organization=organization, family_name="Meitner")
    PatientFactory.create(organization=organization, family_name="Noether")

    response = client_for(viewer).get("/api/v1/patients/", {"search": "Meitner"})

    assert response.status_code == 200
    assert rows() == [("patient.list", viewer.pk, organization.pk, found.pk, None, None)]


def test_a_search_that_finds_nobody_writes_nothing(client_for, viewer, organization):
    PatientFactory.create(organization=organization, family_name="Noether")

    with CaptureQueriesContext(connection) as queries:
        response = client_for(viewer).get("/api/v1/patients/", {"search": "Nobody"})

    assert response.status_code == 200
    assert rows() == []
    assert access_log_inserts(queries) == 0


def test_the_admission_list_writes_a_row_per_admission_shown(
    client_for, nurse, admission, organization, patient
):
    response = client_for(nurse).get("/api/v1/admissions/")

    assert response.status_code == 200
    assert rows() == [("admission.list", nurse.pk, organization.pk, patient.pk, None, None)]


def test_the_ward_board_is_one_ward_read_with_the_number_of_rows(
    client_for, nurse, ward, organization
):
    admit(ward=ward, by=nurse)
    admit(ward=ward, by=nurse)

    with CaptureQueriesContext(connection) as queries:
        response = client_for(nurse).get(f"/api/v1/wards/{ward.pk}/board/")

    assert response.status_code == 200
    assert rows() == [("ward.board", nurse.pk, organization.pk, None, ward.pk, 2)]
    assert access_log_inserts(queries) == 1


def test_the_critical_list_writes_a_row_per_patient_on_it_with_the_ward(
    client_for, nurse, ward, organization
):
    critical = admit(ward=ward, by=nurse)
    record(critical, by=nurse, minutes_ago=5, **VITALS_HIGH_8)
    calm = admit(ward=ward, by=nurse)
    record(calm, by=nurse, minutes_ago=5)

    response = client_for(nurse).get("/api/v1/board/critical/")

    assert response.status_code == 200
    assert [row["patient"]["id"] for row in response.json()["rows"]] == [str(critical.patient_id)]
    assert rows() == [
        ("board.critical", nurse.pk, organization.pk, critical.patient_id, ward.pk, None)
    ]


def test_a_read_refused_as_not_found_writes_nothing(client_for, outsider, patient):
    response = client_for(outsider).get(f"/api/v1/patients/{patient.pk}/")

    assert response.status_code == 404
    assert rows() == []


def test_an_anonymous_read_writes_nothing(api_client, patient):
    response = api_client.get(f"/api/v1/patients/{patient.pk}/")

    assert response.status_code == 401
    assert rows() == []


def test_writes_are_not_logged_as_reads(client_for, nurse, patient):
    response = client_for(nurse).patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": "+1 555 0100"}, format="json"
    )

    assert response.status_code == 200
    assert rows() == []


def test_reads_are_logged_in_the_callers_time_order(client_for, viewer, nurse, patient):
    client_for(viewer).get(f"/api/v1/patients/{patient.pk}/")
    client_for(nurse).get(f"/api/v1/patients/{patient.pk}/timeline/")

    first, second = AccessLog.objects.order_by("id")

    assert (first.user_id, second.user_id) == (viewer.pk, nurse.pk)
    assert first.at <= second.at <= first.at + dt.timedelta(seconds=30)

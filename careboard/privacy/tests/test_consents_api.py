"""GET/POST /api/v1/patients/{id}/consents/: consent given or withdrawn, per purpose; the
current state is the latest record. ``program_consent_withdrawn`` for the portal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careboard.patients.models import Patient
from careboard.patients.tests.factories import PatientFactory
from careboard.privacy.models import ConsentRecord
from careboard.privacy.services import program_consent_withdrawn
from careboard.privacy.tests.factories import ConsentRecordFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC)


def url(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.pk}/consents/"


def iso(at: dt.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.fixture
def patient(organization) -> Patient:
    return PatientFactory.create(organization=organization)


def test_a_patient_without_records_has_no_current_state(client_for, viewer, patient):
    response = client_for(viewer).get(url(patient))

    assert response.status_code == 200
    assert response.json() == {
        "current": {"program": None, "data_processing": None, "research": None},
        "records": [],
    }


def test_recording_a_consent_answers_with_the_record(client_for, nurse, patient):
    response = client_for(nurse).post(
        url(patient),
        {"purpose": "research", "decision": "given", "decided_at": iso(T0), "note": "On paper"},
    )

    assert response.status_code == 201
    record = ConsentRecord.objects.get()
    assert response.json() == {
        "id": str(record.pk),
        "purpose": "research",
        "decision": "given",
        "decided_at": iso(T0),
        "note": "On paper",
        "recorded_by": {"id": str(nurse.public_id), "name": nurse.get_full_name()},
        "created_at": iso(record.created_at),
    }
    assert (record.patient_id, record.recorded_by_id) == (patient.pk, nurse.pk)


def test_the_time_defaults_to_now(client_for, nurse, patient):
    before = timezone.now()

    client_for(nurse).post(url(patient), {"purpose": "program", "decision": "given"})

    assert before <= ConsentRecord.objects.get().decided_at <= timezone.now()


def test_the_current_state_of_each_purpose_is_its_latest_record(client_for, viewer, patient):
    given = ConsentRecordFactory.create(patient=patient, purpose="program", decided_at=T0)
    withdrawn = ConsentRecordFactory.create(
        patient=patient, purpose="program", decision="withdrawn", decided_at=T0 + dt.timedelta(1)
    )
    # Entered later, but given earlier: a back-dated paper form does not undo the withdrawal.
    late = ConsentRecordFactory.create(
        patient=patient, purpose="program", decided_at=T0 - dt.timedelta(1)
    )
    research = ConsentRecordFactory.create(patient=patient, purpose="research", decided_at=T0)

    body = client_for(viewer).get(url(patient)).json()

    assert {purpose: (record or {}).get("id") for purpose, record in body["current"].items()} == {
        "program": str(withdrawn.pk),
        "data_processing": None,
        "research": str(research.pk),
    }
    assert body["current"]["program"]["decision"] == "withdrawn"
    assert [record["decided_at"] for record in body["records"]] == [
        iso(T0 + dt.timedelta(1)),
        iso(T0),
        iso(T0),
        iso(T0 - dt.timedelta(1)),
    ]
    assert {record["id"] for record in body["records"]} == {
        str(record.pk) for record in (given, withdrawn, late, research)
    }


@pytest.mark.parametrize("persona", ["admin", "physician", "nurse", "therapist"])
def test_staff_who_care_for_the_patient_may_record_consent(client_for, request, persona, patient):
    response = client_for(request.getfixturevalue(persona)).post(
        url(patient), {"purpose": "data_processing", "decision": "given"}
    )

    assert response.status_code == 201


def test_a_viewer_gets_403_and_nothing_is_recorded(client_for, viewer, patient):
    response = client_for(viewer).post(url(patient), {"purpose": "program", "decision": "given"})

    assert response.status_code == 403
    assert ConsentRecord.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organisations_admin_gets_404(client_for, outsider, patient, method):
    response = getattr(client_for(outsider), method)(
        url(patient), {"purpose": "program", "decision": "given"}
    )

    assert response.status_code == 404
    assert ConsentRecord.objects.count() == 0


def test_anonymous_gets_401(api_client, patient):
    assert api_client.get(url(patient)).status_code == 401
    assert api_client.post(url(patient), {}).status_code == 401


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"decision": "given"}, {"purpose": ["This field is required."]}),
        ({"purpose": "marketing", "decision": "given"},
         {"purpose": ['"marketing" is not a valid choice.']}),
        ({"purpose": "program", "decision": "maybe"},
         {"decision": ['"maybe" is not a valid choice.']}),
        ({"purpose": "program", "decision": "given", "note": "x" * 301},
         {"note": ["Ensure this field has no more than 300 characters."]}),
        ({"purpose": "program", "decision": "given", "decided_at": "2999-01-01T00:00:00Z"},
         {"decided_at": ["The time is in the future."]}),
    ],
)  # fmt: skip
def test_invalid_input_gets_400_and_nothing_is_recorded(client_for, nurse, patient, body, errors):
    response = client_for(nurse).post(url(patient), body)

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert ConsentRecord.objects.count() == 0


# program_consent_withdrawn ------------------------------------------------------------------


def test_no_record_is_not_a_withdrawal(patient):
    assert program_consent_withdrawn(patient) is False


@pytest.mark.parametrize(
    ("records", "withdrawn"),
    [
        ([("program", "given")], False),
        ([("program", "withdrawn")], True),
        ([("program", "given"), ("program", "withdrawn")], True),
        ([("program", "withdrawn"), ("program", "given")], False),
        # Another purpose's withdrawal is not the program's.
        ([("program", "given"), ("research", "withdrawn")], False),
        ([("data_processing", "withdrawn")], False),
    ],
)
def test_program_consent_withdrawn_follows_the_latest_program_record(patient, records, withdrawn):
    for day, (purpose, decision) in enumerate(records):
        ConsentRecordFactory.create(
            patient=patient, purpose=purpose, decision=decision, decided_at=T0 + dt.timedelta(day)
        )

    assert program_consent_withdrawn(patient) is withdrawn


def test_program_consent_withdrawn_is_one_query(patient, django_assert_num_queries):
    ConsentRecordFactory.create(patient=patient, decision="withdrawn")

    with django_assert_num_queries(1):
        program_consent_withdrawn(patient)

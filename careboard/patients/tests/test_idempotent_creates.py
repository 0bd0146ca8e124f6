"""Creates sent with an Idempotency-Key are stored once, however often they are retried."""

from __future__ import annotations

import pytest

from careboard.patients.models import Admission, Observation, Patient
from careboard.patients.tests.factories import admit

pytestmark = pytest.mark.django_db

KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
VITALS = {"heart_rate": 88, "respiratory_rate": 16, "temperature": 37.2}


def test_a_retried_observation_is_stored_once(client_for, nurse, ward):
    admission = admit(ward=ward, by=nurse)
    client = client_for(nurse)
    url = f"/api/v1/admissions/{admission.pk}/observations/"
    first = client.post(url, VITALS, HTTP_IDEMPOTENCY_KEY=KEY)
    again = client.post(url, VITALS, HTTP_IDEMPOTENCY_KEY=KEY)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Observation.objects.filter(admission=admission).count() == 1


def test_a_key_reused_for_other_values_is_refused(client_for, nurse, ward):
    admission = admit(ward=ward, by=nurse)
    client = client_for(nurse)
    url = f"/api/v1/admissions/{admission.pk}/observations/"
    client.post(url, VITALS, HTTP_IDEMPOTENCY_KEY=KEY)
    response = client.post(url, {**VITALS, "heart_rate": 120}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert response.status_code == 409
    assert Observation.objects.filter(admission=admission).count() == 1


def test_a_retried_patient_registration_and_admission_are_stored_once(
    client_for, nurse, ward, organization
):
    client = client_for(nurse)
    body = {
        "mrn": "IDEM-1",
        "given_name": "Ida",
        "family_name": "Empot",
        "birth_date": "1970-01-02",
        "sex": "female",
    }
    created = [client.post("/api/v1/patients/", body, HTTP_IDEMPOTENCY_KEY=KEY) for _ in range(2)]
    assert [r.status_code for r in created] == [201, 201]
    assert Patient.objects.filter(mrn="IDEM-1").count() == 1
    admit_body = {"patient": created[0].json()["id"], "ward": str(ward.pk), "bed": "3"}
    admitted = [
        client.post("/api/v1/admissions/", admit_body, HTTP_IDEMPOTENCY_KEY=KEY + "-a")
        for _ in range(2)
    ]
    assert [r.status_code for r in admitted] == [201, 201]
    assert Admission.objects.filter(patient__mrn="IDEM-1").count() == 1

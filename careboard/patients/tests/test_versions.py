"""ETag / If-Match on updates of patients, admissions and observations."""

from __future__ import annotations

import pytest

from careboard.patients.models import Patient
from careboard.patients.tests.factories import PatientFactory, admit, record

pytestmark = pytest.mark.django_db


def test_a_patient_read_carries_its_version_and_a_current_one_updates(
    client_for, nurse, organization
):
    patient = PatientFactory.create(organization=organization)
    client = client_for(nurse)
    etag = client.get(f"/api/v1/patients/{patient.pk}/")["ETag"]
    response = client.patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": "+49 1"}, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_stale_version_is_refused_and_changes_nothing(client_for, nurse, colleague, organization):
    patient = PatientFactory.create(organization=organization, phone="")
    mine = client_for(nurse)
    etag = mine.get(f"/api/v1/patients/{patient.pk}/")["ETag"]
    client_for(colleague).patch(f"/api/v1/patients/{patient.pk}/", {"phone": "+49 2"})
    response = mine.patch(f"/api/v1/patients/{patient.pk}/", {"phone": "+49 3"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    assert Patient.objects.get(pk=patient.pk).phone == "+49 2"


def test_stale_admission_and_observation_edits_are_refused(client_for, nurse, ward):
    admission = admit(ward=ward, by=nurse)
    observation = record(admission, by=nurse)
    client = client_for(nurse)
    stale = '"1"'
    transfer = client.post(
        f"/api/v1/admissions/{admission.pk}/transfer/",
        {"ward": str(ward.pk), "bed": "9"},
        HTTP_IF_MATCH=stale,
    )
    amend = client.patch(
        f"/api/v1/observations/{observation.pk}/",
        {"heart_rate": 70, "reason": "typo"},
        HTTP_IF_MATCH=stale,
    )
    assert (transfer.status_code, amend.status_code) == (412, 412)
    admission.refresh_from_db()
    observation.refresh_from_db()
    assert admission.bed != "9"
    assert observation.status == "final"


def test_without_if_match_the_latest_version_is_edited(client_for, nurse, organization):
    patient = PatientFactory.create(organization=organization)
    response = client_for(nurse).patch(f"/api/v1/patients/{patient.pk}/", {"phone": "+49 4"})
    assert response.status_code == 200
    assert response["ETag"]

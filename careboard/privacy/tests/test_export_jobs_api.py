"""POST /api/v1/patients/{id}/export/ and /api/v1/exports/{job}/: the export as a job, built
by a worker (BACKGROUND_JOBS=celery) or at once (inprocess), downloadable by the admin who
asked until it expires, each download access-logged."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pytest
from django.utils import timezone

from careboard.patients.models import Patient
from careboard.patients.tests.factories import PatientFactory
from careboard.privacy import export_jobs, tasks
from careboard.privacy.models import AccessLog

pytestmark = pytest.mark.django_db


def url(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.pk}/export/"


def test_post_answers_202_with_the_jobs_location_and_the_job_is_ready_without_a_worker(
    client_for, admin, organization
):
    patient = PatientFactory.create(organization=organization)

    response = client_for(admin).post(url(patient))

    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == f"http://testserver/api/v1/exports/{body['id']}/"
    assert (body["patient"], body["status"]) == (str(patient.pk), "ready")
    assert body["download"] == f"http://testserver/api/v1/exports/{body['id']}/download/"
    requested = dt.datetime.fromisoformat(body["requested_at"])
    assert dt.datetime.fromisoformat(body["expires_at"]) - requested == dt.timedelta(hours=1)
    assert body["size"] > 0


def test_the_download_is_the_same_document_as_the_direct_export_and_is_logged(
    client_for, admin, quackenbush
):
    patient = quackenbush.patient
    client = client_for(admin)
    job = client.post(url(patient)).json()
    assert AccessLog.objects.count() == 0  # built, not yet read by anyone

    response = client.get(job["download"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}.json"'
    document = json.loads(response.content)
    direct = client.get(url(patient)).json()
    for body in (document, direct):
        body.pop("generated_at")
        body["access_log"] = [
            row for row in body["access_log"] if row["action"] != "patient.export"
        ]
    assert document == direct
    assert list(AccessLog.objects.values_list("action", "user_id", "patient_id"))[:1] == [
        ("patient.export", admin.pk, patient.pk)
    ]


def test_the_status_says_pending_until_a_worker_has_built_it(
    client_for, admin, organization, settings, django_capture_on_commit_callbacks
):
    settings.BACKGROUND_JOBS = "celery"
    patient = PatientFactory.create(organization=organization)
    client = client_for(admin)

    with (
        mock.patch.object(tasks.build_patient_export, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = client.post(url(patient)).json()
    delay.assert_called_once_with(job["id"])
    status_url = f"/api/v1/exports/{job['id']}/"
    assert (job["status"], job["download"]) == ("pending", None)
    assert client.get(f"{status_url}download/").status_code == 409

    assert tasks.build_patient_export.apply(args=[job["id"]]).get() == "ready"

    assert client.get(status_url).json()["status"] == "ready"
    assert client.get(f"{status_url}download/").status_code == 200
    # A second delivery of the task leaves the built job as it is.
    assert tasks.build_patient_export.apply(args=[job["id"]]).get() == "ready"


def test_a_job_that_fails_says_so_and_has_nothing_to_download(client_for, admin, organization):
    patient = PatientFactory.create(organization=organization)
    client = client_for(admin)
    with mock.patch(f"{export_jobs.__name__}.export.patient_export", side_effect=RuntimeError):
        job = client.post(url(patient)).json()

    assert job["status"] == "failed"
    assert client.get(f"/api/v1/exports/{job['id']}/download/").status_code == 409
    assert AccessLog.objects.count() == 0


def test_an_expired_job_is_gone(client_for, admin, organization):
    patient = PatientFactory.create(organization=organization)
    job = export_jobs.export_job_create(
        patient=patient, by=admin, now=timezone.now() - dt.timedelta(hours=2)
    )

    assert client_for(admin).get(f"/api/v1/exports/{job.id}/").status_code == 404


def test_delete_forgets_the_job_and_its_document(client_for, admin, organization):
    patient = PatientFactory.create(organization=organization)
    client = client_for(admin)
    job = client.post(url(patient)).json()

    assert client.delete(f"/api/v1/exports/{job['id']}/").status_code == 204

    assert client.get(f"/api/v1/exports/{job['id']}/").status_code == 404
    assert client.get(f"/api/v1/exports/{job['id']}/download/").status_code == 404
    assert export_jobs.export_job_get(job["id"]) is None


def test_another_admin_of_the_same_organisation_cannot_see_the_job(
    client_for, admin, make_member, organization
):
    patient = PatientFactory.create(organization=organization)
    job = client_for(admin).post(url(patient)).json()
    second_admin = make_member("admin")

    assert client_for(second_admin).get(f"/api/v1/exports/{job['id']}/").status_code == 404
    assert client_for(second_admin).get(job["download"]).status_code == 404
    assert AccessLog.objects.count() == 0


def test_an_admin_who_lost_the_role_cannot_download_what_they_asked_for(
    client_for, admin, organization
):
    patient = PatientFactory.create(organization=organization)
    client = client_for(admin)
    job = client.post(url(patient)).json()
    admin.memberships.update(role="viewer")

    assert client.get(job["download"]).status_code == 404
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("persona", ["physician", "nurse", "therapist", "viewer"])
def test_a_role_other_than_admin_gets_403_and_no_job(client_for, request, persona, organization):
    patient = PatientFactory.create(organization=organization)

    with mock.patch.object(export_jobs, "export_job_create") as create:
        response = client_for(request.getfixturevalue(persona)).post(url(patient))

    assert response.status_code == 403
    create.assert_not_called()


def test_another_organisations_admin_gets_404(client_for, outsider, organization):
    patient = PatientFactory.create(organization=organization)

    assert client_for(outsider).post(url(patient)).status_code == 404


def test_anonymous_gets_401(api_client, admin, organization):
    patient = PatientFactory.create(organization=organization)
    job = export_jobs.export_job_create(patient=patient, by=admin)

    assert api_client.post(url(patient)).status_code == 401
    assert api_client.get(f"/api/v1/exports/{job.id}/").status_code == 401

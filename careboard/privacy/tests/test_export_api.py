"""GET /api/v1/patients/{id}/export/: everything held about the patient, in one JSON
document, for org admins; the export is itself logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careboard.builder.models import PortalToken
from careboard.patients.models import Patient
from careboard.patients.tests.factories import PatientFactory, admit, record
from careboard.privacy.models import AccessLog
from careboard.privacy.tests.factories import (
    BIRTH_DATE,
    EMAIL,
    FAMILY,
    GIVEN,
    MRN,
    PHONE,
)

pytestmark = pytest.mark.django_db


def url(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.pk}/export/"


def ref(user) -> dict[str, str]:
    return {"id": str(user.public_id), "name": user.get_full_name()}


def test_the_export_is_a_json_attachment_named_by_patient_id(client_for, admin, quackenbush):
    patient = quackenbush.patient

    response = client_for(admin).get(url(patient))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}.json"'
    assert FAMILY not in response["Content-Disposition"]


def test_the_export_holds_identity_admissions_observations_history_and_more(
    client_for, admin, nurse, physician, therapist, quackenbush, organization, ward, second_ward
):
    patient = quackenbush.patient
    before = timezone.now()

    body = client_for(admin).get(url(patient)).json()

    assert body["format"] == {"name": "careboard.patient-export", "version": 1}
    assert before <= dt.datetime.fromisoformat(body["generated_at"]) <= timezone.now()
    assert body["generated_by"] == ref(admin)
    assert body["organization"] == {"id": str(organization.pk), "name": organization.name}
    identity = body["patient"]
    assert {key: identity[key] for key in (
        "id", "mrn", "given_name", "family_name", "birth_date", "sex", "phone", "email"
    )} == {
        "id": str(patient.pk), "mrn": MRN, "given_name": GIVEN, "family_name": FAMILY,
        "birth_date": BIRTH_DATE.isoformat(), "sex": "female", "phone": PHONE, "email": EMAIL,
    }  # fmt: skip

    [admission] = body["admissions"]
    assert (admission["id"], admission["ward"], admission["outcome"]) == (
        str(quackenbush.admission.pk),
        str(second_ward.pk),
        "home",
    )
    assert [(m["from_ward"], m["to_ward"], m["to_bed"]) for m in admission["moves"]] == [
        (str(ward.pk), str(second_ward.pk), "7")
    ]
    assert [(c["from_phase"], c["to_phase"]) for c in admission["phase_changes"]] == [
        ("", "febrile"),
        ("febrile", "critical"),
    ]
    assert admission["phase_changes"][1]["changed_by"] == ref(physician)
    amended, struck_out = admission["observations"]
    assert (amended["id"], amended["status"], amended["heart_rate"], amended["temperature"]) == (
        str(quackenbush.amended.pk),
        "amended",
        80,
        38.2,
    )
    assert (amended["news2_total"], amended["news2_band"]) == (
        quackenbush.amended.news2_total,
        quackenbush.amended.news2_band,
    )
    assert amended["recorded_by"] == ref(nurse)
    assert struck_out["status"] == "entered_in_error"
    assert body["wards"] == {str(ward.pk): ward.name, str(second_ward.pk): second_ward.name}

    kinds = [entry["kind"] for entry in body["history"]]
    assert kinds.count("observation.recorded") == 2
    assert {"observation.amended", "patient.changed", "admission.transferred"} <= set(kinds)
    [change] = [entry for entry in body["history"] if entry["kind"] == "patient.changed"]
    assert {(c["field"], c["before"], c["after"]) for c in change["changes"]} >= {
        ("mrn", MRN.lower(), MRN),
        ("email", "", EMAIL),
    }

    [assignment] = body["assignments"]
    assert (assignment["id"], assignment["status"], assignment["assigned_by"]) == (
        str(quackenbush.assignment.pk),
        "active",
        ref(therapist),
    )
    assert [log["comment"] for log in assignment["activity_logs"]] == [quackenbush.activity.comment]
    [token] = assignment["portal_tokens"]
    assert set(token) == {
        "id", "assignment", "created_at", "expires_at", "revoked_at", "last_used_at"
    }  # fmt: skip
    assert [(c["purpose"], c["decision"], c["recorded_by"]) for c in body["consents"]] == [
        ("program", "given", ref(nurse))
    ]
    assert body["erasure"] is None


def test_the_export_leaves_out_secrets(client_for, admin, quackenbush):
    response = client_for(admin).get(url(quackenbush.patient))

    token = PortalToken.objects.get(assignment=quackenbush.assignment)
    assert token.token_hash not in response.content.decode()
    assert quackenbush.portal_secret not in response.content.decode()
    assert "request_fingerprint" not in response.content.decode()


def test_the_export_says_who_read_the_record_including_this_export(
    client_for, admin, viewer, organization
):
    patient = PatientFactory.create(organization=organization)
    client_for(viewer).get(f"/api/v1/patients/{patient.pk}/", REMOTE_ADDR="10.1.1.1")

    body = client_for(admin).get(url(patient)).json()

    assert [(row["action"], row["user"]) for row in body["access_log"]] == [
        ("patient.view", ref(viewer)),
        ("patient.export", ref(admin)),
    ]
    # The staff member's address and request id are theirs, not the patient's.
    assert set(body["access_log"][0]) == {"at", "action", "user", "ward", "count"}


def test_the_export_is_logged(client_for, admin, organization):
    patient = PatientFactory.create(organization=organization)

    client_for(admin).get(url(patient))

    assert list(AccessLog.objects.values_list("action", "user_id", "patient_id")) == [
        ("patient.export", admin.pk, patient.pk)
    ]


def test_board_reads_during_the_stay_count_as_reads_of_the_patient(
    client_for, admin, nurse, viewer, organization, ward, second_ward
):
    patient = PatientFactory.create(organization=organization)
    client_for(viewer).get(f"/api/v1/wards/{ward.pk}/board/")  # before the admission
    admit(ward=ward, by=nurse, patient=patient, hours_ago=0)
    client_for(nurse).get(f"/api/v1/wards/{ward.pk}/board/")  # during the stay
    client_for(viewer).get(f"/api/v1/wards/{second_ward.pk}/board/")  # another ward

    body = client_for(admin).get(url(patient)).json()

    assert [(r["action"], r["user"], r["ward"], r["count"]) for r in body["ward_access_log"]] == [
        ("ward.board", ref(nurse), str(ward.pk), 1)
    ]


def test_a_patient_with_no_data_beyond_the_record_exports_empty_sections(
    client_for, admin, organization
):
    patient = PatientFactory.create(organization=organization)

    body = client_for(admin).get(url(patient)).json()

    assert [body[key] for key in ("admissions", "assignments", "consents", "ward_access_log")] == [
        [],
        [],
        [],
        [],
    ]
    assert body["wards"] == {}


def test_the_number_of_queries_does_not_grow_with_the_record(
    client_for, admin, nurse, organization, ward, second_ward
):
    small, large = (PatientFactory.create(organization=organization) for _ in range(2))
    for patient, observations in ((small, 1), (large, 12)):
        admission = admit(ward=ward, by=nurse, patient=patient, hours_ago=30)
        for minutes in range(observations):
            record(admission, by=nurse, minutes_ago=60 * (observations - minutes))
    client = client_for(admin)
    client.get(url(small))  # token last-used stamp

    with CaptureQueriesContext(connection) as for_small:
        client.get(url(small))
    with CaptureQueriesContext(connection) as for_large:
        client.get(url(large))

    assert len(for_large) == len(for_small)


@pytest.mark.parametrize("persona", ["physician", "nurse", "therapist", "viewer"])
def test_a_role_other_than_admin_gets_403_and_nothing_is_logged(
    client_for, request, persona, organization
):
    patient = PatientFactory.create(organization=organization)

    response = client_for(request.getfixturevalue(persona)).get(url(patient))

    assert response.status_code == 403
    assert AccessLog.objects.count() == 0


def test_another_organisations_admin_gets_404(client_for, outsider, organization):
    patient = PatientFactory.create(organization=organization)

    response = client_for(outsider).get(url(patient))

    assert response.status_code == 404
    assert AccessLog.objects.count() == 0


def test_anonymous_gets_401(api_client, organization):
    patient = PatientFactory.create(organization=organization)

    assert api_client.get(url(patient)).status_code == 401

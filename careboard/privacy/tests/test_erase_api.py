"""POST /api/v1/patients/{id}/erase/: an org admin anonymises a patient everywhere,
irreversibly and all at once."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from careboard.builder.models import ActivityLog, Assignment, PortalToken
from careboard.patients.models import Admission, Observation, Patient, PhaseChange
from careboard.patients.tests.factories import PatientFactory, admit
from careboard.privacy import erasure, services
from careboard.privacy.models import AccessLog, ConsentRecord, ErasureRecord
from careboard.privacy.tests.factories import (
    BIRTH_DATE,
    EMAIL,
    FAMILY,
    GIVEN,
    MRN,
    PHONE,
    FullRecord,
)

pytestmark = pytest.mark.django_db

REASON = "Request by letter of 2 March"


def url(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.pk}/erase/"


def snapshot_of(patient: Patient) -> dict[str, Any]:
    """What an erasure would change, to show a refused one changed nothing."""
    return {
        "patient": Patient.objects.filter(pk=patient.pk).values().get(),
        "history": list(Patient.history.filter(id=patient.pk).values("mrn", "family_name")),
        "observations": list(
            Observation.objects.filter(admission__patient=patient).values("notes", "status_reason")
        ),
        "tokens": PortalToken.objects.filter(assignment__patient=patient).count(),
        "erasures": ErasureRecord.objects.count(),
    }


def test_erasure_anonymises_the_patient_and_answers_with_the_record(
    client_for, admin, organization, quackenbush: FullRecord
):
    patient = quackenbush.patient
    before = timezone.now()

    response = client_for(admin).post(url(patient), {"reason": REASON})

    assert response.status_code == 200
    record = ErasureRecord.objects.get()
    assert response.json() == {
        "id": str(record.pk),
        "patient": str(patient.pk),
        "trigger": "request",
        "reason": REASON,
        "erased_by": {"id": str(admin.public_id), "name": admin.get_full_name()},
        "erased_at": record.erased_at.isoformat().replace("+00:00", "Z"),
    }
    assert before <= record.erased_at <= timezone.now()
    patient.refresh_from_db()
    assert re.fullmatch(r"ERASED-[0-9A-F]{16}", patient.mrn)
    assert (
        patient.given_name,
        patient.family_name,
        patient.birth_date,
        patient.phone,
        patient.email,
        patient.sex,
        patient.organization_id,
    ) == ("Erased", "Erased", dt.date(1957, 1, 1), "", "", "female", organization.pk)


def test_every_history_row_of_the_patient_is_anonymised_too(client_for, admin, quackenbush):
    patient = quackenbush.patient

    client_for(admin).post(url(patient), {"reason": REASON})

    patient.refresh_from_db()
    assert set(
        Patient.history.filter(id=patient.pk).values_list(
            "mrn", "given_name", "family_name", "birth_date", "phone", "email"
        )
    ) == {(patient.mrn, "Erased", "Erased", dt.date(1957, 1, 1), "", "")}


def test_clinical_values_stay_for_statistics_and_free_text_goes(client_for, admin, quackenbush):
    amended = quackenbush.amended
    scores = (amended.news2_total, amended.news2_band, amended.status)

    client_for(admin).post(url(quackenbush.patient), {"reason": REASON})

    amended.refresh_from_db()
    assert (amended.temperature, amended.heart_rate) == (Decimal("38.2"), Decimal(80))
    assert (amended.news2_total, amended.news2_band, amended.status) == scores
    assert set(
        Observation.objects.filter(admission=quackenbush.admission).values_list(
            "notes", "status_reason"
        )
    ) == {("[erased]", "[erased]")}
    assert set(
        Observation.history.filter(admission_id=quackenbush.admission.pk)
        .exclude(notes="")
        .values_list("notes", flat=True)
    ) == {"[erased]"}
    assert set(
        Admission.history.filter(id=quackenbush.admission.pk)
        .exclude(interval_override_reason="")
        .values_list("interval_override_reason", flat=True)
    ) == {"[erased]"}
    assert set(
        PhaseChange.objects.filter(admission=quackenbush.admission).values_list("note", flat=True)
    ) == {"[erased]"}
    assert list(ConsentRecord.objects.values_list("note", "purpose", "decision")) == [
        ("[erased]", "program", "given")
    ]


def test_portal_tokens_go_and_active_programs_end(client_for, admin, quackenbush):
    assignment = quackenbush.assignment

    client_for(admin).post(url(quackenbush.patient), {"reason": REASON})

    assignment.refresh_from_db()
    assert PortalToken.objects.filter(assignment=assignment).count() == 0
    assert (assignment.status, assignment.ended_by_id) == ("ended", admin.pk)
    assert assignment.snapshot["name"] == "Knee program for [erased]"
    activity = ActivityLog.objects.get(pk=quackenbush.activity.pk)
    assert (activity.comment, activity.request_fingerprint, str(activity.session_id)) == (
        "[erased]",
        "",
        str(quackenbush.activity.session_id),
    )
    portal = client_for(None)
    portal.credentials(HTTP_AUTHORIZATION=f"Bearer {quackenbush.portal_secret}")
    assert portal.get("/api/v1/portal/today/").status_code == 401


def test_the_reason_keeps_no_identifier_of_the_patient(client_for, admin, quackenbush):
    reason = (
        f"Letter of {GIVEN} {FAMILY} ({MRN}), born {BIRTH_DATE:%d.%m.%Y}, "
        f"tel. {PHONE.replace(' ', '')}, {EMAIL}; {FAMILY.upper()} asks again"
    )

    client_for(admin).post(url(quackenbush.patient), {"reason": reason})

    assert ErasureRecord.objects.get().reason == (
        "Letter of [erased] ([erased]), born [erased], tel. [erased], [erased]; [erased] asks again"
    )


def test_access_log_rows_survive_by_patient_id(client_for, admin, viewer, organization):
    patient = PatientFactory.create(organization=organization)
    client_for(viewer).get(f"/api/v1/patients/{patient.pk}/")

    client_for(admin).post(url(patient), {"reason": REASON})

    assert list(AccessLog.objects.values_list("action", "patient_id")) == [
        ("patient.view", patient.pk)
    ]


def test_the_erased_record_still_reads_without_any_name(client_for, admin, quackenbush):
    client_for(admin).post(url(quackenbush.patient), {"reason": REASON})

    response = client_for(admin).get(f"/api/v1/patients/{quackenbush.patient.pk}/timeline/")

    assert response.status_code == 200
    assert FAMILY not in response.content.decode()
    assert "patient.changed" not in {entry["kind"] for entry in response.json()["results"]}


def test_erasing_twice_gets_409_and_keeps_the_first_record(client_for, admin, organization):
    patient = PatientFactory.create(organization=organization)
    client = client_for(admin)
    client.post(url(patient), {"reason": REASON})
    first = Patient.objects.values().get(pk=patient.pk)

    response = client.post(url(patient), {"reason": "Again"})

    assert response.status_code == 409
    assert response.json()["detail"] == "This patient's data has already been erased."
    assert list(ErasureRecord.objects.values_list("reason", flat=True)) == [REASON]
    assert Patient.objects.values().get(pk=patient.pk) == first


def test_an_admitted_patient_gets_409_and_nothing_changes(
    client_for, admin, nurse, organization, ward
):
    patient = PatientFactory.create(organization=organization)
    admit(ward=ward, by=nurse, patient=patient)
    before = snapshot_of(patient)

    response = client_for(admin).post(url(patient), {"reason": REASON})

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The patient is admitted; discharge them before erasing their data."
    )
    assert snapshot_of(patient) == before


@pytest.mark.parametrize("persona", ["physician", "nurse", "therapist", "viewer"])
def test_a_role_other_than_admin_gets_403_and_nothing_changes(
    client_for, request, persona, quackenbush
):
    before = snapshot_of(quackenbush.patient)

    response = client_for(request.getfixturevalue(persona)).post(
        url(quackenbush.patient), {"reason": REASON}
    )

    assert response.status_code == 403
    assert snapshot_of(quackenbush.patient) == before


def test_another_organisations_admin_gets_404_and_nothing_changes(
    client_for, outsider, quackenbush
):
    before = snapshot_of(quackenbush.patient)

    response = client_for(outsider).post(url(quackenbush.patient), {"reason": REASON})

    assert response.status_code == 404
    assert snapshot_of(quackenbush.patient) == before


def test_anonymous_gets_401(api_client, organization):
    patient = PatientFactory.create(organization=organization)

    assert api_client.post(url(patient), {"reason": REASON}).status_code == 401
    assert ErasureRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"reason": ["This field is required."]}),
        ({"reason": "  "}, {"reason": ["This field may not be blank."]}),
        ({"reason": "x" * 501}, {"reason": ["Ensure this field has no more than 500 characters."]}),
    ],
)
def test_a_reason_is_required(client_for, admin, organization, body, errors):
    patient = PatientFactory.create(organization=organization)
    before = snapshot_of(patient)

    response = client_for(admin).post(url(patient), body)

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert snapshot_of(patient) == before


def test_erasure_is_all_or_nothing(monkeypatch, admin, quackenbush):
    before = snapshot_of(quackenbush.patient)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # The last step fails: everything before it must be undone.
    monkeypatch.setattr(erasure, "_scrub_admin_log", fail)
    with pytest.raises(RuntimeError):
        services.patient_erase(patient=quackenbush.patient, by=admin, reason=REASON)

    assert snapshot_of(quackenbush.patient) == before


def test_cache_hooks_run_after_the_erasure_commits(
    monkeypatch, admin, organization, django_capture_on_commit_callbacks
):
    patient = PatientFactory.create(organization=organization)
    calls: list[object] = []
    monkeypatch.setattr(erasure, "_hooks", [])
    erasure.on_patient_erased(calls.append)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.patient_erase(patient=patient, by=admin, reason=REASON)
        assert calls == []

    assert (len(callbacks), calls) == (1, [patient.pk])


@pytest.mark.parametrize(
    ("real", "kept"),
    [
        (dt.date(1957, 3, 14), dt.date(1957, 1, 1)),
        (dt.date(2000, 12, 31), dt.date(2000, 1, 1)),
        (dt.date(1990, 1, 2), dt.date(1990, 1, 1)),
        # Born on New Year's Day: 1 January would be the real date.
        (dt.date(1980, 1, 1), dt.date(1980, 7, 1)),
    ],
)
def test_the_birth_date_keeps_only_the_year(real, kept):
    assert erasure.coarse_birth_date(real) == kept


def test_consent_cannot_be_recorded_for_an_erased_patient(client_for, admin, organization):
    patient = PatientFactory.create(organization=organization)
    client_for(admin).post(url(patient), {"reason": REASON})

    response = client_for(admin).post(
        f"/api/v1/patients/{patient.pk}/consents/",
        {"purpose": "research", "decision": "given"},
    )

    assert response.status_code == 409
    assert ConsentRecord.objects.count() == 0


def test_an_open_ended_assignment_that_has_not_started_ends_on_its_start_date(admin, quackenbush):
    start = timezone.localdate() + dt.timedelta(days=5)
    Assignment.objects.filter(pk=quackenbush.assignment.pk).update(start_date=start, end_date=None)

    services.patient_erase(patient=quackenbush.patient, by=admin, reason=REASON)

    assert Assignment.objects.values_list("status", "end_date").get() == ("ended", start)

"""/api/v1/admissions/: admit, edit, transfer, discharge, SpO2 scale, interval override and
the dengue phase."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import WardFactory
from careboard.patients.api import views
from careboard.patients.models import Admission, AdmissionMove, Observation, PhaseChange
from careboard.patients.tests.factories import (
    VITALS_MEDIUM_6,
    PatientFactory,
    admit,
    record,
    vitals,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/admissions/"


def detail(admission: Admission, suffix: str = "") -> str:
    return f"{URL}{admission.pk}/{suffix}"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@pytest.fixture
def patient(organization):
    return PatientFactory.create(organization=organization, mrn="P-1")


@pytest.fixture
def admission(ward, nurse, patient):
    return admit(ward=ward, by=nurse, patient=patient, bed="1", hours_ago=6)


@pytest.fixture
def dengue(ward, nurse, organization):
    return admit(
        ward=ward,
        by=nurse,
        patient=PatientFactory.create(organization=organization),
        bed="2",
        protocol="dengue",
        hours_ago=30,
    )


@pytest.fixture
def ward_b(organization):
    return WardFactory.create(organization=organization, name="Ward B")


def snapshot(admission: Admission) -> dict[str, Any]:
    """Every stored column of the admission, to assert a refused request changed nothing."""
    admission.refresh_from_db()
    return {
        field.attname: getattr(admission, field.attname)
        for field in Admission._meta.concrete_fields
    }


# Admit ----------------------------------------------------------------------------------


def test_nurse_admits_a_patient(
    client_for, nurse, ward, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(nurse).post(
            URL, {"patient": str(patient.pk), "ward": str(ward.pk), "bed": "12"}
        )

    assert response.status_code == 201
    assert len(callbacks) == 1
    body = response.json()
    admission = Admission.objects.get()
    assert body["id"] == str(admission.pk)
    assert body["patient"] == str(patient.pk)
    assert body["ward"] == str(ward.pk)
    assert body["bed"] == "12"
    assert body["protocol"] == "general"
    assert body["phase"] == ""
    assert body["spo2_scale"] == 1
    assert body["discharged_at"] is None
    # The first set of observations is due on admission.
    assert admission.next_due_at == admission.admitted_at
    assert timezone.now() - admission.admitted_at < dt.timedelta(minutes=1)
    assert not PhaseChange.objects.exists()


def test_dengue_admission_starts_in_the_febrile_phase(client_for, nurse, ward, patient):
    admitted_at = timezone.now() - dt.timedelta(hours=2)
    response = client_for(nurse).post(
        URL,
        {
            "patient": str(patient.pk),
            "ward": str(ward.pk),
            "protocol": "dengue",
            "admitted_at": admitted_at.isoformat(),
        },
    )

    assert response.status_code == 201
    assert response.json()["phase"] == "febrile"
    change = PhaseChange.objects.get()
    assert (change.from_phase, change.to_phase, change.changed_by) == ("", "febrile", nurse)
    assert change.changed_at == admitted_at


def test_second_open_admission_is_409_and_nothing_is_stored(client_for, nurse, ward_b, admission):
    before = snapshot(admission)
    response = client_for(nurse).post(
        URL, {"patient": str(admission.patient_id), "ward": str(ward_b.pk)}
    )
    assert response.status_code == 409
    assert response.json()["type"] == "urn:careboard:problem:conflict"
    assert Admission.objects.count() == 1
    assert snapshot(admission) == before


def test_readmission_after_discharge_is_fine(client_for, nurse, ward, admission):
    client = client_for(nurse)
    assert client.post(detail(admission, "discharge/"), {"outcome": "home"}).status_code == 200
    response = client.post(URL, {"patient": str(admission.patient_id), "ward": str(ward.pk)})
    assert response.status_code == 201
    assert Admission.objects.count() == 2


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.PHYSICIAN, 201),
        (Role.NURSE, 201),
        (Role.ADMIN, 403),
        (Role.THERAPIST, 403),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_admit(client_for, make_member, ward, patient, role, expected):
    response = client_for(make_member(role)).post(
        URL, {"patient": str(patient.pk), "ward": str(ward.pk)}
    )
    assert response.status_code == expected
    assert Admission.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"admitted_at": "2999-01-01T00:00:00Z"}, "admitted_at"),
        ({"protocol": "malaria"}, "protocol"),
        ({"ward": "00000000-0000-4000-8000-000000000000"}, "ward"),
        ({"patient": "nonsense"}, "patient"),
    ],
)
def test_invalid_admission_is_refused_on_its_field(client_for, nurse, ward, patient, change, field):
    data = {"patient": str(patient.pk), "ward": str(ward.pk), **change}
    response = client_for(nurse).post(URL, data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Admission.objects.exists()


def test_archived_ward_is_refused(client_for, nurse, patient, organization):
    archived = WardFactory.create(organization=organization, name="Old wing", archived=True)
    response = client_for(nurse).post(URL, {"patient": str(patient.pk), "ward": str(archived.pk)})
    assert response.status_code == 400
    assert response.json()["errors"] == {"ward": ["This ward is archived."]}
    assert not Admission.objects.exists()


def test_attending_physician_must_be_a_physician_here(client_for, nurse, ward, patient, physician):
    client = client_for(nurse)
    refused = client.post(
        URL,
        {
            "patient": str(patient.pk),
            "ward": str(ward.pk),
            "attending_physician": str(nurse.public_id),
        },
    )
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["attending_physician"]
    assert not Admission.objects.exists()

    accepted = client.post(
        URL,
        {
            "patient": str(patient.pk),
            "ward": str(ward.pk),
            "attending_physician": str(physician.public_id),
        },
    )
    assert accepted.status_code == 201
    assert Admission.objects.get().attending_physician == physician


def test_outsider_cannot_admit_to_our_ward_or_our_patient(
    client_for, outsider, ward, patient, other_ward, other_organization
):
    their_patient = PatientFactory.create(organization=other_organization)
    client = client_for(outsider)
    into_our_ward = client.post(URL, {"patient": str(their_patient.pk), "ward": str(ward.pk)})
    assert into_our_ward.status_code == 400
    assert list(into_our_ward.json()["errors"]) == ["ward"]
    our_patient = client.post(URL, {"patient": str(patient.pk), "ward": str(other_ward.pk)})
    assert our_patient.status_code == 400
    assert list(our_patient.json()["errors"]) == ["patient"]
    assert not Admission.objects.exists()


def test_anonymous_caller_gets_401_and_nothing_changes(api_client, ward, patient, admission):
    before = snapshot(admission)
    assert api_client.get(URL).status_code == 401
    assert api_client.get(detail(admission)).status_code == 401
    assert (
        api_client.post(URL, {"patient": str(patient.pk), "ward": str(ward.pk)}).status_code == 401
    )
    assert api_client.patch(detail(admission), {"pregnant": True}).status_code == 401
    assert api_client.post(detail(admission, "discharge/"), {"outcome": "home"}).status_code == 401
    assert api_client.get(detail(admission, "moves/")).status_code == 401
    assert Admission.objects.count() == 1
    assert snapshot(admission) == before


# Read -----------------------------------------------------------------------------------


def test_list_filters_by_current_and_ward(client_for, viewer, nurse, ward, ward_b, organization):
    here = admit(ward=ward, by=nurse)
    there = admit(ward=ward_b, by=nurse)
    gone = admit(ward=ward, by=nurse)
    client_for(nurse).post(detail(gone, "discharge/"), {"outcome": "home"})
    client = client_for(viewer)

    def ids(params):
        response = client.get(URL, params)
        assert response.status_code == 200
        return {a["id"] for a in response.json()["results"]}

    assert ids({}) == {str(here.pk), str(there.pk), str(gone.pk)}
    assert ids({"current": "true"}) == {str(here.pk), str(there.pk)}
    assert ids({"current": "false"}) == {str(gone.pk)}
    assert ids({"ward": str(ward.pk), "current": "true"}) == {str(here.pk)}


def test_outsider_gets_404_and_sees_none_of_ours(client_for, outsider, admission):
    client = client_for(outsider)
    assert client.get(detail(admission)).status_code == 404
    assert client.get(detail(admission, "moves/")).status_code == 404
    assert client.get(detail(admission, "phase-changes/")).status_code == 404
    assert client.get(URL).json()["results"] == []


# Transfer -------------------------------------------------------------------------------


def test_transfer_keeps_every_move(
    client_for, nurse, viewer, ward, ward_b, admission, django_capture_on_commit_callbacks
):
    client = client_for(nurse)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = client.post(detail(admission, "transfer/"), {"ward": str(ward_b.pk), "bed": "5"})
    assert first.status_code == 200
    assert len(callbacks) == 1
    assert (first.json()["ward"], first.json()["bed"]) == (str(ward_b.pk), "5")
    second = client.post(detail(admission, "transfer/"), {"ward": str(ward_b.pk), "bed": "6"})
    assert second.status_code == 200

    admission.refresh_from_db()
    assert (admission.ward, admission.bed) == (ward_b, "6")
    # Anyone who may read the admission may read its moves.
    moves = client_for(viewer).get(detail(admission, "moves/"))
    assert moves.status_code == 200
    assert [
        (m["from_ward"], m["from_bed"], m["to_ward"], m["to_bed"], m["moved_by"]["id"])
        for m in moves.json()
    ] == [
        (str(ward.pk), "1", str(ward_b.pk), "5", str(nurse.public_id)),
        (str(ward_b.pk), "5", str(ward_b.pk), "6", str(nurse.public_id)),
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"bed": "1"}, "bed"),  # where the patient already is
        ({"at": "2999-01-01T00:00:00Z"}, "at"),
        ({"ward": None}, "ward"),
    ],
)
def test_invalid_transfer_changes_nothing(client_for, nurse, ward, admission, data, field):
    before = snapshot(admission)
    response = client_for(nurse).post(
        detail(admission, "transfer/"), {"ward": str(ward.pk), **data}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert snapshot(admission) == before
    assert not AdmissionMove.objects.exists()


def test_transfer_to_another_organisations_ward_is_refused(
    client_for, nurse, admission, other_ward
):
    before = snapshot(admission)
    response = client_for(nurse).post(detail(admission, "transfer/"), {"ward": str(other_ward.pk)})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ward"]
    assert snapshot(admission) == before
    assert not AdmissionMove.objects.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.THERAPIST, Role.VIEWER])
def test_only_clinical_staff_transfer(client_for, make_member, ward_b, admission, role):
    before = snapshot(admission)
    response = client_for(make_member(role)).post(
        detail(admission, "transfer/"), {"ward": str(ward_b.pk)}
    )
    assert response.status_code == 403
    assert snapshot(admission) == before
    assert not AdmissionMove.objects.exists()


def test_outsider_cannot_transfer_or_discharge(client_for, outsider, admission, other_ward):
    before = snapshot(admission)
    client = client_for(outsider)
    transfer = client.post(detail(admission, "transfer/"), {"ward": str(other_ward.pk)})
    assert transfer.status_code == 404
    assert client.post(detail(admission, "discharge/"), {"outcome": "home"}).status_code == 404
    assert snapshot(admission) == before


# Discharge ------------------------------------------------------------------------------


def test_discharge_closes_the_admission(
    client_for, nurse, ward_b, admission, django_capture_on_commit_callbacks
):
    client = client_for(nurse)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(detail(admission, "discharge/"), {"outcome": "home"})
    assert len(callbacks) == 1

    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "home"
    assert body["discharged_at"] is not None
    admission.refresh_from_db()
    assert not admission.is_current

    # A closed admission takes no more observations, moves or discharges.
    before = snapshot(admission)
    recorded = client.post(detail(admission, "observations/"), vitals())
    assert recorded.status_code == 409
    assert not Observation.objects.exists()
    transfer = client.post(detail(admission, "transfer/"), {"ward": str(ward_b.pk)})
    assert transfer.status_code == 409
    again = client.post(detail(admission, "discharge/"), {"outcome": "deceased"})
    assert again.status_code == 409
    assert snapshot(admission) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "vanished"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "home", "discharged_at": "2999-01-01T00:00:00Z"}, "discharged_at"),
        ({"outcome": "home", "discharged_at": "2000-01-01T00:00:00Z"}, "discharged_at"),
    ],
)
def test_invalid_discharge_changes_nothing(client_for, nurse, admission, data, field):
    before = snapshot(admission)
    response = client_for(nurse).post(detail(admission, "discharge/"), data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert snapshot(admission) == before


def test_discharge_cannot_be_dated_before_the_last_observation(client_for, nurse, admission):
    observation = record(admission, by=nurse, minutes_ago=30)
    before = snapshot(admission)
    response = client_for(nurse).post(
        detail(admission, "discharge/"),
        {
            "outcome": "home",
            "discharged_at": (observation.recorded_at - dt.timedelta(minutes=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "discharged_at": ["The patient was observed or moved after this time."]
    }
    assert snapshot(admission) == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.THERAPIST, Role.VIEWER])
def test_only_clinical_staff_discharge(client_for, make_member, admission, role):
    before = snapshot(admission)
    response = client_for(make_member(role)).post(
        detail(admission, "discharge/"), {"outcome": "home"}
    )
    assert response.status_code == 403
    assert snapshot(admission) == before


# Physician-only settings ----------------------------------------------------------------


def test_physician_sets_spo2_scale_2_with_who_and_when(client_for, physician, admission):
    response = client_for(physician).patch(detail(admission), {"spo2_scale": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["spo2_scale"] == 2
    assert body["spo2_scale_set_by"]["id"] == str(physician.public_id)
    admission.refresh_from_db()
    assert admission.spo2_scale == 2
    assert admission.spo2_scale_set_by == physician
    assert timezone.now() - admission.spo2_scale_set_at < dt.timedelta(minutes=1)


def test_scale_2_applies_to_observations_from_then_on(client_for, physician, nurse, admission):
    # SpO2 90 % on air: 3 on scale 1, 0 on scale 2 (target 88-92 %).
    values = vitals(spo2=90)
    before = record(admission, by=nurse, minutes_ago=30, **values)
    client_for(physician).patch(detail(admission), {"spo2_scale": 2})
    after = client_for(nurse).post(detail(admission, "observations/"), values).json()

    assert before.news2["components"]["spo2"] == 3
    assert after["spo2_scale"] == 2
    assert after["news2"]["components"]["spo2"] == 0
    before.refresh_from_db()
    assert before.spo2_scale == 1
    assert before.news2["components"]["spo2"] == 3


@pytest.mark.parametrize(
    "data",
    [
        {"spo2_scale": 2},
        {"interval_override_minutes": 30, "interval_override_reason": "Post-op"},
        {"interval_override_minutes": None},
        # Refused for the role before the value is even looked at.
        {"interval_override_minutes": 30},
        {"spo2_scale": 7, "pregnant": True},
    ],
)
@pytest.mark.parametrize("role", [Role.NURSE, Role.ADMIN, Role.THERAPIST, Role.VIEWER])
def test_clinical_settings_are_physician_only(client_for, make_member, admission, data, role):
    before = snapshot(admission)
    response = client_for(make_member(role)).patch(detail(admission), data)
    assert response.status_code == 403
    assert snapshot(admission) == before


def test_physician_overrides_the_interval(client_for, physician, nurse, admission):
    observation = record(admission, by=nurse, minutes_ago=10)
    # A complete NEWS2 of 0: next check in 12 h.
    admission.refresh_from_db()
    assert admission.next_due_at == observation.recorded_at + dt.timedelta(hours=12)

    response = client_for(physician).patch(
        detail(admission),
        {"interval_override_minutes": 30, "interval_override_reason": "Post-op bleeding risk"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["interval_override_minutes"] == 30
    assert body["interval_override_reason"] == "Post-op bleeding risk"
    assert body["interval_override_by"]["id"] == str(physician.public_id)
    admission.refresh_from_db()
    assert admission.interval_override_by == physician
    assert timezone.now() - admission.interval_override_at < dt.timedelta(minutes=1)
    assert admission.next_due_at == observation.recorded_at + dt.timedelta(minutes=30)
    assert parse(body["next_due_at"]) == admission.next_due_at

    cleared = client_for(physician).patch(detail(admission), {"interval_override_minutes": None})
    assert cleared.status_code == 200
    admission.refresh_from_db()
    assert admission.interval_override_minutes is None
    assert admission.interval_override_reason == ""
    assert admission.next_due_at == observation.recorded_at + dt.timedelta(hours=12)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"interval_override_minutes": 30}, "interval_override_reason"),
        (
            {"interval_override_minutes": 30, "interval_override_reason": "  "},
            "interval_override_reason",
        ),
        (
            {"interval_override_minutes": 1, "interval_override_reason": "x"},
            "interval_override_minutes",
        ),
        ({"spo2_scale": 3}, "spo2_scale"),
        ({"protocol": "malaria"}, "protocol"),
        ({}, "non_field_errors"),
    ],
)
def test_invalid_admission_edit_changes_nothing(client_for, physician, admission, data, field):
    before = snapshot(admission)
    response = client_for(physician).patch(detail(admission), data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert snapshot(admission) == before


def test_nurse_edits_plain_details(client_for, nurse, admission, physician):
    response = client_for(nurse).patch(
        detail(admission), {"pregnant": True, "attending_physician": str(physician.public_id)}
    )
    assert response.status_code == 200
    admission.refresh_from_db()
    assert admission.pregnant is True
    assert admission.attending_physician == physician


def test_switching_to_the_dengue_protocol_starts_the_febrile_phase(client_for, nurse, admission):
    response = client_for(nurse).patch(detail(admission), {"protocol": "dengue"})
    assert response.status_code == 200
    assert response.json()["phase"] == "febrile"
    assert [c.to_phase for c in admission.phase_changes.all()] == ["febrile"]


def test_closed_admission_cannot_be_edited(client_for, physician, nurse, admission):
    client_for(nurse).post(detail(admission, "discharge/"), {"outcome": "home"})
    before = snapshot(admission)
    response = client_for(physician).patch(detail(admission), {"spo2_scale": 2})
    assert response.status_code == 409
    assert snapshot(admission) == before


def test_outsider_cannot_edit(client_for, outsider, admission):
    before = snapshot(admission)
    assert client_for(outsider).patch(detail(admission), {"pregnant": True}).status_code == 404
    assert snapshot(admission) == before


# Dengue phase ---------------------------------------------------------------------------


def test_physician_sets_the_phase_and_every_change_is_kept(
    client_for, physician, nurse, viewer, dengue
):
    client = client_for(physician)
    response = client.post(detail(dengue, "phase/"), {"phase": "critical", "note": "Defervescence"})
    assert response.status_code == 200
    assert response.json()["phase"] == "critical"
    assert client.post(detail(dengue, "phase/"), {"phase": "recovery"}).status_code == 200

    changes = client_for(viewer).get(detail(dengue, "phase-changes/"))
    assert changes.status_code == 200
    assert [
        (c["from_phase"], c["to_phase"], c["note"], (c["changed_by"] or {}).get("id"))
        for c in changes.json()
    ] == [
        ("", "febrile", "Set on admission", str(nurse.public_id)),
        ("febrile", "critical", "Defervescence", str(physician.public_id)),
        ("critical", "recovery", "", str(physician.public_id)),
    ]
    dengue.refresh_from_db()
    assert dengue.phase == "recovery"


def test_critical_phase_caps_the_interval_at_2_hours(client_for, physician, nurse, dengue):
    observation = record(dengue, by=nurse, minutes_ago=10)
    dengue.refresh_from_db()
    assert dengue.next_due_at == observation.recorded_at + dt.timedelta(hours=12)

    client_for(physician).post(detail(dengue, "phase/"), {"phase": "critical"})

    dengue.refresh_from_db()
    assert dengue.next_due_at == observation.recorded_at + dt.timedelta(hours=2)


@pytest.mark.parametrize("role", [Role.NURSE, Role.ADMIN, Role.THERAPIST, Role.VIEWER])
def test_phase_is_physician_only(client_for, make_member, dengue, role):
    before = snapshot(dengue)
    response = client_for(make_member(role)).post(detail(dengue, "phase/"), {"phase": "critical"})
    assert response.status_code == 403
    assert snapshot(dengue) == before
    assert dengue.phase_changes.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phase": "febrile"}, "The admission is already in this phase."),
        ({"phase": "shock"}, '"shock" is not a valid choice.'),
    ],
)
def test_invalid_phase_changes_nothing(client_for, physician, dengue, data, message):
    before = snapshot(dengue)
    response = client_for(physician).post(detail(dengue, "phase/"), data)
    assert response.status_code == 400
    assert response.json()["errors"] == {"phase": [message]}
    assert snapshot(dengue) == before
    assert dengue.phase_changes.count() == 1


def test_general_admission_has_no_phase(client_for, physician, admission):
    response = client_for(physician).post(detail(admission, "phase/"), {"phase": "critical"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"phase": ["Only dengue admissions have a phase."]}
    assert not PhaseChange.objects.exists()


def test_outsider_cannot_set_the_phase(client_for, outsider, dengue):
    before = snapshot(dengue)
    response = client_for(outsider).post(detail(dengue, "phase/"), {"phase": "critical"})
    assert response.status_code == 404
    assert snapshot(dengue) == before


def test_medium_score_sets_the_admission_due_in_an_hour(client_for, nurse, admission):
    response = client_for(nurse).post(detail(admission, "observations/"), VITALS_MEDIUM_6)
    observation = Observation.objects.get()
    admission.refresh_from_db()
    assert response.status_code == 201
    assert admission.next_due_at == observation.recorded_at + dt.timedelta(hours=1)
    assert admission.latest_observation == observation


@pytest.mark.parametrize("who", ["nurse", "outsider"])
def test_attending_physician_edit_must_name_a_physician_here(
    client_for, nurse, outsider, admission, who
):
    user = {"nurse": nurse, "outsider": outsider}[who]
    before = snapshot(admission)
    response = client_for(nurse).patch(
        detail(admission), {"attending_physician": str(user.public_id)}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "attending_physician": ["Choose a physician of this organisation."]
    }
    assert snapshot(admission) == before


@pytest.mark.parametrize(
    "action",
    [
        lambda client, a, ward_b, me: client.patch(detail(a), {"spo2_scale": 2}),
        lambda client, a, ward_b, me: client.patch(
            detail(a), {"attending_physician": str(me.public_id)}
        ),
        lambda client, a, ward_b, me: client.post(detail(a, "transfer/"), {"ward": str(ward_b.pk)}),
    ],
)
def test_an_edit_does_not_undo_an_observation_recorded_meanwhile(
    client_for, physician, nurse, ward_b, admission, action, monkeypatch
):
    # The physician's request reads the admission, then a nurse's set is stored before
    # the edit is saved.
    real = views.AdmissionViewSet.get_object

    def get_object_then_record(self):
        found = real(self)
        record(admission, by=nurse, minutes_ago=1, **VITALS_MEDIUM_6)
        return found

    monkeypatch.setattr(views.AdmissionViewSet, "get_object", get_object_then_record)

    response = action(client_for(physician), admission, ward_b, physician)

    assert response.status_code == 200
    observation = Observation.objects.get()
    admission.refresh_from_db()
    assert admission.latest_observation == observation
    assert admission.next_due_at == observation.recorded_at + dt.timedelta(hours=1)

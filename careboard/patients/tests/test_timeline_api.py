"""GET /api/v1/patients/{id}/timeline/: what happened to a patient and their record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from careboard.organizations.models import Organization, Ward
from careboard.organizations.tests.factories import WardFactory
from careboard.patients import services
from careboard.patients.models import Admission, Observation, Patient
from careboard.users.models import User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]
PROBLEM = "application/problem+json"


def url(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.pk}/timeline/"


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def ref(user: User) -> dict[str, str]:
    return {"id": str(user.public_id), "name": user.get_full_name()}


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def patient(organization: Organization) -> Patient:
    return services.patient_create(
        organization=organization,
        mrn="MRN-1",
        given_name="Ada",
        family_name="Lovelace",
        birth_date=date(1980, 5, 17),
        sex="female",
    )


@pytest.fixture
def admission(patient: Patient, ward: Ward, nurse: User, now: datetime) -> Admission:
    return services.admission_admit(
        patient=patient, ward=ward, by=nurse, bed="4", admitted_at=now - timedelta(days=2)
    )


def record(admission: Admission, by: User, at: datetime, **values: Any) -> Observation:
    return services.observation_record(admission=admission, by=by, values=values, recorded_at=at)


def entries(client: APIClient, patient: Patient, **query: Any) -> list[dict[str, Any]]:
    response = client.get(url(patient), {"page_size": 200, **query})
    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    return results


# Happy path -------------------------------------------------------------------------------


def test_a_stay_is_told_newest_first(
    patient: Patient,
    ward: Ward,
    organization: Organization,
    nurse: User,
    physician: User,
    now: datetime,
    client_for: ClientFor,
) -> None:
    admitted_at = now - timedelta(days=2)
    admission = services.admission_admit(
        patient=patient, ward=ward, by=nurse, bed="4", admitted_at=admitted_at, protocol="dengue"
    )
    first = record(admission, nurse, admitted_at + timedelta(hours=1), heart_rate=Decimal(100))
    second = record(admission, nurse, admitted_at + timedelta(hours=2), heart_rate=Decimal(80))
    record(admission, nurse, admitted_at + timedelta(hours=3), spo2=Decimal(97))
    ward_b = WardFactory.create(organization=organization, name="Ward B")
    services.admission_transfer(
        admission=admission, by=nurse, ward=ward_b, bed="7", at=admitted_at + timedelta(hours=4)
    )
    services.observation_amend(
        observation=first, by=nurse, changes={"heart_rate": Decimal(120)}, reason="Misread"
    )
    services.observation_mark_entered_in_error(observation=second, by=nurse, reason="Wrong bed")
    services.admission_set_phase(admission=admission, by=physician, phase="critical")
    services.admission_set_spo2_scale(admission=admission, by=physician, scale=2)
    services.patient_update(patient=patient, phone="+44 20 7946 0000")
    services.admission_discharge(admission=admission, by=nurse, outcome="home")

    result = entries(client_for(nurse), patient)

    assert [entry["kind"] for entry in result] == [
        "admission.discharged",
        "patient.changed",
        "admission.changed",
        "phase.changed",
        "observation.entered_in_error",
        "observation.amended",
        "admission.transferred",
        "observation.recorded",
        "observation.recorded",
        "observation.recorded",
        "phase.changed",
        "admission.admitted",
    ]
    ats = [entry["at"] for entry in result]
    assert ats == sorted(ats, reverse=True)
    assert result[-1] == {
        "at": iso(admitted_at),
        "kind": "admission.admitted",
        "by": {"id": str(nurse.public_id), "name": nurse.get_full_name()},
        "summary": "Admitted to Ward A, bed 4.",
        "changes": [],
        "ref": {"admission": str(admission.pk)},
    }


def test_recorded_observation_entry(
    patient: Patient, admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    at = now - timedelta(hours=5)
    observation = record(admission, nurse, at, temperature=Decimal("38.5"), heart_rate=Decimal(100))

    (entry,) = [e for e in entries(client_for(nurse), patient) if e["kind"].startswith("obs")]

    assert entry == {
        "at": iso(at),
        "kind": "observation.recorded",
        "by": ref(nurse),
        "summary": "Observations recorded (NEWS2 2, low).",
        "changes": [],
        "ref": {"admission": str(admission.pk), "observation": str(observation.pk)},
    }


def test_amendment_lists_each_changed_value_before_and_after(
    patient: Patient,
    admission: Admission,
    nurse: User,
    colleague: User,
    now: datetime,
    client_for: ClientFor,
) -> None:
    at = now - timedelta(hours=5)
    observation = record(admission, nurse, at, temperature=Decimal("38.5"), heart_rate=Decimal(100))
    corrected_at = now - timedelta(hours=4)
    services.observation_amend(
        observation=observation,
        by=colleague,
        changes={"heart_rate": Decimal(120), "recorded_at": corrected_at},
        reason="Misread the monitor",
    )
    observation.refresh_from_db()
    assert observation.status_changed_at is not None

    result = entries(client_for(nurse), patient)

    assert [e["kind"] for e in result] == [
        "observation.amended",
        "observation.recorded",
        "admission.admitted",
    ]
    assert result[0] == {
        "at": iso(observation.status_changed_at),
        "kind": "observation.amended",
        "by": ref(colleague),
        "summary": "Observations amended: Misread the monitor",
        "changes": [
            {"field": "heart_rate", "before": 100, "after": 120},
            {"field": "news2_total", "before": 2, "after": 3},
            {"field": "recorded_at", "before": iso(at), "after": iso(corrected_at)},
        ],
        "ref": {"admission": str(admission.pk), "observation": str(observation.pk)},
    }
    # The recording is told as it was recorded: when, by whom, and its score then.
    assert result[1]["at"] == iso(corrected_at)
    assert result[1]["by"] == ref(nurse)
    assert result[1]["summary"] == "Observations recorded (NEWS2 2, low)."


def test_each_amendment_is_its_own_entry(
    patient: Patient, admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    observation = record(admission, nurse, now - timedelta(hours=1), spo2=Decimal(90))
    services.observation_amend(
        observation=observation, by=nurse, changes={"spo2": Decimal(93)}, reason="First"
    )
    services.observation_amend(
        observation=observation, by=nurse, changes={"spo2": Decimal(96)}, reason="Second"
    )
    # Rescoring saves the observation again, but nobody amended it.
    services.admission_rescore(admission=admission)

    amended = [e for e in entries(client_for(nurse), patient) if e["kind"].endswith("amended")]

    assert [(e["summary"], e["changes"][-1]) for e in amended] == [
        ("Observations amended: Second", {"field": "spo2", "before": 93, "after": 96}),
        ("Observations amended: First", {"field": "spo2", "before": 90, "after": 93}),
    ]


def test_entered_in_error_entry(
    patient: Patient,
    admission: Admission,
    nurse: User,
    physician: User,
    now: datetime,
    client_for: ClientFor,
) -> None:
    observation = record(admission, nurse, now - timedelta(hours=1), spo2=Decimal(97))
    services.observation_mark_entered_in_error(
        observation=observation, by=physician, reason="Another patient's values"
    )
    observation.refresh_from_db()
    assert observation.status_changed_at is not None

    (entry,) = [e for e in entries(client_for(nurse), patient) if e["kind"].endswith("error")]

    assert entry == {
        "at": iso(observation.status_changed_at),
        "kind": "observation.entered_in_error",
        "by": ref(physician),
        "summary": "Observations marked entered in error: Another patient's values",
        "changes": [{"field": "status", "before": "final", "after": "entered_in_error"}],
        "ref": {"admission": str(admission.pk), "observation": str(observation.pk)},
    }


def test_transfer_entry_names_the_wards_and_beds(
    patient: Patient,
    admission: Admission,
    organization: Organization,
    ward: Ward,
    nurse: User,
    now: datetime,
    client_for: ClientFor,
) -> None:
    ward_b = WardFactory.create(organization=organization, name="Ward B")
    at = now - timedelta(hours=3)
    admission = services.admission_transfer(
        admission=admission, by=nurse, ward=ward_b, bed="", at=at
    )
    move = admission.moves.get()

    (entry,) = [e for e in entries(client_for(nurse), patient) if e["kind"].endswith("ferred")]

    assert entry == {
        "at": iso(at),
        "kind": "admission.transferred",
        "by": ref(nurse),
        "summary": "Moved from Ward A, bed 4 to Ward B.",
        "changes": [
            {"field": "ward", "before": "Ward A", "after": "Ward B"},
            {"field": "bed", "before": "4", "after": ""},
        ],
        "ref": {
            "admission": str(admission.pk),
            "move": str(move.pk),
            "from_ward": str(ward.pk),
            "to_ward": str(ward_b.pk),
        },
    }
    # The admission is told where it began, not where the patient is now.
    assert entries(client_for(nurse), patient)[-1]["summary"] == "Admitted to Ward A, bed 4."


def test_phase_changes_with_their_notes(
    patient: Patient,
    ward: Ward,
    nurse: User,
    physician: User,
    now: datetime,
    client_for: ClientFor,
) -> None:
    admitted_at = now - timedelta(days=1)
    admission = services.admission_admit(
        patient=patient, ward=ward, by=nurse, admitted_at=admitted_at, protocol="dengue"
    )
    services.admission_set_phase(
        admission=admission, by=physician, phase="critical", note="Plasma leakage"
    )
    critical = admission.phase_changes.get(to_phase="critical")
    initial = admission.phase_changes.get(to_phase="febrile")

    phases = [e for e in entries(client_for(nurse), patient) if e["kind"] == "phase.changed"]

    assert phases == [
        {
            "at": iso(critical.changed_at),
            "kind": "phase.changed",
            "by": ref(physician),
            "summary": "Dengue phase changed from Febrile to Critical. Plasma leakage",
            "changes": [{"field": "phase", "before": "febrile", "after": "critical"}],
            "ref": {"admission": str(admission.pk), "phase_change": str(critical.pk)},
        },
        {
            "at": iso(admitted_at),
            "kind": "phase.changed",
            "by": ref(nurse),
            "summary": "Dengue phase set to Febrile. Set on admission",
            "changes": [{"field": "phase", "before": "", "after": "febrile"}],
            "ref": {"admission": str(admission.pk), "phase_change": str(initial.pk)},
        },
    ]


def test_clinical_settings_of_the_admission_are_told_with_who_set_them(
    patient: Patient, admission: Admission, physician: User, client_for: ClientFor
) -> None:
    services.admission_set_spo2_scale(admission=admission, by=physician, scale=2)
    services.admission_set_interval_override(
        admission=admission, by=physician, minutes=30, reason="Post-op"
    )

    changed = [e for e in entries(client_for(physician), patient) if e["kind"].endswith("changed")]

    assert [(e["by"], e["summary"], e["changes"]) for e in changed] == [
        (
            ref(physician),
            ("Admission changed: observation interval override, reason for the interval override."),
            [
                {"field": "interval_override_minutes", "before": None, "after": 30},
                {"field": "interval_override_reason", "before": "", "after": "Post-op"},
            ],
        ),
        (
            ref(physician),
            "Admission changed: SpO2 scale.",
            [{"field": "spo2_scale", "before": 1, "after": 2}],
        ),
    ]
    assert changed[0]["ref"] == {"admission": str(admission.pk)}


def test_observations_do_not_make_admission_changes(
    patient: Patient, admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    # Each observation updates the admission's next due time (and so its history).
    record(admission, nurse, now - timedelta(hours=2), spo2=Decimal(97))
    record(admission, nurse, now - timedelta(hours=1), spo2=Decimal(96))

    kinds = [e["kind"] for e in entries(client_for(nurse), patient)]

    assert kinds == ["observation.recorded", "observation.recorded", "admission.admitted"]


def test_patient_record_edits_show_before_and_after(
    patient: Patient, nurse: User, client_for: ClientFor
) -> None:
    services.patient_update(patient=patient, given_name="Augusta Ada", phone="+44 1")
    services.patient_update(patient=patient, birth_date=date(1980, 5, 18))
    services.patient_update(patient=patient, phone="+44 1")  # saved, nothing changed

    result = entries(client_for(nurse), patient)

    assert [(e["kind"], e["summary"], e["changes"]) for e in result] == [
        (
            "patient.changed",
            "Patient record changed: date of birth.",
            [{"field": "birth_date", "before": "1980-05-17", "after": "1980-05-18"}],
        ),
        (
            "patient.changed",
            "Patient record changed: given name, phone.",
            [
                {"field": "given_name", "before": "Ada", "after": "Augusta Ada"},
                {"field": "phone", "before": "", "after": "+44 1"},
            ],
        ),
    ]
    assert result[0]["ref"] == {"patient": str(patient.pk)}
    assert result[0]["by"] is None  # changed by a service call, outside a request


def test_changes_made_through_the_api_name_who_made_them(
    patient: Patient, admission: Admission, nurse: User, client_for: ClientFor
) -> None:
    client = client_for(nurse)
    edited = client.patch(f"/api/v1/patients/{patient.pk}/", {"phone": "+44 2"})
    discharged = client.post(f"/api/v1/admissions/{admission.pk}/discharge/", {"outcome": "home"})
    assert (edited.status_code, discharged.status_code) == (200, 200)

    result = entries(client, patient)

    assert [(e["kind"], e["by"]) for e in result] == [
        ("admission.discharged", ref(nurse)),
        ("patient.changed", ref(nurse)),
        ("admission.admitted", ref(nurse)),
    ]
    assert result[0]["summary"] == "Discharged: Discharged home."
    assert result[0]["changes"] == [{"field": "outcome", "before": "", "after": "home"}]


def test_admissions_of_other_patients_are_not_included(
    patient: Patient,
    admission: Admission,
    organization: Organization,
    ward: Ward,
    nurse: User,
    now: datetime,
    client_for: ClientFor,
) -> None:
    other = services.patient_create(
        organization=organization,
        mrn="MRN-2",
        given_name="Grace",
        family_name="Hopper",
        birth_date=date(1975, 12, 9),
        sex="female",
    )
    other_admission = services.admission_admit(patient=other, ward=ward, by=nurse)
    record(other_admission, nurse, timezone.now(), spo2=Decimal(90))

    result = entries(client_for(nurse), patient)

    assert [e["ref"] for e in result] == [{"admission": str(admission.pk)}]


def test_a_patient_never_admitted_has_an_empty_timeline(
    patient: Patient, nurse: User, client_for: ClientFor
) -> None:
    response = client_for(nurse).get(url(patient))

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


# Pagination -------------------------------------------------------------------------------


def test_pages_through_the_timeline(
    patient: Patient, admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    for hours in range(5, 0, -1):
        record(admission, nurse, now - timedelta(hours=hours), spo2=Decimal(90 + hours))
    client = client_for(nurse)

    first = client.get(url(patient), {"page_size": 4}).json()
    second = client.get(url(patient), {"page_size": 4, "page": 2}).json()

    assert first["count"] == 6
    assert first["previous"] is None
    assert first["next"] == f"http://testserver{url(patient)}?page=2&page_size=4"
    assert second["next"] is None
    assert [e["kind"] for e in first["results"]] == ["observation.recorded"] * 4
    assert [e["kind"] for e in second["results"]] == ["observation.recorded", "admission.admitted"]
    assert first["results"][0]["at"] == iso(now - timedelta(hours=1))
    assert second["results"][0]["at"] == iso(now - timedelta(hours=5))


def test_default_page_size_is_50(
    patient: Patient, admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    for minutes in range(55, 0, -1):
        record(admission, nurse, now - timedelta(minutes=minutes), spo2=Decimal(95))

    body = client_for(nurse).get(url(patient)).json()

    assert body["count"] == 56
    assert len(body["results"]) == 50


def test_page_past_the_end_is_404(
    patient: Patient, admission: Admission, nurse: User, client_for: ClientFor
) -> None:
    response = client_for(nurse).get(url(patient), {"page": 2})

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


# Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "physician", "nurse", "therapist", "viewer"])
def test_every_role_of_the_organisation_may_read(
    patient: Patient,
    admission: Admission,
    client_for: ClientFor,
    request: pytest.FixtureRequest,
    role: str,
) -> None:
    user = request.getfixturevalue(role)

    response = client_for(user).get(url(patient))

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_anonymous_gets_401(patient: Patient, client_for: ClientFor) -> None:
    response = client_for(None).get(url(patient))

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_outsider_gets_404(
    patient: Patient, admission: Admission, outsider: User, client_for: ClientFor
) -> None:
    response = client_for(outsider).get(url(patient))

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert "Ward A" not in response.content.decode()


def test_unknown_patient_is_404(nurse: User, client_for: ClientFor) -> None:
    response = client_for(nurse).get(
        "/api/v1/patients/00000000-0000-0000-0000-000000000000/timeline/"
    )

    assert response.status_code == 404


# Queries ----------------------------------------------------------------------------------


def _busy_stay(
    patient: Patient, ward: Ward, nurse: User, physician: User, observations: int
) -> None:
    """An admission with ``observations`` observations, every third amended and every fifth
    entered in error, a transfer, phase changes, a setting change, record edits."""
    now = timezone.now()
    admitted_at = now - timedelta(days=3)
    admission = services.admission_admit(
        patient=patient, ward=ward, by=nurse, admitted_at=admitted_at, protocol="dengue"
    )
    for index in range(observations):
        observation = record(
            admission, nurse, admitted_at + timedelta(minutes=index + 1), spo2=Decimal(95)
        )
        if index % 3 == 0:
            services.observation_amend(
                observation=observation, by=nurse, changes={"spo2": Decimal(94)}, reason="Fix"
            )
        elif index % 5 == 0:
            services.observation_mark_entered_in_error(
                observation=observation, by=nurse, reason="Wrong"
            )
    other_ward = WardFactory.create(organization=ward.organization)
    services.admission_transfer(admission=admission, by=nurse, ward=other_ward)
    services.admission_set_phase(admission=admission, by=physician, phase="critical")
    services.admission_set_spo2_scale(admission=admission, by=physician, scale=2)
    services.patient_update(patient=patient, phone=f"+44 {observations}")
    services.admission_discharge(admission=admission, by=nurse, outcome="home")


def _count_queries(
    client: APIClient, patient: Patient, assert_max: Any, limit: int
) -> tuple[int, int]:
    with assert_max(limit) as captured:
        response = client.get(url(patient), {"page_size": 200})
    assert response.status_code == 200
    return len(captured), response.json()["count"]


def test_query_count_does_not_grow_with_the_number_of_entries(
    organization: Organization,
    ward: Ward,
    nurse: User,
    physician: User,
    client_for: ClientFor,
    django_assert_max_num_queries: Any,
) -> None:
    few = services.patient_create(
        organization=organization,
        mrn="FEW",
        given_name="Few",
        family_name="Entries",
        birth_date=date(1990, 1, 1),
        sex="male",
    )
    many = services.patient_create(
        organization=organization,
        mrn="MANY",
        given_name="Many",
        family_name="Entries",
        birth_date=date(1990, 1, 1),
        sex="male",
    )
    _busy_stay(few, ward, nurse, physician, observations=3)
    _busy_stay(many, ward, nurse, physician, observations=30)
    client = client_for(nurse)
    client.get(url(few))  # authenticate once (token last-used)

    # 14 reads and the access-log row (one INSERT).
    few_queries, few_count = _count_queries(client, few, django_assert_max_num_queries, 15)
    many_queries, many_count = _count_queries(client, many, django_assert_max_num_queries, 15)

    assert (few_count, many_count) == (3 + 1 + 7, 30 + 10 + 4 + 7)
    assert few_queries == many_queries

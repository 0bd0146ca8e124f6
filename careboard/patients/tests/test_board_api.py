"""/api/v1/wards/{id}/board/: the live board of one ward."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careboard.organizations.tests.factories import WardFactory
from careboard.patients import services
from careboard.patients.tests.factories import (
    VITALS_HIGH_8,
    VITALS_MEDIUM_6,
    VITALS_SCORE_0,
    PatientFactory,
    admit,
    record,
    vitals,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def url(ward) -> str:
    return f"/api/v1/wards/{ward.pk}/board/"


def age_today(birth_date: dt.date) -> int:
    today = timezone.now().astimezone(BERLIN).date()
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def test_row_carries_who_where_latest_scores_and_due(client_for, viewer, nurse, ward, organization):
    patient = PatientFactory.create(
        organization=organization,
        mrn="B-1",
        given_name="Rosalind",
        family_name="Franklin",
        birth_date=dt.date(1960, 7, 25),
        sex="female",
    )
    admission = admit(ward=ward, by=nurse, patient=patient, bed="4", hours_ago=24)
    record(admission, by=nurse, minutes_ago=90, **VITALS_SCORE_0)
    latest = record(admission, by=nurse, minutes_ago=10, **VITALS_MEDIUM_6)

    response = client_for(viewer).get(url(ward))

    assert response.status_code == 200
    body = response.json()
    assert body["ward"] == {"id": str(ward.pk), "name": "Ward A"}
    assert len(body["rows"]) == 1
    row = body["rows"][0]
    assert row == {
        "admission_id": str(admission.pk),
        "ward_id": str(ward.pk),
        "ward_name": "Ward A",
        "bed": "4",
        "patient": {
            "id": str(patient.pk),
            "given_name": "Rosalind",
            "family_name": "Franklin",
            "mrn": "B-1",
            "age": age_today(dt.date(1960, 7, 25)),
            "sex": "female",
        },
        "admitted_at": admission.admitted_at.isoformat(),
        "protocol": "general",
        "phase": None,
        "spo2_scale": 1,
        "interval_override_minutes": None,
        "latest": {
            "id": str(latest.pk),
            "recorded_at": latest.recorded_at.isoformat(),
            "values": {
                "temperature": 38.5,
                "heart_rate": 95,
                "respiratory_rate": 22,
                "systolic_bp": 105,
                "diastolic_bp": 70,
                "spo2": 95,
                "on_oxygen": False,
                "oxygen_flow": None,
                "consciousness": "A",
                "pain_score": None,
            },
            "news2_total": 6,
            "news2_band": "medium",
            "news2_single_3": False,
            "news2_complete": True,
            "news2_applicable": True,
            "news2_reason": None,
            "dengue_class": None,
            "dengue_reasons": [],
            "suggests_critical_phase": False,
        },
        "trend": "up",
        "previous_news2_total": 0,
        "next_due_at": (latest.recorded_at + dt.timedelta(hours=1)).isoformat(),
        "overdue_minutes": 0,
        "never_observed": False,
    }


@pytest.mark.parametrize(
    ("first", "second", "trend"),
    [
        (VITALS_SCORE_0, VITALS_MEDIUM_6, "up"),
        (VITALS_MEDIUM_6, VITALS_SCORE_0, "down"),
        (VITALS_MEDIUM_6, VITALS_MEDIUM_6, "same"),
    ],
)
def test_trend_against_the_previous_total(client_for, nurse, ward, first, second, trend):
    admission = admit(ward=ward, by=nurse)
    record(admission, by=nurse, minutes_ago=60, **first)
    record(admission, by=nurse, minutes_ago=5, **second)
    assert client_for(nurse).get(url(ward)).json()["rows"][0]["trend"] == trend


def test_first_observation_has_no_trend(client_for, nurse, ward):
    record(admit(ward=ward, by=nurse), by=nurse, minutes_ago=5)
    row = client_for(nurse).get(url(ward)).json()["rows"][0]
    assert (row["trend"], row["previous_news2_total"]) == (None, None)


def test_rows_are_sorted_by_band_total_then_overdue_with_a_summary(
    client_for, nurse, physician, ward
):
    def patient(name: str, **kwargs):
        return admit(
            ward=ward,
            by=nurse,
            patient=PatientFactory.create(organization=ward.organization, family_name=name),
            hours_ago=24,
            **kwargs,
        )

    never = patient("Never")  # no observation: due since admission, 24 h overdue
    record(patient("Late2h"), by=nurse, minutes_ago=360, **vitals(heart_rate=95))  # low 1
    record(patient("Zero"), by=nurse, minutes_ago=5)  # low 0, due in 12 h
    record(patient("High"), by=nurse, minutes_ago=5, **VITALS_HIGH_8)
    record(patient("Late30"), by=nurse, minutes_ago=270, **vitals(heart_rate=95))  # low 1
    record(patient("Red3"), by=nurse, minutes_ago=5, **vitals(consciousness="V"))
    record(patient("Medium5"), by=nurse, minutes_ago=5, **vitals(VITALS_MEDIUM_6, spo2=97))
    record(patient("Medium6"), by=nurse, minutes_ago=5, **VITALS_MEDIUM_6)
    critical = patient("Dengue", protocol="dengue")
    services.admission_set_phase(admission=critical, by=physician, phase="critical")
    record(critical, by=nurse, minutes_ago=5, **vitals(heart_rate=95))  # low 1, due in 2 h

    body = client_for(nurse).get(url(ward)).json()

    rows = body["rows"]
    assert [r["patient"]["family_name"] for r in rows] == [
        "High",
        "Medium6",
        "Medium5",
        "Red3",
        "Late2h",
        "Late30",
        "Dengue",
        "Zero",
        "Never",
    ]
    assert [r["latest"] and r["latest"]["news2_total"] for r in rows] == [
        8,
        6,
        5,
        3,
        1,
        1,
        1,
        0,
        None,
    ]
    assert rows[3]["latest"]["news2_single_3"] is True
    assert 119 <= rows[4]["overdue_minutes"] <= 121
    assert 29 <= rows[5]["overdue_minutes"] <= 31
    assert rows[-1]["never_observed"] is True
    assert rows[-1]["next_due_at"] == never.admitted_at.isoformat()
    assert body["summary"] == {
        "patients": 9,
        "by_band": {"high": 1, "medium": 2, "low-medium": 1, "low": 4, "none": 1},
        "by_phase": {"febrile": 0, "critical": 1, "recovery": 0},
        "overdue": 3,
    }


def test_dengue_row_shows_phase_and_class(client_for, nurse, ward):
    admission = admit(ward=ward, by=nurse, protocol="dengue")
    record(admission, by=nurse, minutes_ago=5, **vitals(warning_signs=["persistent_vomiting"]))
    row = client_for(nurse).get(url(ward)).json()["rows"][0]
    assert (row["protocol"], row["phase"]) == ("dengue", "febrile")
    assert row["latest"]["dengue_class"] == "with_warning_signs"
    assert row["latest"]["dengue_reasons"] == [
        {"code": "persistent_vomiting", "text": "Persistent vomiting"}
    ]


def test_only_current_inpatients_of_this_ward(client_for, nurse, ward, organization):
    here = admit(ward=ward, by=nurse)
    gone = admit(ward=ward, by=nurse)
    services.admission_discharge(admission=gone, by=nurse, outcome="home")
    elsewhere = admit(ward=WardFactory.create(organization=organization, name="Ward B"), by=nurse)
    moved = admit(ward=ward, by=nurse)
    services.admission_transfer(admission=moved, by=nurse, ward=elsewhere.ward, bed="9")

    rows = client_for(nurse).get(url(ward)).json()["rows"]

    assert [r["admission_id"] for r in rows] == [str(here.pk)]


def test_entered_in_error_set_is_not_shown(client_for, nurse, ward):
    admission = admit(ward=ward, by=nurse)
    kept = record(admission, by=nurse, minutes_ago=60)
    wrong = record(admission, by=nurse, minutes_ago=5, **VITALS_HIGH_8)
    services.observation_mark_entered_in_error(observation=wrong, by=nurse, reason="Wrong bed")
    row = client_for(nurse).get(url(ward)).json()["rows"][0]
    assert row["latest"]["id"] == str(kept.pk)


def test_empty_ward(client_for, nurse, ward):
    body = client_for(nurse).get(url(ward)).json()
    assert body["rows"] == []
    assert body["summary"]["patients"] == 0


def _fill(ward, nurse, count: int) -> None:
    for index in range(count):
        admission = admit(ward=ward, by=nurse, bed=str(index), hours_ago=24)
        record(admission, by=nurse, minutes_ago=60, **VITALS_SCORE_0)
        record(admission, by=nurse, minutes_ago=5, **VITALS_MEDIUM_6)


def test_query_count_does_not_grow_with_the_number_of_patients(client_for, nurse, ward):
    client = client_for(nurse)
    client.get(url(ward))  # warm the token (its first use is recorded)

    _fill(ward, nurse, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url(ward)).json()["rows"]) == 1

    _fill(ward, nurse, 39)
    with CaptureQueriesContext(connection) as forty:
        assert len(client.get(url(ward)).json()["rows"]) == 40

    assert len(forty) == len(one), [q["sql"] for q in forty.captured_queries]


def test_outsider_gets_404(client_for, outsider, nurse, ward):
    admit(ward=ward, by=nurse)
    response = client_for(outsider).get(url(ward))
    assert response.status_code == 404
    assert "rows" not in response.json()


def test_unknown_ward_is_404(client_for, nurse):
    response = client_for(nurse).get("/api/v1/wards/00000000-0000-4000-8000-000000000000/board/")
    assert response.status_code == 404


def test_anonymous_caller_gets_401(api_client, ward):
    assert api_client.get(url(ward)).status_code == 401


# A real transaction: the board runs outside a request transaction, and DRF marks the
# test's own enclosing one for rollback when the view answers an error.
@pytest.mark.django_db(transaction=True)
def test_board_is_read_only(client_for, nurse, ward):
    admission = admit(ward=ward, by=nurse)
    assert client_for(nurse).post(url(ward), {}).status_code == 405
    admission.refresh_from_db()
    assert admission.is_current


def test_a_ward_id_that_is_not_an_id_is_404(client_for, nurse):
    response = client_for(nurse).get("/api/v1/wards/not-a-ward/board/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_board_runs_without_a_request_transaction(client_for, nurse, ward):
    # Two round trips fewer on the most read request; its one write (the access log's
    # INSERT) is atomic by itself.
    from django.db import connection

    from careboard.privacy.models import AccessAction, AccessLog

    admit(ward=ward, by=nurse)
    client = client_for(nurse)
    client.get(url(ward))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(ward))
    assert response.status_code == 200
    assert not [q for q in queries if q["sql"].upper().startswith(("BEGIN", "SAVEPOINT"))]
    assert AccessLog.objects.filter(action=AccessAction.WARD_BOARD).count() == 2

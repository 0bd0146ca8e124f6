"""/api/v1/admissions/{id}/observations/preview/: the scores a set would get, nothing stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.patients.models import Admission, Observation
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


def url(admission: Admission) -> str:
    return f"/api/v1/admissions/{admission.pk}/observations/preview/"


def record_url(admission: Admission) -> str:
    return f"/api/v1/admissions/{admission.pk}/observations/"


@pytest.fixture
def admission(ward, nurse, organization):
    return admit(
        ward=ward, by=nurse, patient=PatientFactory.create(organization=organization), hours_ago=24
    )


@pytest.fixture
def dengue(ward, nurse, organization):
    return admit(
        ward=ward,
        by=nurse,
        patient=PatientFactory.create(organization=organization),
        protocol="dengue",
        hours_ago=24,
    )


def stored_state(admission: Admission) -> tuple[Any, ...]:
    admission.refresh_from_db()
    return (
        Observation.objects.count(),
        admission.latest_observation_id,
        admission.next_due_at,
        admission.previous_news2_total,
    )


@pytest.mark.parametrize(
    "values",
    [
        VITALS_SCORE_0,
        VITALS_MEDIUM_6,
        VITALS_HIGH_8,
        {"heart_rate": 130},
        vitals(consciousness="P"),
    ],
)
def test_preview_gives_the_scores_recording_would_and_stores_nothing(
    client_for, nurse, admission, values, django_capture_on_commit_callbacks
):
    recorded_at = (timezone.now() - dt.timedelta(minutes=3)).isoformat()
    client = client_for(nurse)
    before = stored_state(admission)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        preview = client.post(url(admission), {**values, "recorded_at": recorded_at})

    assert preview.status_code == 200
    assert stored_state(admission) == before
    assert callbacks == []

    recorded = client.post(record_url(admission), {**values, "recorded_at": recorded_at}).json()
    body = preview.json()
    assert set(body) == {
        "shift",
        "news2",
        "dengue",
        "next_due_at",
        "due",
        "suggests_critical_phase",
    }
    assert {key: recorded[key] for key in body} == body


def test_preview_of_a_dengue_set_matches_recording(client_for, nurse, dengue):
    client = client_for(nurse)
    record(dengue, by=nurse, minutes_ago=300, **vitals(temperature=39.4, hematocrit=40.0))
    values = {
        **vitals(temperature=37.9, hematocrit=49.0, platelets=90),
        "warning_signs": ["abdominal_pain"],
        "recorded_at": (timezone.now() - dt.timedelta(minutes=1)).isoformat(),
    }

    body = client.post(url(dengue), values).json()
    assert Observation.objects.count() == 1
    recorded = client.post(record_url(dengue), values).json()

    assert body["dengue"]["classification"] == "with_warning_signs"
    assert [r["code"] for r in body["dengue"]["reasons"]] == ["abdominal_pain", "hct_rise_20pct"]
    assert body["suggests_critical_phase"] is True
    assert {key: recorded[key] for key in body} == body


def test_preview_without_time_scores_now(client_for, nurse, admission):
    body = client_for(nurse).post(url(admission), VITALS_MEDIUM_6).json()
    due = dt.datetime.fromisoformat(body["next_due_at"])
    assert abs(due - (timezone.now() + dt.timedelta(hours=1))) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"spo2": 101}, "spo2"),
        ({"systolic_bp": 100, "diastolic_bp": 120}, "diastolic_bp"),
        ({"consciousness": "X"}, "consciousness"),
        ({"warning_signs": ["itchy_feet"]}, "warning_signs[0]"),
        ({"recorded_at": "2999-01-01T00:00:00Z"}, "recorded_at"),
        ({"recorded_at": "2000-01-01T00:00:00Z"}, "recorded_at"),
    ],
)
def test_preview_refuses_what_recording_would(client_for, nurse, admission, change, field):
    client = client_for(nurse)
    preview = client.post(url(admission), {**VITALS_SCORE_0, **change})
    recorded = client.post(record_url(admission), {**VITALS_SCORE_0, **change})
    assert preview.status_code == recorded.status_code == 400
    assert list(preview.json()["errors"]) == list(recorded.json()["errors"]) == [field]
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.PHYSICIAN, 200),
        (Role.NURSE, 200),
        (Role.ADMIN, 403),
        (Role.THERAPIST, 403),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_preview(client_for, make_member, admission, role, expected):
    before = stored_state(admission)
    response = client_for(make_member(role)).post(url(admission), VITALS_SCORE_0)
    assert response.status_code == expected
    assert stored_state(admission) == before


def test_outsider_gets_404(client_for, outsider, admission):
    before = stored_state(admission)
    assert client_for(outsider).post(url(admission), VITALS_SCORE_0).status_code == 404
    assert stored_state(admission) == before


def test_anonymous_caller_gets_401(api_client, admission):
    before = stored_state(admission)
    assert api_client.post(url(admission), VITALS_SCORE_0).status_code == 401
    assert stored_state(admission) == before


def test_discharged_admission_cannot_be_previewed(client_for, nurse, admission):
    client = client_for(nurse)
    client.post(f"/api/v1/admissions/{admission.pk}/discharge/", {"outcome": "home"})
    response = client.post(url(admission), VITALS_SCORE_0)
    assert response.status_code == 409

"""/api/v1/observations/{id}/: read, amend with a reason (history keeps both versions) and
mark entered-in-error (stays in the record, stops counting)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.patients.models import Observation
from careboard.patients.tests.factories import (
    VITALS_MEDIUM_6,
    VITALS_SCORE_0,
    PatientFactory,
    admit,
    record,
)

pytestmark = pytest.mark.django_db


def url(observation: Observation, suffix: str = "") -> str:
    return f"/api/v1/observations/{observation.pk}/{suffix}"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@pytest.fixture
def admission(ward, nurse, organization):
    return admit(
        ward=ward, by=nurse, patient=PatientFactory.create(organization=organization), hours_ago=24
    )


@pytest.fixture
def earlier(admission, nurse):
    return record(admission, by=nurse, minutes_ago=240, **VITALS_SCORE_0)


@pytest.fixture
def observation(admission, nurse, earlier):
    """The latest set: medium, 6."""
    return record(admission, by=nurse, minutes_ago=20, **VITALS_MEDIUM_6)


def snapshot(observation: Observation) -> dict[str, Any]:
    observation.refresh_from_db()
    return {
        field.attname: getattr(observation, field.attname)
        for field in Observation._meta.concrete_fields
    }


def board_latest(client, ward) -> dict[str, Any]:
    rows = client.get(f"/api/v1/wards/{ward.pk}/board/").json()["rows"]
    assert len(rows) == 1
    latest: dict[str, Any] = rows[0]["latest"]
    return latest


# Read -----------------------------------------------------------------------------------


def test_viewer_reads_an_observation(client_for, viewer, observation):
    response = client_for(viewer).get(url(observation))
    assert response.status_code == 200
    assert response.json()["news2"]["total"] == 6


# Amend ----------------------------------------------------------------------------------


def test_amend_recomputes_scores_and_keeps_both_versions(
    client_for, nurse, colleague, admission, observation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(colleague).patch(
            url(observation),
            {"respiratory_rate": 16, "temperature": 37.0, "reason": "Transcription error"},
        )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "amended"
    assert body["status_reason"] == "Transcription error"
    assert body["status_changed_by"]["id"] == str(colleague.public_id)
    assert (body["respiratory_rate"], body["temperature"]) == (16, 37.0)
    # Untouched values stay as recorded (air, not "unknown").
    assert body["on_oxygen"] is False
    assert body["heart_rate"] == 95
    # 6 - 2 (RR) - 1 (temperature): 3, low.
    assert body["news2"]["total"] == 3
    assert body["news2"]["band"] == "low"
    assert body["news2"]["complete"] is True
    assert parse(body["next_due_at"]) == observation.recorded_at + dt.timedelta(hours=4)
    assert len(callbacks) == 1

    observation.refresh_from_db()
    assert observation.history.count() == 2
    new, old = observation.history.order_by("-history_date")
    assert old.respiratory_rate == Decimal(22)
    assert old.news2_total == 6
    assert old.status == "final"
    assert new.respiratory_rate == Decimal(16)
    assert new.history_user == colleague
    # The admission reads the corrected score.
    admission.refresh_from_db()
    assert admission.latest_observation == observation
    assert admission.next_due_at == observation.recorded_at + dt.timedelta(hours=4)


def test_amend_can_clear_a_value(client_for, nurse, observation):
    response = client_for(nurse).patch(
        url(observation), {"temperature": None, "reason": "Not measured"}
    )
    assert response.status_code == 200
    news2 = response.json()["news2"]
    assert (news2["total"], news2["complete"], news2["missing"]) == (5, False, ["temperature"])


def test_amend_of_an_older_set_updates_the_trend(
    client_for, nurse, admission, earlier, observation
):
    admission.refresh_from_db()
    assert admission.previous_news2_total == 0
    response = client_for(nurse).patch(url(earlier), {"heart_rate": 95, "reason": "Wrong patient"})
    assert response.status_code == 200
    admission.refresh_from_db()
    assert admission.latest_observation == observation
    assert admission.previous_news2_total == 1


def test_amend_time_moves_the_latest(client_for, nurse, admission, earlier, observation):
    response = client_for(nurse).patch(
        url(earlier),
        {"recorded_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat(), "reason": "Time"},
    )
    assert response.status_code == 200
    admission.refresh_from_db()
    assert admission.latest_observation == earlier
    assert admission.previous_news2_total == 6


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"respiratory_rate": 16}, "reason"),
        ({"respiratory_rate": 16, "reason": ""}, "reason"),
        ({"respiratory_rate": 16, "reason": "   "}, "reason"),
        ({"spo2": 101, "reason": "x"}, "spo2"),
        # Against the stored systolic of 105.
        ({"diastolic_bp": 110, "reason": "x"}, "diastolic_bp"),
        ({"oxygen_flow": 2, "reason": "x"}, "oxygen_flow"),
        ({"recorded_at": "2999-01-01T00:00:00Z", "reason": "x"}, "recorded_at"),
        ({"recorded_at": "2000-01-01T00:00:00Z", "reason": "x"}, "recorded_at"),
        ({"warning_signs": ["itchy_feet"], "reason": "x"}, "warning_signs[0]"),
        ({"pain_score": 11, "reason": "x"}, "pain_score"),
    ],
)
def test_invalid_amendment_changes_nothing(client_for, nurse, admission, observation, data, field):
    before = snapshot(observation)
    admission.refresh_from_db()
    due_before = admission.next_due_at

    response = client_for(nurse).patch(url(observation), data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert snapshot(observation) == before
    assert observation.history.count() == 1
    admission.refresh_from_db()
    assert admission.next_due_at == due_before


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
def test_who_may_amend(client_for, make_member, observation, role, expected):
    before = snapshot(observation)
    response = client_for(make_member(role)).patch(
        url(observation), {"heart_rate": 70, "reason": "Recount"}
    )
    assert response.status_code == expected
    if expected != 200:
        assert snapshot(observation) == before
        assert observation.history.count() == 1


def test_outsider_gets_404_and_nothing_changes(client_for, outsider, observation):
    before = snapshot(observation)
    client = client_for(outsider)
    assert client.get(url(observation)).status_code == 404
    assert client.patch(url(observation), {"heart_rate": 70, "reason": "x"}).status_code == 404
    assert client.post(url(observation, "entered-in-error/"), {"reason": "x"}).status_code == 404
    assert snapshot(observation) == before


def test_anonymous_caller_gets_401_and_nothing_changes(api_client, observation):
    before = snapshot(observation)
    assert api_client.get(url(observation)).status_code == 401
    assert api_client.patch(url(observation), {"heart_rate": 70, "reason": "x"}).status_code == 401
    assert (
        api_client.post(url(observation, "entered-in-error/"), {"reason": "x"}).status_code == 401
    )
    assert snapshot(observation) == before


def test_put_and_delete_are_not_offered(client_for, nurse, observation):
    client = client_for(nurse)
    assert client.put(url(observation), {**VITALS_SCORE_0, "reason": "x"}).status_code == 405
    assert client.delete(url(observation)).status_code == 405
    assert Observation.objects.filter(pk=observation.pk).exists()


# Entered in error -----------------------------------------------------------------------


def test_entered_in_error_stays_but_stops_counting(
    client_for, nurse, ward, admission, earlier, observation, django_capture_on_commit_callbacks
):
    client = client_for(nurse)
    assert board_latest(client, ward)["id"] == str(observation.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url(observation, "entered-in-error/"), {"reason": "Wrong patient"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "entered_in_error"
    assert body["status_reason"] == "Wrong patient"
    assert len(callbacks) == 1
    assert Observation.objects.filter(pk=observation.pk).exists()
    observation.refresh_from_db()
    assert observation.history.count() == 2
    admission.refresh_from_db()
    assert admission.latest_observation == earlier
    assert admission.previous_news2_total is None
    # The earlier set is complete and 0: due 12 h after it.
    assert admission.next_due_at == earlier.recorded_at + dt.timedelta(hours=12)
    latest = board_latest(client, ward)
    assert latest["id"] == str(earlier.pk)
    assert latest["news2_total"] == 0
    # Still listed with the admission's observations, struck out.
    listed = client.get(f"/api/v1/admissions/{admission.pk}/observations/").json()["results"]
    assert [(o["id"], o["status"]) for o in listed] == [
        (str(observation.pk), "entered_in_error"),
        (str(earlier.pk), "final"),
    ]


def test_only_set_entered_in_error_leaves_the_admission_due_now(
    client_for, nurse, ward, organization
):
    admission = admit(ward=ward, by=nurse, hours_ago=3)
    only = record(admission, by=nurse, minutes_ago=10)
    client_for(nurse).post(url(only, "entered-in-error/"), {"reason": "Wrong chart"})
    admission.refresh_from_db()
    assert admission.latest_observation is None
    assert admission.next_due_at == admission.admitted_at


def test_amending_an_entered_in_error_set_is_409(client_for, nurse, observation):
    client = client_for(nurse)
    client.post(url(observation, "entered-in-error/"), {"reason": "Wrong patient"})
    before = snapshot(observation)

    amended = client.patch(url(observation), {"heart_rate": 70, "reason": "Oops"})
    again = client.post(url(observation, "entered-in-error/"), {"reason": "Twice"})

    assert amended.status_code == 409
    assert again.status_code == 409
    assert snapshot(observation) == before
    assert observation.history.count() == 2


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "  "}])
def test_entered_in_error_needs_a_reason(client_for, nurse, observation, data):
    before = snapshot(observation)
    response = client_for(nurse).post(url(observation, "entered-in-error/"), data)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert snapshot(observation) == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.THERAPIST, Role.VIEWER])
def test_only_recorders_mark_entered_in_error(client_for, make_member, observation, role):
    before = snapshot(observation)
    response = client_for(make_member(role)).post(
        url(observation, "entered-in-error/"), {"reason": "x"}
    )
    assert response.status_code == 403
    assert snapshot(observation) == before

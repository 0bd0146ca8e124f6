"""POST /api/v1/portal/logs/ with an Idempotency-Key: a retry is stored once.

The documented behaviour: the first request answers 201; a retry with the same key and
the same body answers 200 with the log stored the first time (``Idempotent-Replayed:
true``); the same key with a different body is a 409 problem.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from careboard.builder import assignments
from careboard.builder.assignments import organization_today
from careboard.builder.models import ActivityLog
from careboard.builder.tests.assignment_factories import assign, make_program, session_of
from careboard.patients.tests.factories import PatientFactory

LOGS_URL = "/api/v1/portal/logs/"
KEY = "3f1c9a52-7d0e-4b8e-9f57-1b0c6a2d4e11"


def _assigned(organization, therapist):
    today = organization_today(organization)
    return assign(
        program=make_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today - dt.timedelta(days=2),
    )


def _client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def assigned(organization, therapist):
    return _assigned(organization, therapist)


@pytest.fixture
def portal(assigned) -> APIClient:
    return _client(assigned[1])


@pytest.fixture
def body(assigned) -> dict[str, Any]:
    return {"session_id": session_of(assigned[0], "Walk")["id"], "pain": 3, "comment": "ok"}


def post(client: APIClient, data: dict[str, Any], key: str | None = KEY):
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(LOGS_URL, data, format="json", **headers)


@pytest.mark.django_db
def test_a_retry_is_stored_once_and_answers_200_with_the_first_log(portal, body):
    first = post(portal, body)
    retry = post(portal, body)

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    stored = ActivityLog.objects.get()
    assert (stored.idempotency_key, str(stored.pk)) == (KEY, first.json()["id"])
    assert len(stored.request_fingerprint) == 64


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_409(portal, body):
    first = post(portal, body)
    response = post(portal, {**body, "pain": 4})
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "This Idempotency-Key was already used for a different request."
    )
    stored = ActivityLog.objects.get()
    assert (str(stored.pk), stored.pain) == (first.json()["id"], 3)


@pytest.mark.django_db
def test_without_a_key_every_post_is_a_new_log(portal, body):
    assert post(portal, body, key=None).status_code == 201
    assert post(portal, body, key=None).status_code == 201
    assert ActivityLog.objects.count() == 2


@pytest.mark.django_db
def test_another_key_is_another_log(portal, body):
    post(portal, body)
    assert post(portal, body, key="another-key").status_code == 201
    assert ActivityLog.objects.count() == 2


@pytest.mark.django_db
def test_keys_belong_to_one_assignment(portal, body, organization, therapist):
    other, other_secret = _assigned(organization, therapist)
    post(portal, body)
    response = post(_client(other_secret), {**body, "session_id": session_of(other, "Walk")["id"]})
    assert response.status_code == 201
    assert ActivityLog.objects.filter(idempotency_key=KEY).count() == 2


@pytest.mark.django_db
def test_a_retry_is_answered_even_if_the_log_would_now_be_refused(portal, body, assigned):
    first = post(portal, body).json()
    # Since then the program ended yesterday: a new log of today would be a 400.
    assignment = assigned[0]
    assignment.end_date = assignment.start_date
    assignment.save()
    assert post(portal, body, key=None).status_code == 400
    retry = post(portal, body)
    assert retry.status_code == 200
    assert retry.json()["id"] == first["id"]
    assert ActivityLog.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["has spaces", "x" * 101, "tab\there", "ключ"])
def test_invalid_keys_are_refused(portal, body, key):
    response = post(portal, body, key=key)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "Idempotency-Key": ["Use 1 to 100 printable characters without spaces."]
    }
    assert not ActivityLog.objects.exists()


@pytest.mark.django_db
def test_anonymous_retry_changes_nothing(api_client, body):
    response = post(api_client, body)
    assert response.status_code == 401
    assert not ActivityLog.objects.exists()


@pytest.mark.django_db
def test_a_lost_race_returns_the_winners_log(portal, body, assigned, monkeypatch):
    """Two retries pass the lookup together: the unique constraint stops the second insert
    (inside a savepoint) and it answers with the first one's log."""
    winner = post(portal, body).json()
    real_replay = assignments._replay
    calls = []

    def replay_missing_the_first_time(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_replay(**kwargs)

    monkeypatch.setattr(assignments, "_replay", replay_missing_the_first_time)
    response = post(portal, body)

    assert len(calls) == 2  # the lookup, then again after the IntegrityError
    assert response.status_code == 200
    assert response.json()["id"] == winner["id"]
    assert ActivityLog.objects.count() == 1


@pytest.mark.django_db
def test_a_lost_race_with_another_body_is_a_409(portal, body, monkeypatch):
    post(portal, body)
    real_replay = assignments._replay
    calls = []

    def replay_missing_the_first_time(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_replay(**kwargs)

    monkeypatch.setattr(assignments, "_replay", replay_missing_the_first_time)
    response = post(portal, {**body, "pain": 9})
    assert response.status_code == 409
    assert ActivityLog.objects.get().pain == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
def test_concurrent_retries_are_stored_once(organization, therapist):
    assignment, secret = _assigned(organization, therapist)
    body = {"session_id": session_of(assignment, "Walk")["id"], "pain": 2}
    start = threading.Barrier(4)
    results: list[tuple[int, str]] = []

    def retry() -> None:
        try:
            start.wait()
            response = post(_client(secret), body)
            results.append((response.status_code, response.json()["id"]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ActivityLog.objects.count() == 1
    assert sorted(status for status, _id in results) == [200, 200, 200, 201]
    assert {log_id for _status, log_id in results} == {str(ActivityLog.objects.get().pk)}

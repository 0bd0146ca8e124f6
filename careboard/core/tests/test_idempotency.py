"""Idempotency-Key: the same key and body replays the first answer, another body is 409."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from careboard.core.idempotency import forget_expired
from careboard.core.models import IdempotentRequest
from careboard.organizations.models import Ward

pytestmark = [pytest.mark.django_db, pytest.mark.urls("careboard.core.tests.urls_idempotency")]

URL = "/api/test/wards/"
KEY = "4b1f7f5e-9a4c-4f0e-8d1e-2f6a1c9b0d11"


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(client_for, nurse):
    client = client_for(nurse)
    first = client.post(URL, {"name": "East"}, HTTP_IDEMPOTENCY_KEY=KEY)
    second = client.post(URL, {"name": "East"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Ward.objects.filter(name__startswith="East").count() == 1


def test_the_same_key_with_another_body_is_a_conflict_and_changes_nothing(client_for, nurse):
    client = client_for(nurse)
    client.post(URL, {"name": "East"}, HTTP_IDEMPOTENCY_KEY=KEY)
    response = client.post(URL, {"name": "West"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert not Ward.objects.filter(name__startswith="West").exists()


def test_a_failed_request_does_not_burn_the_key(client_for, nurse):
    client = client_for(nurse)
    assert client.post(URL, {"name": ""}, HTTP_IDEMPOTENCY_KEY=KEY).status_code == 400
    assert not IdempotentRequest.objects.exists()
    # The corrected request may reuse the key.
    assert client.post(URL, {"name": "East"}, HTTP_IDEMPOTENCY_KEY=KEY).status_code == 201


def test_keys_are_per_caller(client_for, nurse, colleague):
    client_for(nurse).post(URL, {"name": "East"}, HTTP_IDEMPOTENCY_KEY=KEY)
    response = client_for(colleague).post(URL, {"name": "East 2"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert response.status_code == 201
    assert Ward.objects.count() == 2


def test_without_a_key_every_request_creates(client_for, nurse):
    client = client_for(nurse)
    client.post(URL, {"name": "A"})
    client.post(URL, {"name": "A"})
    assert Ward.objects.filter(name__startswith="A #").count() == 2


@pytest.mark.parametrize("key", ["short", "x" * 101, "spaces are bad", "new\nline-key"])
def test_an_unusable_key_is_refused(client_for, nurse, key):
    response = client_for(nurse).post(URL, {"name": "A"}, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Ward.objects.exists()


def test_old_keys_are_forgotten(client_for, nurse):
    client_for(nurse).post(URL, {"name": "East"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert forget_expired(now=timezone.now() + timedelta(hours=23)) == 0
    assert forget_expired(now=timezone.now() + timedelta(days=2)) == 1


def test_the_servers_periodic_housekeeping_forgets_old_keys(client_for, nurse):
    from config.lifespan import _housekeeping

    client_for(nurse).post(URL, {"name": "East"}, HTTP_IDEMPOTENCY_KEY=KEY)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    _housekeeping()
    assert not IdempotentRequest.objects.exists()

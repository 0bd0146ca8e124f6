"""Every API error is an RFC 9457 problem-details document, whatever its status."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from careboard.organizations.models import Membership, Ward
from careboard.organizations.roles import Role

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def assert_problem(response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == f"urn:careboard:problem:{slug}"
    assert body["title"]
    assert body["detail"]
    return body


def test_400_lists_messages_per_field(client_for, admin, organization):
    response = client_for(admin).post(
        "/api/v1/wards/", {"organization": str(organization.id), "name": "", "beds": -1}
    )
    body = assert_problem(response, 400, "validation-error")
    assert set(body["errors"]) == {"name", "beds"}
    assert body["errors"]["beds"] == ["Ensure this value is greater than or equal to 0."]
    assert not Ward.objects.exists()


def test_400_for_malformed_json(client_for, admin):
    response = client_for(admin).post(
        "/api/v1/wards/", data="{not json", content_type="application/json"
    )
    body = assert_problem(response, 400, "validation-error")
    assert body["detail"].startswith("JSON parse error")


def test_401_without_credentials_carries_www_authenticate(api_client):
    response = api_client.get("/api/v1/me/")
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_403_when_the_role_does_not_allow_it(client_for, nurse, organization):
    response = client_for(nurse).post(
        "/api/v1/wards/", {"organization": str(organization.id), "name": "New"}
    )
    assert_problem(response, 403, "permission-denied")
    assert not Ward.objects.filter(name="New").exists()


def test_404_for_an_unknown_object(client_for, admin):
    response = client_for(admin).get(f"/api/v1/wards/{uuid.uuid4()}/")
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nothing", "/api/v2/wards/"])
def test_404_for_an_unknown_api_path_is_never_html(client_for, admin, path, settings):
    settings.DEBUG = True  # Django's technical 404 page must not appear either
    assert_problem(client_for(admin).get(path), 404, "not-found")


def test_405_for_a_method_the_endpoint_lacks(client_for, admin, ward):
    response = client_for(admin).delete(f"/api/v1/wards/{ward.id}/")
    assert_problem(response, 405, "method-not-allowed")
    assert Ward.objects.filter(pk=ward.pk).exists()


def test_409_when_demoting_the_last_admin(client_for, admin):
    membership = Membership.objects.get(user=admin)
    response = client_for(admin).patch(
        f"/api/v1/memberships/{membership.id}/", {"role": Role.NURSE}
    )
    assert_problem(response, 409, "conflict")
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


@pytest.mark.urls("careboard.core.tests.urls_problems")
def test_412_for_a_stale_update(api_client):
    assert_problem(api_client.put("/api/test/stale/", {}), 412, "precondition-failed")


def test_415_for_a_body_that_is_not_json(client_for, admin, organization):
    response = client_for(admin).post(
        "/api/v1/wards/", data="name=x", content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415, "unsupported-media-type")
    assert not Ward.objects.exists()


@pytest.mark.urls("careboard.core.tests.urls_problems")
def test_429_says_when_to_retry(api_client):
    assert api_client.get("/api/test/throttled/").status_code == 200
    response = api_client.get("/api/test/throttled/")
    body = assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) == body["retry_after"] > 0


@pytest.mark.urls("careboard.core.tests.urls_problems")
def test_500_is_a_problem_with_the_request_id_and_no_personal_data(caplog):
    from django.test import Client

    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="careboard.request"):
        response = client.get(
            "/api/test/crash/", {"name": "Jane Doe"}, HTTP_X_REQUEST_ID="req-test-0001"
        )
    body = assert_problem(response, 500, "server-error")
    assert body["request_id"] == "req-test-0001"
    assert "boom" not in response.content.decode()
    assert "RuntimeError" in caplog.text
    assert "Jane Doe" not in caplog.text

"""Browser sessions must prove their origin on writes; other sites get no CORS access."""

from __future__ import annotations

import pytest
from django.test import Client

from careboard.organizations.models import Ward

pytestmark = pytest.mark.django_db


def test_a_session_write_without_the_csrf_token_is_refused(admin, organization):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(
        "/api/v1/wards/",
        {"organization": str(organization.id), "name": "Forged"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF" in response.json()["detail"]
    assert not Ward.objects.filter(name="Forged").exists()


def test_a_session_write_with_the_csrf_token_succeeds(admin, organization):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    client.get("/")  # the app page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/wards/",
        {"organization": str(organization.id), "name": "Real"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201


def test_a_bearer_token_needs_no_csrf_token(client_for, admin, organization):
    response = client_for(admin).post(
        "/api/v1/wards/", {"organization": str(organization.id), "name": "Scripted"}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [("https://partner.example.org", True), ("https://evil.example", False)],
)
def test_cors_answers_only_listed_origins(client, settings, origin, allowed):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.org"]
    response = client.options(
        "/api/v1/me/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert (response.get("Access-Control-Allow-Origin") == origin) is allowed
    # Never with credentials: a cross-origin client uses a bearer token, not the session.
    assert "Access-Control-Allow-Credentials" not in response


def test_cors_does_not_open_non_api_paths(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.org"]
    response = client.get("/healthz", HTTP_ORIGIN="https://partner.example.org")
    assert "Access-Control-Allow-Origin" not in response

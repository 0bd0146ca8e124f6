"""The access log's "from where": REMOTE_ADDR, and X-Forwarded-For only behind proxies the
TRUSTED_PROXY setting declares."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from careboard.patients.tests.factories import PatientFactory
from careboard.privacy.access_log import client_ip
from careboard.privacy.models import AccessLog


def request(remote: str = "10.0.0.5", forwarded: str | None = None):
    headers: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # No trusted proxy: the header is the client's word and ignored.
        (0, "10.0.0.5", None, "10.0.0.5"),
        (0, "10.0.0.5", "198.51.100.7", "10.0.0.5"),
        # One proxy: the address it appended, the right-most; the rest may be forged.
        (1, "10.0.0.5", "198.51.100.7", "198.51.100.7"),
        (1, "10.0.0.5", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        # Two proxies (a CDN, then Traefik): the one the outer proxy appended.
        (2, "10.0.0.5", "6.6.6.6, 198.51.100.7, 172.16.0.2", "198.51.100.7"),
        # Fewer entries than proxies: not a request through them; the peer's address.
        (2, "10.0.0.5", "198.51.100.7", "10.0.0.5"),
        (1, "10.0.0.5", "", "10.0.0.5"),
        (1, "10.0.0.5", "2001:db8::1", "2001:db8::1"),
        # Not an address at all: nothing rather than junk.
        (1, "10.0.0.5", "not-an-ip", None),
        (0, "", None, None),
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXY = trusted

    assert client_ip(request(remote, forwarded)) == expected


@pytest.mark.django_db
def test_the_access_log_records_the_forwarded_address_behind_a_trusted_proxy(
    settings, client_for, viewer, organization
):
    settings.TRUSTED_PROXY = 1
    patient = PatientFactory.create(organization=organization)

    response = client_for(viewer).get(
        f"/api/v1/patients/{patient.pk}/",
        REMOTE_ADDR="172.16.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7",
    )

    assert response.status_code == 200
    assert AccessLog.objects.get().ip == "198.51.100.7"

"""The pages that load the Vue app."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_app_needs_a_signed_in_user(client):
    response = client.get("/wards/123/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/wards/123/"


@pytest.mark.parametrize("path", ["/", "/wards/abc/", "/patients/", "/programs/x/", "/settings/"])
def test_every_app_page_loads_the_built_bundle(client, nurse, path):
    client.force_login(nurse)
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<script type="module" [^>]*src="/static/dist/assets/main-[\w-]+\.js"', html)
    assert re.search(r'<meta name="csrf-token" content="\w+">', html)
    # No inline script: the CSP forbids it.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_portal_page_needs_no_sign_in(client):
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "/static/dist/assets/main-" in response.content.decode()


def test_unknown_top_level_path_is_not_the_app(client, nurse):
    client.force_login(nurse)
    assert client.get("/nowhere/").status_code == 404

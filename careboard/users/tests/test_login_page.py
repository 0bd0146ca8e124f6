from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_offers_no_sign_up_because_members_join_by_invitation(client):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "sign up" not in html.lower()
    assert "/accounts/password/reset/" in html


def test_sign_up_page_is_closed(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.test", "password1": "x7Kq2vN9pL4m", "password2": "x7Kq2vN9pL4m"},
    )
    from careboard.users.models import User

    assert not User.objects.filter(email="new@example.test").exists()
    assert "Sign Up Closed" in response.content.decode()

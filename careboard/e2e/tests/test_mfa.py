"""Two-factor sign-in: enrol an authenticator app on allauth's pages, then sign in with a code.

The persona is Other Clinic's viewer, whom no other browser test signs in as: once enrolled,
every sign-in of theirs asks for a code.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from careboard.e2e.browser import APP_HOME, persona, sign_in, wait_for_app
from careboard.e2e.totp import fresh_totp

expect = pytest.importorskip("playwright.sync_api").expect


def test_enrol_totp_then_sign_in_with_a_code(new_page, server, screenshot, axe_check):
    email = persona("viewer", org="other")
    page = new_page()
    sign_in(page, server, email)
    wait_for_app(page)

    page.goto("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before a security change.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    screenshot(page, "mfa-reauthenticate")
    axe_check(page)
    page.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    screenshot(page, "mfa-activate")
    axe_check(page)
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.locator("input[name=code]").fill(fresh_totp(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    screenshot(page, "mfa-recovery-codes")
    axe_check(page)

    page.locator("header").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    sign_in(page, server, email)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    screenshot(page, "mfa-authenticate")
    axe_check(page)
    wrong = f"{(int(fresh_totp(secret)) + 1) % 1_000_000:06d}"
    page.locator("input[name=code]").fill(wrong)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()

    page.locator("input[name=code]").fill(fresh_totp(secret))
    page.get_by_role("button", name="Sign In").click()
    wait_for_app(page)
    expect(page).to_have_url(APP_HOME)
    me = page.request.get("/api/v1/me/").json()
    assert (me["email"], me["mfa_enabled"]) == (email, True)

"""Helpers for browser tests: Chromium's options, viewports, demo personas and signing in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from careboard.organizations.demo import DEMO_ORGANIZATIONS, persona_email

if TYPE_CHECKING:
    # Types only: without playwright installed the browser tests skip (importorskip), and
    # this module must still import.
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}
# Demo organisations by a short key: "demo" (Demo Hospital), "other" (Other Clinic).
ORG_DOMAINS = {
    "demo": DEMO_ORGANIZATIONS[0].email_domain,
    "other": DEMO_ORGANIZATIONS[1].email_domain,
}


def persona(role: str, org: str = "demo") -> str:
    """The e-mail address of a demo persona (password: settings.DEMO_PASSWORD)."""
    return persona_email(role, ORG_DOMAINS[org])


def sign_in(page: Page, server: str, email: str, password: str | None = None) -> None:
    """Sign in through allauth's form and wait for the answer (the app, a second factor, or
    the form again with an error)."""
    page.goto(f"{server}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password or settings.DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()


# Where signing in lands: the home page, or the ward board it forwards to.
APP_HOME = re.compile(r"^https?://[^/]+/(wards/[0-9a-f-]+)?$")


def wait_for_app(page: Page) -> None:
    """Wait until the Vue app has loaded the session and rendered a page heading."""
    page.locator("main h1").first.wait_for(state="visible")

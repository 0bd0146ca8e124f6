"""The server-rendered pages around the app (allauth's account pages, the invitation page):
each renders in the app's style, has a labelled form, and passes axe."""

from __future__ import annotations

import re
from typing import Any

import pytest

from careboard.e2e.browser import PHONE

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/password/reset/", "Password Reset"),
        ("/invite/not-a-real-invitation/", None),
    ],
)
def test_signed_out_account_pages_pass_axe(
    new_page: Any, path: str, heading: str | None, screenshot: Any, axe_check: Any
) -> None:
    page = new_page()
    page.goto(path)
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_be_visible()
    if heading:
        expect(h1).to_contain_text(heading)
    screenshot(page, f"account{path.rstrip('/').replace('/', '-')}")
    axe_check(page)


def test_password_reset_form_answers_without_revealing_accounts(
    new_page: Any, axe_check: Any
) -> None:
    page = new_page(viewport=PHONE)
    page.goto("/accounts/password/reset/")
    page.get_by_label("Email").fill("nobody-here@example.org")
    page.get_by_role("button", name="Reset My Password").click()
    # The same page for known and unknown addresses: allauth's "done" page.
    expect(page).to_have_url(re.compile(r"/accounts/password/reset/done/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)


@pytest.mark.parametrize(
    "path", ["/accounts/password/change/", "/accounts/logout/", "/accounts/2fa/"]
)
def test_signed_in_account_pages_pass_axe(
    page_as: Any, path: str, screenshot: Any, axe_check: Any
) -> None:
    page = page_as("viewer")
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, f"account{path.rstrip('/').replace('/', '-')}")
    axe_check(page)

"""Signing in with allauth's server-rendered form lands on the Vue app."""

from __future__ import annotations

import re

import pytest

from careboard.e2e.browser import APP_HOME, persona, sign_in, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_an_anonymous_visitor_is_sent_to_sign_in(new_page, server, screenshot, axe_check):
    page = new_page()
    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/settings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Careboard")
    screenshot(page, "sign-in")
    axe_check(page)


def test_signing_in_lands_on_the_app(new_page, server):
    page = new_page()
    sign_in(page, server, persona("nurse"))
    wait_for_app(page)
    expect(page).to_have_url(APP_HOME)
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    expect(page.locator(".who")).to_have_text("Noor Nurse (Demo Hospital)")


def test_a_wrong_password_stays_on_the_form(new_page, server, axe_check):
    page = new_page()
    sign_in(page, server, persona("nurse"), password="not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    message = page.get_by_text("The email address and/or password you specified are not correct.")
    expect(message).to_be_visible()
    axe_check(page)


def test_the_next_parameter_is_followed(new_page, server):
    page = new_page()
    page.goto("/about")
    page.locator("input[name=login]").fill(persona("physician"))
    page.locator("input[name=password]").fill("careboard-demo")
    page.locator("form button[type=submit]").click()
    wait_for_app(page)
    expect(page).to_have_url(f"{server}/about")
    expect(page.get_by_role("heading", level=1)).to_have_text("About Careboard")

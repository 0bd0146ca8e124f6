"""Switching the language changes the app at once and survives a reload."""

from __future__ import annotations

import pytest

from careboard.e2e.browser import wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect


def test_switch_to_german_and_back(page_as, open_app, screenshot, axe_check):
    page = page_as("physician")
    open_app(page, "/about")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Patients", exact=True)).to_be_visible()

    page.get_by_label("Language").select_option(label="Deutsch")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav.get_by_role("link", name="Patienten", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Über Careboard")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    screenshot(page, "about-de")
    axe_check(page)

    page.reload()
    wait_for_app(page)
    expect(nav.get_by_role("link", name="Stationsübersicht")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Über Careboard")
    expect(page.get_by_label("Sprache")).to_have_value("de")
    # WCAG 3.1.1: the page's language is the one it is shown in, after a reload too.
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.get_by_label("Sprache").select_option(label="English")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()


def test_settings_in_thai(page_as, open_app, screenshot, axe_check):
    page = page_as("admin")
    open_app(page, "/settings")
    page.get_by_label("Language").select_option("th")
    expect(page.get_by_role("heading", level=1)).to_have_text("การตั้งค่า")
    expect(page.get_by_role("tab", name="สมาชิก")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("combobox", name="บทบาทของ Noor Nurse (Demo Hospital)")).to_have_value(
        "nurse"
    )
    screenshot(page, "settings-members-th")
    axe_check(page)

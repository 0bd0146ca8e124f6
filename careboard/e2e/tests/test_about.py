"""The About page (version, API documentation, open-source licences) and the app's 404 page."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from careboard.e2e.browser import PHONE
from careboard.e2e.server import ROOT

expect = pytest.importorskip("playwright.sync_api").expect


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        version: str = tomllib.load(f)["project"]["version"]
    return version


def test_about_shows_version_api_docs_and_licences(page_as, open_app, screenshot, axe_check):
    page = page_as("nurse")
    open_app(page, "/about")
    expect(page.get_by_role("heading", level=1)).to_have_text("About Careboard")
    expect(page).to_have_title("About Careboard · Careboard")
    expect(page.get_by_test_id("version")).to_have_text(project_version())

    npm = page.locator('table[data-ecosystem="npm"]')
    python = page.locator('table[data-ecosystem="python"]')
    expect(npm.get_by_role("row", name=re.compile(r"^vue \d+\.\d+\.\d+ MIT$"))).to_be_visible()
    expect(
        python.get_by_role("row", name=re.compile(r"^Django \d+\.\d+(\.\d+)? BSD-3-Clause$"))
    ).to_be_visible()
    # Build and test tools are not shipped, so they are not listed.
    expect(npm.get_by_role("rowheader", name="vitest", exact=True)).to_have_count(0)
    expect(python.get_by_role("rowheader", name="pytest", exact=True)).to_have_count(0)
    screenshot(page, "about")
    axe_check(page)

    page.get_by_label("Filter by name or licence").fill("LGPL")
    expect(python.get_by_role("rowheader", name="psycopg", exact=True)).to_be_visible()
    expect(python.get_by_role("rowheader", name="Django", exact=True)).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Showing \d+ of \d+ components"))).to_be_visible()

    docs = page.get_by_role("link", name="API documentation")
    expect(docs).to_have_attribute("href", "/api/docs/")
    assert page.request.get("/api/docs/").ok
    assert page.request.get("/api/schema/").ok


def test_the_licence_list_matches_what_the_build_wrote(page_as, open_app):
    listed = json.loads((ROOT / "frontend" / "src" / "licenses.json").read_text())
    page = page_as("nurse")
    open_app(page, "/about")
    rows = page.locator('table[data-ecosystem="python"] tbody tr')
    expect(rows).to_have_count(len(listed["python"]))
    expect(page.locator('table[data-ecosystem="npm"] tbody tr')).to_have_count(len(listed["npm"]))


def test_about_on_a_phone(page_as, open_app, screenshot, axe_check):
    page = page_as("therapist", viewport=PHONE, is_mobile=True, has_touch=True)
    open_app(page, "/about")
    screenshot(page, "about-phone")
    axe_check(page)


def test_an_unknown_app_address_shows_the_not_found_page(
    page_as, open_app, server, screenshot, axe_check
):
    page = page_as("nurse")
    open_app(page, "/about/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("main")).to_contain_text("/about/no-such-page")
    screenshot(page, "not-found")
    axe_check(page)
    page.get_by_role("main").get_by_role("link", name="About").click()
    expect(page).to_have_url(f"{server}/about")
    expect(page.get_by_role("heading", level=1)).to_have_text("About Careboard")

"""The user guides' screenshots: each role's main screens on the demo data, in the browser.

Every test walks one role's screens as the guide in docs/guides/ describes them, checks that
what the guide says is on the screen is there, saves a fixed-size viewport screenshot
(``frontend/test-results/screenshots/guide-<role>-<screen>.png``) and runs axe on it.
``make docs-screenshots`` runs this module alone and copies the images into docs/guides/img/.

The walk is read-only for the demo data other tests rely on: forms are filled to show the
score as you type or a dialog's choices, then closed without saving. The one write is the
patient's portal link: the guide shows the portal as the patient sees it, and the link's
secret is shown only when issued, so a new link is issued for Aisha Khan's demo assignment
(which replaces the link nobody holds).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from careboard.e2e.browser import PHONE, TABLET
from careboard.e2e.server import ROOT

if TYPE_CHECKING:
    # Types only: without playwright installed the browser tests skip (importorskip), and
    # this module must still import.
    from playwright.sync_api import Locator, Page

expect = pytest.importorskip("playwright.sync_api").expect

# The guides' desktop size: a common laptop screen, and small enough to read in the docs.
DESKTOP_SHOT = {"width": 1280, "height": 800}
SCREENSHOTS = ROOT / "frontend" / "test-results" / "screenshots"
PHONE_OPTIONS = {"viewport": PHONE, "is_mobile": True, "has_touch": True}


def guide_shot(page: Page, role: str, screen: str) -> Path:
    """Save what the viewport shows now (not the full page) as guide-<role>-<screen>.png."""
    path = SCREENSHOTS / f"guide-{role}-{screen}.png"
    # Animations off and the caret hidden, so that two runs give the same picture.
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


def api_json(page: Page, path: str) -> Any:
    """A GET on the API with the page's session."""
    response = page.request.get(path)
    assert response.ok, f"GET {path}: {response.status}"
    return response.json()


def patient_id(page: Page, mrn: str) -> str:
    results = api_json(page, f"/api/v1/patients/?search={mrn}")["results"]
    found: str = next(p["id"] for p in results if p["mrn"] == mrn)
    return found


def ward_id(page: Page, code: str) -> str:
    wards = api_json(page, "/api/v1/wards/")["results"]
    found: str = next(w["id"] for w in wards if w["code"] == code)
    return found


# The demo follower the therapist's and the patient's guides show (careboard/builder/
# demo_assignments.py): her pain is rising, so her assignment carries flags.
FOLLOWER = ("Khan", "Shoulder — rotator cuff, early phase")
KNEE_PROGRAM = "Total knee replacement — weeks 0–6"


def follower_assignment_id(page: Page) -> str:
    family_name, program = FOLLOWER
    found: str = next(
        a["id"]
        for a in api_json(page, "/api/v1/assignments/?status=active")["results"]
        if a["patient"]["family_name"] == family_name and a["program_name"] == program
    )
    return found


def scroll_to_top_of(page: Page, locator: Locator) -> None:
    """Scroll so that ``locator`` is at the top of the viewport (screenshots show a part)."""
    locator.evaluate("element => element.scrollIntoView({block: 'start'})")


def test_nurse_guide(page_as, open_app, axe_check):
    page = page_as("nurse", viewport=DESKTOP_SHOT)
    open_app(page, f"/wards/{ward_id(page, 'M3')}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Medical Ward 3"))
    board = page.locator("#board-list-heading")
    expect(board).to_be_attached()
    expect(page.get_by_text("Albrechtsen, Friedrich")).to_be_visible()
    guide_shot(page, "nurse", "board")
    axe_check(page)

    # The patient page: the admission's header, then the charts.
    open_app(page, f"/patients/{patient_id(page, 'DEMO-1001')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Friedrich Albrechtsen")
    expect(page.get_by_text(re.compile(r"^NEWS2 \d+, High$"))).to_be_visible()
    guide_shot(page, "nurse", "patient")
    charts = page.locator("#charts-heading")
    expect(page.get_by_role("heading", name="NEWS2 score")).to_be_visible()
    expect(page.locator(".patient-page canvas, .patient-page svg").first).to_be_visible()
    scroll_to_top_of(page, charts)
    guide_shot(page, "nurse", "charts")
    axe_check(page)


def test_nurse_guide_observation_form_on_a_tablet(page_as, open_app, axe_check):
    # At the bedside: a tablet. The form is filled to show the score as you type, then
    # closed without recording.
    page = page_as("nurse", viewport=TABLET, has_touch=True)
    open_app(page, f"/patients/{patient_id(page, 'DEMO-1004')}")
    page.get_by_role("button", name="Record observations").click()
    form = page.get_by_role("form", name="Record observations")
    for name, value in {
        "respiratory_rate": "21",
        "spo2": "95",
        "systolic_bp": "108",
        "diastolic_bp": "70",
        "heart_rate": "96",
        "temperature": "38.2",
    }.items():
        form.locator(f"input[name={name}]").fill(value)
    form.get_by_label("Air", exact=True).check()
    form.locator("input[type=radio][value=A]").check()
    score = page.get_by_role("complementary", name="Score")
    expect(score).to_contain_text("Medium")
    expect(score).to_contain_text("Next observations due")
    scroll_to_top_of(page, page.locator("#record-heading"))
    guide_shot(page, "nurse", "observation-form")
    axe_check(page)
    form.get_by_role("button", name="Close").click()
    expect(form).to_have_count(0)


def test_physician_guide(page_as, open_app, axe_check):
    page = page_as("physician", viewport=DESKTOP_SHOT)
    open_app(page, "/critical")
    expect(page.get_by_role("heading", level=1)).to_have_text("Critical list")
    expect(page.locator("#board-list-heading")).to_be_attached()
    expect(page.get_by_text("Albrechtsen, Friedrich")).to_be_visible()
    guide_shot(page, "physician", "critical-list")
    axe_check(page)

    # A dengue patient whose fever settled: the page suggests the critical phase; the
    # physician decides (the dialog is filled, then cancelled).
    open_app(page, f"/patients/{patient_id(page, 'DEMO-2004')}")
    expect(page.get_by_text("The latest observations suggest the critical phase")).to_be_visible()
    guide_shot(page, "physician", "phase-suggested")
    page.get_by_role("button", name="Review phase").click()
    dialog = page.get_by_role("dialog", name="Change the dengue phase")
    dialog.get_by_label("Critical", exact=True).check()
    dialog.get_by_label("Note").fill("Defervescence on day 5: two-hourly observations.")
    guide_shot(page, "physician", "phase-dialog")
    axe_check(page)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    # Clinical settings: SpO2 scale and the interval override (cancelled, not saved).
    open_app(page, f"/patients/{patient_id(page, 'DEMO-1001')}")
    page.get_by_role("button", name="Clinical settings").click()
    dialog = page.get_by_role("dialog", name="Clinical settings")
    expect(dialog.get_by_label("Scale 2 (hypercapnic respiratory failure)")).to_be_visible()
    dialog.get_by_label("Override the interval set by the score").check()
    guide_shot(page, "physician", "clinical-settings")
    axe_check(page)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


def test_therapist_guide(page_as, open_app, axe_check):
    page = page_as("therapist", viewport=DESKTOP_SHOT)
    open_app(page, "/library")
    expect(page.get_by_role("heading", level=1)).to_have_text("Exercise library")
    page.get_by_label("Body region").select_option(label="Knee")
    expect(page.get_by_text(re.compile(r"^\d+ exercises?$"))).to_be_visible()
    guide_shot(page, "therapist", "library")
    axe_check(page)

    programs = api_json(page, "/api/v1/programs/?search=knee")["results"]
    knee = next(p for p in programs if p["name"] == KNEE_PROGRAM)
    open_app(page, f"/programs/{knee['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(knee["name"])
    expect(page.get_by_text("All changes saved")).to_be_visible()
    expect(page.get_by_role("heading", name="Add exercises")).to_be_visible()
    guide_shot(page, "therapist", "program-editor")
    axe_check(page)

    open_app(page, "/assignments")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assignments")
    expect(page.get_by_text(re.compile(r"need attention"))).to_be_visible()
    expect(page.get_by_text("Aisha Khan").first).to_be_visible()
    guide_shot(page, "therapist", "assignments")
    axe_check(page)

    open_app(page, f"/assignments/{follower_assignment_id(page)}")
    expect(page.get_by_text("Pain rising")).to_be_visible()
    expect(page.get_by_role("heading", name="Adherence")).to_be_visible()
    guide_shot(page, "therapist", "adherence")
    axe_check(page)


def test_patient_guide_on_a_phone(page_as, new_page, axe_check):
    therapist = page_as("therapist")
    csrf = next(c["value"] for c in therapist.context.cookies() if c["name"] == "csrftoken")
    response = therapist.request.post(
        f"/api/v1/assignments/{follower_assignment_id(therapist)}/portal-token/",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status == 201, response.text()
    portal_url = response.json()["portal_url"]

    # The patient: no account, a phone, the link from the therapist.
    page = new_page(**PHONE_OPTIONS)
    page.goto(portal_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(FOLLOWER[1])
    expect(page.get_by_text(re.compile(r"Week \d+ of \d+"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Load video from")).first).to_be_visible()
    guide_shot(page, "patient", "today")
    axe_check(page)

    feedback = page.get_by_text(re.compile(r"^(Finished this session\?|Did the session again\?)$"))
    scroll_to_top_of(page, feedback.first)
    expect(page.get_by_text("Pain during the exercises").first).to_be_visible()
    guide_shot(page, "patient", "feedback")


def test_admin_guide(page_as, open_app, axe_check):
    page = page_as("admin", viewport=DESKTOP_SHOT)
    open_app(page, "/settings?tab=members")
    expect(page.get_by_role("tab", name="Members")).to_have_attribute("aria-selected", "true")
    expect(page.locator('tr[data-email="nurse@example.org"]')).to_be_visible()
    guide_shot(page, "admin", "members")
    axe_check(page)

    open_app(page, "/settings?tab=invitations")
    expect(page.get_by_role("button", name="Send invitation")).to_be_visible()
    guide_shot(page, "admin", "invitations")

    open_app(page, "/settings?tab=wards")
    expect(page.locator('tr[data-ward="Medical Ward 3"]')).to_contain_text("M3")
    guide_shot(page, "admin", "wards")
    axe_check(page)

    open_app(page, "/settings?tab=organization")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Demo Hospital")
    guide_shot(page, "admin", "organisation")
    axe_check(page)

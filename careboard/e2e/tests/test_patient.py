"""The patients page and one patient's page: the observation form scored by the server as the
nurse types, refused fields flagged in place, the dengue phase (physicians only), and
register → admit → transfer → discharge; axe and screenshots on every page these flows visit.

The tests change only patients and wards of their own (careboard/e2e/tests/clinical.py); the
page checks read the demo data.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from careboard.e2e.browser import DESKTOP, PHONE
from careboard.e2e.tests.clinical import HIGH_SET, HIGH_TOTAL, Api, Clinic, open_clinic, unique
from careboard.e2e.tests.test_ward_board import board_row, fill_observation, live_status

expect = pytest.importorskip("playwright.sync_api").expect

VIEWPORTS = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def clinic(page_as):
    clinic = open_clinic(page_as)
    yield clinic
    clinic.close()


def observation_form(page: Any) -> Any:
    return page.get_by_role("form", name="Record observations")


def score_panel(page: Any) -> Any:
    return observation_form(page).get_by_role("complementary", name="Score")


def test_the_form_shows_the_servers_score_and_next_due_time_as_the_nurse_types(
    clinic: Clinic, page_as, open_app
):
    patient, admission = clinic.admitted_patient()
    nurse = page_as("nurse")
    previews: list[Any] = []
    nurse.on(
        "response",
        lambda r: previews.append(r) if r.url.endswith("/observations/preview/") else None,
    )
    open_app(nurse, f"/patients/{patient['id']}?record=1")
    form = observation_form(nurse)
    # The form opens on the first NEWS2 field.
    expect(form.locator("input[name=respiratory_rate]")).to_be_focused()
    expect(score_panel(nurse)).to_contain_text("Enter values to see the NEWS2 score")

    nurse.keyboard.type("25")
    panel = score_panel(nurse)
    expect(panel.locator(".total .value")).to_have_text("3")
    expect(panel).to_contain_text("Incomplete score.")
    expect(panel).to_contain_text("A single parameter scores 3")

    fill_observation(nurse, HIGH_SET)
    expect(panel.locator(".total .value")).to_have_text(str(HIGH_TOTAL))
    expect(panel.locator(".band")).to_have_text("High")
    expect(panel).not_to_contain_text("Incomplete score.")
    due = panel.locator(".due time")
    expect(due).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    # What is shown is what the server answered last: one scoring implementation.
    answered = previews[-1].json()
    assert (answered["news2"]["total"], answered["news2"]["band"]) == (HIGH_TOTAL, "high")
    expect(due).to_have_attribute("datetime", answered["next_due_at"])
    # Screen readers hear the same, once, from the live summary.
    expect(panel.locator("[aria-live=polite]")).to_contain_text(f"NEWS2 {HIGH_TOTAL}, High")
    # Scoring stored nothing.
    assert clinic.observations(admission) == []

    form.get_by_role("button", name="Record", exact=True).click()
    expect(nurse.get_by_role("status").filter(has_text="Recorded at")).to_be_focused()
    assert len(clinic.observations(admission)) == 1


def test_a_refused_value_is_flagged_next_to_its_field_and_nothing_is_stored(
    clinic: Clinic, page_as, open_app, screenshot, axe_check
):
    patient, admission = clinic.admitted_patient()
    nurse = page_as("nurse")
    open_app(nurse, f"/patients/{patient['id']}?record=1")
    form = observation_form(nurse)
    systolic = form.get_by_label("Systolic BP")
    diastolic = form.get_by_label("Diastolic BP")
    spo2 = form.locator("input[name=spo2]")

    systolic.fill("100")
    diastolic.fill("120")
    # Flagged while typing (the preview answers with the POST's messages)…
    expect(diastolic).to_have_attribute("aria-invalid", "true")
    message = form.locator("#obs-diastolic_bp-error")
    expect(message).to_have_text("⚠ The diastolic pressure is above the systolic.")
    expect(diastolic).to_have_attribute("aria-describedby", "obs-diastolic_bp-error")
    expect(systolic).not_to_have_attribute("aria-invalid", "true")
    expect(score_panel(nurse)).to_contain_text("Correct the marked fields to see the score.")

    # …and on Record, which refuses the set and puts the focus on the refused field.
    form.get_by_role("button", name="Record", exact=True).click()
    expect(diastolic).to_be_focused()
    expect(message).to_be_visible()
    screenshot(nurse, "patient-form-refused")
    axe_check(nurse)
    assert clinic.observations(admission) == []

    diastolic.fill("70")
    expect(diastolic).not_to_have_attribute("aria-invalid", "true")
    expect(message).to_have_count(0)
    spo2.fill("101")
    expect(spo2).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#obs-spo2-error")).to_contain_text("less than or equal to 100")
    form.get_by_role("button", name="Record", exact=True).click()
    expect(spo2).to_be_focused()
    assert clinic.observations(admission) == []

    spo2.fill("97")
    expect(spo2).not_to_have_attribute("aria-invalid", "true")
    form.get_by_role("button", name="Record", exact=True).click()
    expect(nurse.get_by_role("status").filter(has_text="Recorded at")).to_be_visible()
    stored = clinic.observations(admission)
    assert [(o["systolic_bp"], o["diastolic_bp"], o["spo2"]) for o in stored] == [(100, 70, 97)]


def test_a_physician_sets_the_dengue_phase_and_the_open_board_shows_it(
    clinic: Clinic, page_as, open_app, screenshot, axe_check
):
    patient, admission = clinic.admitted_patient(protocol="dengue", bed="2")
    board = page_as("nurse")
    open_app(board, f"/wards/{clinic.ward['id']}")
    expect(live_status(board)).to_have_text("Live updates: Live")
    row = board_row(board, patient)
    expect(row.locator(".fact-phase")).to_contain_text("Febrile")

    physician = page_as("physician")
    open_app(physician, f"/patients/{patient['id']}")
    header = physician.get_by_role("region", name="Current admission")
    expect(header).to_contain_text("Dengue phase")
    physician.get_by_role("button", name="Change phase").click()
    dialog = physician.get_by_role("dialog", name="Change the dengue phase")
    expect(dialog).to_be_visible()
    axe_check(physician)
    dialog.get_by_role("radio", name="Critical").check()
    dialog.get_by_label("Note").fill("Defervescence on day 4, hematocrit rising.")
    dialog.get_by_role("button", name="Set phase").click()
    expect(dialog).to_be_hidden()
    expect(header.locator(".phase")).to_have_text("Critical")
    expect(physician.get_by_role("button", name="Change phase")).to_be_focused()
    screenshot(physician, "patient-phase-critical")

    # The nurse's board, open all along, shows it without a reload.
    expect(row.locator(".fact-phase")).to_contain_text("Critical")
    expect(board.get_by_role("region", name="Summary")).to_contain_text("Critical: 1")

    # A nurse sees the phase but cannot change it, in the page or through the API.
    nurse = page_as("nurse")
    open_app(nurse, f"/patients/{patient['id']}")
    expect(nurse.get_by_role("region", name="Current admission").locator(".phase")).to_have_text(
        "Critical"
    )
    expect(nurse.get_by_role("button", name="Change phase")).to_have_count(0)
    status, _ = Api(nurse).call(
        "POST", f"admissions/{admission['id']}/phase/", {"phase": "recovery", "note": ""}
    )
    assert status == 403
    assert clinic.clinician.ok("GET", f"admissions/{admission['id']}/")["phase"] == "critical"


def test_search_register_admit_transfer_and_discharge(
    clinic: Clinic, page_as, open_app, screenshot, axe_check
):
    second_ward = clinic.add_ward()
    family = unique("Hopper")
    mrn = unique("E2E-")
    nurse = page_as("nurse")
    open_app(nurse, "/patients")
    nurse.get_by_role("searchbox", name="Search by name or MRN").fill(family)
    expect(nurse.get_by_text("No patient matches.")).to_be_visible()

    nurse.get_by_role("button", name="Register patient").click()
    dialog = nurse.get_by_role("dialog", name="Register a patient")
    expect(dialog.get_by_label("MRN")).to_be_focused()
    dialog.get_by_label("MRN").fill(mrn)
    dialog.get_by_label("Given name").fill("Grace")
    dialog.get_by_label("Family name").fill(family)
    dialog.get_by_label("Date of birth").fill("1950-12-09")
    dialog.get_by_label("Sex").select_option("female")
    screenshot(nurse, "patients-register")
    axe_check(nurse)
    dialog.get_by_role("button", name="Register", exact=True).click()
    expect(nurse.get_by_role("heading", level=1)).to_have_text(f"Grace {family}")
    expect(nurse).to_have_title(f"Grace {family} · Careboard")
    header = nurse.get_by_role("region", name="Current admission")
    expect(header).to_contain_text(mrn)

    open_app(nurse, "/patients")
    expect(nurse).to_have_title("Patients · Careboard")
    nurse.get_by_role("searchbox", name="Search by name or MRN").fill(mrn)
    results = nurse.locator("ul.results > li")
    expect(results).to_have_count(1)
    result = results.first
    expect(result).to_contain_text(f"{family}, Grace")
    expect(result).to_contain_text("Not admitted")

    result.get_by_role("button", name=f"Admit Grace {family}").click()
    admit = nurse.get_by_role("dialog", name=f"Admit Grace {family}")
    admit.get_by_label("Ward").select_option(label=clinic.ward["name"])
    admit.get_by_label("Bed").fill("4")
    axe_check(nurse)
    admit.get_by_role("button", name="Admit", exact=True).click()
    expect(admit).to_be_hidden()
    expect(result).to_contain_text(f"{clinic.ward['name']}, bed 4")
    expect(nurse.get_by_role("status").filter(has_text="admitted")).to_have_text(
        f"Grace {family} admitted, bed 4."
    )
    admission = clinic.clinician.ok("GET", f"patients/?search={mrn}")["results"][0][
        "current_admission"
    ]
    clinic.track(admission["id"])

    result.get_by_role("button", name=f"Transfer Grace {family}").click()
    move = nurse.get_by_role("dialog", name=f"Transfer Grace {family}")
    expect(move).to_contain_text(f"Now: {clinic.ward['name']}, bed 4")
    move.get_by_label("Ward").select_option(label=second_ward["name"])
    move.get_by_label("Bed").fill("9")
    move.get_by_role("button", name="Transfer", exact=True).click()
    expect(move).to_be_hidden()
    expect(result).to_contain_text(f"{second_ward['name']}, bed 9")
    screenshot(nurse, "patients-admitted")

    result.get_by_role("button", name=f"Discharge Grace {family}").click()
    leave = nurse.get_by_role("dialog", name=f"Discharge Grace {family}")
    leave.get_by_role("radio", name="Discharged home").check()
    leave.get_by_role("button", name="Discharge", exact=True).click()
    expect(leave).to_be_hidden()
    expect(result).to_contain_text("Not admitted")
    stored = clinic.clinician.ok("GET", f"admissions/{admission['id']}/")
    assert stored["ward"] == second_ward["id"]
    assert stored["bed"] == "9"
    assert stored["outcome"] == "home"


def demo_patient_in_critical_phase(api: Api) -> dict[str, Any]:
    """A demo dengue patient with a long chart (read only)."""
    ward = next(w for w in api.ok("GET", "wards/")["results"] if w["name"] == "Infectious Diseases")
    board = api.ok("GET", f"wards/{ward['id']}/board/")
    return next(r for r in board["rows"] if r["phase"] == "critical" and r["latest"])


@pytest.mark.parametrize("device", VIEWPORTS)
def test_every_page_of_the_ward_flows_passes_axe(
    device: str, page_as, open_app, screenshot, axe_check
):
    nurse = page_as("nurse", **VIEWPORTS[device])
    api = Api(nurse)
    wards = {w["name"]: w["id"] for w in api.ok("GET", "wards/")["results"]}

    open_app(nurse, f"/wards/{wards['Medical Ward 3']}")
    expect(nurse).to_have_title("Ward board · Careboard")
    expect(nurse.locator("li.board-row").first).to_be_visible()
    expect(live_status(nurse)).to_have_text("Live updates: Live")
    screenshot(nurse, f"ward-board-{device}")
    axe_check(nurse)

    open_app(nurse, "/critical")
    expect(nurse).to_have_title("Critical list · Careboard")
    expect(nurse.locator("li.board-row").first).to_be_visible()
    screenshot(nurse, f"critical-list-{device}")
    axe_check(nurse)

    open_app(nurse, "/patients")
    expect(nurse.locator("ul.results > li").first).to_be_visible()
    screenshot(nurse, f"patients-{device}")
    axe_check(nurse)

    row = demo_patient_in_critical_phase(api)
    open_app(nurse, f"/patients/{row['patient']['id']}?record=1")
    expect(observation_form(nurse)).to_be_visible()
    expect(nurse.get_by_role("region", name="Charts").locator("svg, canvas").first).to_be_visible()
    expect(nurse.get_by_role("region", name="Timeline").locator("li").first).to_be_visible()
    expect(nurse.get_by_role("region", name="Observations").locator("li, tr").first).to_be_visible()
    screenshot(nurse, f"patient-{device}")
    axe_check(nurse)

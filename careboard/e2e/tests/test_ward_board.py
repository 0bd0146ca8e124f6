"""The ward board and the critical list, live: what one browser context records, another,
already open, shows without a reload; after a dropped websocket the board says so, comes back
and catches up with what it missed.

The patients are the tests' own, on a ward of their own (careboard/e2e/tests/clinical.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from careboard.e2e.tests.clinical import HIGH_SET, HIGH_TOTAL, LOW_SET, Clinic, open_clinic

expect = pytest.importorskip("playwright.sync_api").expect

LIVE = "Live updates: Live"
RECONNECTING = "Live updates: Reconnecting…"


@pytest.fixture
def clinic(page_as):
    clinic = open_clinic(page_as)
    yield clinic
    clinic.close()


def live_status(page: Any) -> Any:
    return page.get_by_role("status").filter(has_text="Live updates")


def board_row(page: Any, patient: dict[str, Any]) -> Any:
    return page.locator("li.board-row").filter(has_text=patient["family_name"])


def mark_document(page: Any) -> None:
    """A flag that a reload (a new document) would lose."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page: Any) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def fill_observation(page: Any, values: dict[str, Any]) -> None:
    """Type a set into the observation form as a nurse would (choices as radio buttons)."""
    form = page.get_by_role("form", name="Record observations")
    for name, value in values.items():
        if name == "on_oxygen":
            form.get_by_role("radio", name="Oxygen" if value else "Air", exact=True).check()
        elif name == "consciousness":
            form.get_by_role("radio", name=re.compile(rf"^{value} ")).check()
        else:
            form.locator(f"input[name={name}]").fill(str(value))


def test_an_observation_recorded_in_one_context_changes_the_open_board_of_another(
    clinic: Clinic, page_as, open_app, screenshot
):
    patient, admission = clinic.admitted_patient(bed="7")
    board = page_as("nurse")
    open_app(board, f"/wards/{clinic.ward['id']}")
    expect(live_status(board)).to_have_text(LIVE)
    row = board_row(board, patient)
    expect(row.locator(".fact-news2")).to_contain_text("Not scored")
    expect(row.locator(".fact-last")).to_contain_text("No observations yet")
    critical = page_as("physician")
    open_app(critical, "/critical")
    expect(live_status(critical)).to_have_text(LIVE)
    expect(board_row(critical, patient)).to_have_count(0)
    mark_document(board)
    mark_document(critical)

    # A second nurse, in another browser, records through the patient page's form.
    recorder = page_as("nurse")
    open_app(recorder, f"/patients/{patient['id']}?record=1")
    fill_observation(recorder, HIGH_SET)
    recorder.get_by_role("button", name="Record", exact=True).click()
    expect(recorder.get_by_role("status").filter(has_text="Recorded at")).to_be_visible()

    expect(row.locator(".band")).to_have_text(f"{HIGH_TOTAL} High")
    expect(row.locator(".single3")).to_be_visible()
    expect(row.locator(".fact-last time")).to_have_text("now")
    expect(row.locator(".fact-last .vitals")).to_contain_text("RR 25")
    expect(board.get_by_role("region", name="Summary")).to_contain_text("High: 1")
    expect(live_status(board)).to_have_text(LIVE)
    assert_same_document(board)
    screenshot(board, "ward-board-live-update")

    # NEWS2 11 puts the patient on the critical list, live too.
    critical_row = board_row(critical, patient)
    expect(critical_row.locator(".band")).to_have_text(f"{HIGH_TOTAL} High")
    expect(critical_row).to_contain_text(clinic.ward["name"])
    assert_same_document(critical)
    assert len(clinic.observations(admission)) == 1


def test_the_board_reconnects_after_a_drop_and_shows_what_it_missed(
    clinic: Clinic, page_as, open_app, screenshot
):
    patient, admission = clinic.admitted_patient(bed="3")
    clinic.record(admission, LOW_SET)

    board = page_as("nurse")
    # The page's websocket goes through Playwright, which can drop it like a lost network
    # and refuse the reconnects while `refusing` holds.
    sockets: list[Any] = []
    refusing = {"on": False}

    def route(ws: Any) -> None:
        if refusing["on"]:
            ws.close(code=1012, reason="test: still down")
            return
        ws.connect_to_server()
        sockets.append(ws)

    board.route_web_socket(re.compile(r"/ws/$"), route)
    open_app(board, f"/wards/{clinic.ward['id']}")
    expect(live_status(board)).to_have_text(LIVE)
    row = board_row(board, patient)
    expect(row.locator(".band")).to_have_text("0 Low")
    mark_document(board)

    refusing["on"] = True
    sockets[-1].close(code=1012, reason="test: dropped")
    expect(live_status(board)).to_have_text(RECONNECTING)
    expect(live_status(board)).to_have_class(re.compile(r"\blive-reconnecting\b"))
    screenshot(board, "ward-board-reconnecting")

    # Recorded while the board is cut off: no event reaches it.
    clinic.record(admission, HIGH_SET)
    expect(row.locator(".band")).to_have_text("0 Low")

    refusing["on"] = False
    expect(live_status(board)).to_have_text(LIVE, timeout=20_000)
    # Back live, the board reads itself again and has the set it missed.
    expect(row.locator(".band")).to_have_text(f"{HIGH_TOTAL} High")
    assert_same_document(board)
    assert len(sockets) >= 2


def test_the_board_follows_the_network_going_offline_and_back(clinic: Clinic, page_as, open_app):
    patient, admission = clinic.admitted_patient(bed="5")
    board = page_as("nurse")
    open_app(board, f"/wards/{clinic.ward['id']}")
    expect(live_status(board)).to_have_text(LIVE)
    row = board_row(board, patient)
    expect(row.locator(".fact-news2")).to_contain_text("Not scored")
    mark_document(board)

    board.context.set_offline(True)
    expect(live_status(board)).not_to_have_text(LIVE)
    clinic.record(admission, HIGH_SET)
    board.context.set_offline(False)
    expect(live_status(board)).to_have_text(LIVE, timeout=20_000)
    expect(row.locator(".band")).to_have_text(f"{HIGH_TOTAL} High")
    assert_same_document(board)

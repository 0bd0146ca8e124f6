"""The patient portal on a phone, beyond the main flow of test_builder.py: without a link, a
log whose answer is lost on the way back (stored once, thanks to its Idempotency-Key), and a
link that stopped working because the therapist ended the program.

Each test creates its own patient, program and assignment through the API as the demo
therapist, and opens the portal link in a fresh, signed-out context.
"""

from __future__ import annotations

import re

import pytest

from careboard.e2e.browser import PHONE
from careboard.e2e.tests.builder_setup import (
    all_logs,
    api_ok,
    create_assignment,
    create_patient,
)

expect = pytest.importorskip("playwright.sync_api").expect

PHONE_CONTEXT = {"viewport": PHONE, "is_mobile": True, "has_touch": True}


def test_portal_without_a_link_asks_for_the_therapists_link(new_page, screenshot, axe_check):
    phone = new_page(**PHONE_CONTEXT)
    phone.goto("/portal/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Open the link from your therapist")
    screenshot(phone, "portal-phone-no-link")
    axe_check(phone)


def test_a_log_whose_answer_is_lost_is_sent_again_and_stored_once(
    page_as, new_page, open_app, screenshot, axe_check
):
    therapist = page_as("therapist")
    open_app(therapist, "/about")
    patient = create_patient(therapist, given_name="Lena")
    who = f"{patient['given_name']} {patient['family_name']}"
    assignment = create_assignment(therapist, patient=patient, exercises=["Chin tuck"])

    phone = new_page(**PHONE_CONTEXT)
    keys: list[str] = []

    def lose_the_first_answer(route):
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) > 1:
            route.continue_()
            return
        # The server gets the request and stores the log; the phone never hears back.
        route.fetch()
        route.abort("connectionreset")

    phone.route("**/api/v1/portal/logs/", lose_the_first_answer)
    phone.goto(assignment["portal_url"])
    session = phone.get_by_role("region", name="Daily")
    expect(session).to_contain_text("Once today")

    pain = session.get_by_role("slider", name="Pain during the exercises")
    pain.focus()
    pain.press("End")
    expect(pain).to_have_attribute("aria-valuetext", "10 of 10: Worst pain imaginable")
    session.get_by_label("Comment for your therapist (optional)").fill("Sharp pain in the neck.")
    session.get_by_role("button", name="I did this session").click()

    # No answer: kept on the phone and tried again on its own, with the same key.
    expect(session.get_by_role("status").filter(has_text="Saved on this phone.")).to_be_visible()
    waiting = phone.get_by_role("status").filter(has_text="1 entry waiting to be sent.")
    expect(waiting).to_be_visible()
    expect(waiting).to_have_count(0, timeout=15_000)
    expect(session).to_contain_text("Done for today")
    assert len(keys) == 2
    assert keys[0] == keys[1]
    screenshot(phone, "portal-phone-done")
    axe_check(phone)

    logs = all_logs(therapist, assignment["id"])
    assert [(log["pain"], log["comment"]) for log in logs] == [(10, "Sharp pain in the neck.")]

    # The therapist sees it at once as urgent.
    open_app(therapist, "/assignments")
    row = therapist.get_by_role("listitem").filter(has=therapist.get_by_role("link", name=who))
    expect(row).to_contain_text("High pain")
    expect(row).to_have_class(re.compile(r"\bflagged\b"))


def test_the_link_of_an_ended_program_no_longer_works(page_as, new_page, open_app, axe_check):
    therapist = page_as("therapist")
    open_app(therapist, "/about")
    patient = create_patient(therapist, given_name="Ingrid")
    assignment = create_assignment(therapist, patient=patient, exercises=["Neck rotation"])

    phone = new_page(**PHONE_CONTEXT)
    phone.goto(assignment["portal_url"])
    expect(phone.get_by_role("region", name="Daily")).to_be_visible()

    api_ok(therapist, "POST", f"/api/v1/assignments/{assignment['id']}/end/")
    # The token was moved from the address into the tab's storage: a reload still has it.
    phone.reload()
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(phone.get_by_role("button", name="I did this session")).to_have_count(0)
    axe_check(phone)

"""The program builder end to end: the library, the editor (drag and drop, keyboard reorder,
inline API errors), templates, the assign dialog with its QR code, the patient following the
portal link on a phone (online and offline), and adherence changing for the therapist.

Each test creates its own patient and program; the demo programs and patients stay as loaded.
Video hosts are stubbed (``record_video_requests``): the tests see every request the page
makes to them, and none goes to the internet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from careboard.builder.models import (
    MAX_DURATION_SECONDS,
    MAX_HOLD_SECONDS,
    MAX_REPS,
    MAX_REST_SECONDS,
    MAX_SETS,
    MAX_TIMES_PER_DAY,
)
from careboard.e2e.browser import PHONE, wait_for_app
from careboard.e2e.tests.builder_setup import (
    all_logs,
    api_ok,
    create_patient,
    record_video_requests,
    unique,
)

if TYPE_CHECKING:
    # Types only: without playwright installed the browser tests skip (importorskip), and
    # this module must still import.
    from playwright.sync_api import Locator, Page, Response

expect = pytest.importorskip("playwright.sync_api").expect

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def named(text: str) -> re.Pattern[str]:
    """An accessible name with a visually hidden part after a colon ("Add: Chin tuck"):
    Chromium puts a space before the hidden part (it is positioned, so not inline)."""
    return re.compile("^" + re.escape(text).replace(":", r"\s?:") + "$")


def test_library_search_filters_and_video_loads_only_on_click(
    page_as, open_app, screenshot, axe_check
):
    page = page_as("therapist")
    video_requests = record_video_requests(page.context)
    open_app(page, "/library")
    expect(page.get_by_role("heading", level=1)).to_have_text("Exercise library")
    expect(page).to_have_title("Exercise library · Careboard")
    cards = page.get_by_role("article")
    expect(cards.first).to_be_visible()

    page.get_by_role("searchbox", name="Search").fill("chin tuck")
    expect(page).to_have_url(re.compile(r"/library\?search=chin\+tuck$"))
    card = page.get_by_role("article", name="Chin tuck", exact=True)
    expect(card).to_contain_text("Neck")
    # The words are looked for in the names and the instructions, and every result has them.
    expect(cards.filter(has_not_text=re.compile(r"chin", re.I))).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text(f"{cards.count()} exercises")

    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Body region").select_option(label="Knee")
    page.get_by_label("Difficulty").select_option(label="Easy")
    expect(page).to_have_url(re.compile(r"/library\?body_region=knee&difficulty=easy$"))
    expect(cards.first).to_be_visible()
    # Every result is a knee exercise rated easy, and the count says how many there are.
    expect(cards.filter(has_not_text="Knee")).to_have_count(0)
    expect(cards.locator(".difficulty").filter(has_not_text="Easy")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text(re.compile(rf"^{cards.count()} exercises?$"))
    screenshot(page, "builder-library")
    axe_check(page)

    page.get_by_role("button", name="Clear filters").click()
    page.get_by_role("searchbox", name="Search").fill("chin tuck")
    expect(card).to_be_visible()
    # A whole page of cards with videos, and not one request to a video host (not even a
    # thumbnail) before the click.
    assert video_requests == []
    card.get_by_role("button", name=named("Load video from YouTube: Chin tuck")).click()
    player = card.frame_locator('iframe[title="Video: Chin tuck"]')
    expect(player.get_by_text("Player stub")).to_be_visible()
    assert len(video_requests) == 1
    assert re.match(r"^https://www\.youtube-nocookie\.com/embed/[\w-]{11}\?", video_requests[0])
    assert "autoplay=1" in video_requests[0]
    screenshot(page, "builder-library-video")


def item_row(scope: Locator, exercise: str) -> Locator:
    """An exercise of a session in the editor, by its name."""
    heading = scope.page.get_by_role("heading", level=4, name=re.compile(rf"^\d+\. {exercise}$"))
    return scope.get_by_role("listitem").filter(has=heading)


def build_program(
    page: Page,
    open_app: Callable[[Page, str], Response | None],
    screenshot: Callable[[Page, str], Path],
    name: str,
) -> str:
    """Build a program in the editor by dragging exercises from the picker; return its id."""
    open_app(page, "/programs/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("New program")
    page.get_by_label("Name", exact=True).fill(name)
    session = page.get_by_role("region", name=re.compile(r"^Session 1 "))
    session.get_by_label("Session name").fill("Morning routine")
    times = session.get_by_label("Times per day")
    # The input offers what the API accepts (MAX_TIMES_PER_DAY), not more.
    expect(times).to_have_attribute("max", str(MAX_TIMES_PER_DAY))
    times.fill("2")
    session = page.get_by_role("region", name="Session 1 Morning routine")
    expect(session).to_be_visible()
    exercises = session.get_by_role("heading", level=4)

    picker = page.get_by_role("complementary", name="Add exercises")
    search = picker.get_by_role("searchbox", name="Search")

    def searched_for(words: str) -> Callable[[Response], bool]:
        def match(response: Response) -> bool:
            url = urlsplit(response.url)
            return url.path == "/api/v1/exercises/" and parse_qs(url.query).get("search") == [words]

        return match

    def drag(exercise: str, target: Locator, **options: Any) -> None:
        # The search's answer first: a list re-rendered under the pointer ends the drag.
        with page.expect_response(searched_for(exercise)):
            search.fill(exercise)
        entry = picker.get_by_role("listitem").filter(has_text=exercise).first
        expect(picker.get_by_role("status")).not_to_have_text("Loading…")
        expect(entry).to_be_visible()
        # A real mouse drag in Chromium: press on the entry, move over the target, release.
        # The target is brought into view first, as a user would scroll to it (the picker
        # is sticky, so it stays in view).
        target.scroll_into_view_if_needed()
        entry.drag_to(target, **options)

    drag("Chin tuck", session.get_by_text("Drag exercises from the library here"))
    expect(exercises).to_have_text(["1. Chin tuck"])
    drag("Neck rotation", session.get_by_text("Drop here to add at the end"))
    expect(exercises).to_have_text(["1. Chin tuck", "2. Neck rotation"])
    # Onto the top edge of the first exercise: the new one goes before it.
    drag("Neck side bend", item_row(session, "Chin tuck"), target_position={"x": 40, "y": 6})
    expect(exercises).to_have_text(["1. Neck side bend", "2. Chin tuck", "3. Neck rotation"])

    # Keyboard: Alt+↑ in one of an exercise's fields moves it up, and the focus stays there.
    reps = item_row(session, "Neck rotation").get_by_label("Reps")
    reps.focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(exercises).to_have_text(["1. Neck side bend", "2. Neck rotation", "3. Chin tuck"])
    expect(reps).to_be_focused()
    expect(
        page.get_by_text("Neck rotation moved: Morning routine, position 2 of 3.")
    ).to_be_attached()

    # Dosage, one of them out of range: the API's error lands on that input.
    chin = item_row(session, "Chin tuck")
    for label, limit in (
        ("Sets", MAX_SETS),
        ("Reps", MAX_REPS),
        ("Hold", MAX_HOLD_SECONDS),
        ("Duration", MAX_DURATION_SECONDS),
        ("Rest", MAX_REST_SECONDS),
    ):
        expect(chin.get_by_label(label)).to_have_attribute("max", str(limit))
    chin.get_by_label("Sets").fill("3")
    chin.get_by_label("Reps").fill("12")
    reps.fill("0")
    page.get_by_role("button", name="Create program").click()
    summary = page.get_by_role("alert").filter(has_text="The program was not saved")
    expect(summary).to_contain_text("fix 1 problem")
    expect(reps).to_have_attribute("aria-invalid", "true")
    expect(reps).to_have_accessible_description(re.compile(r"greater than or equal to 1"))
    summary.get_by_role("link", name="Session 1, exercise 2 (Neck rotation), Repetitions").click()
    expect(reps).to_be_focused()
    screenshot(page, "builder-editor-error")

    reps.fill("8")
    expect(reps).not_to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Create program").click()
    expect(page).to_have_url(re.compile(rf"/programs/{UUID}$"))
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page).to_have_title(f"{name} · Careboard")
    return page.url.rsplit("/", 1)[1]


def test_program_built_by_drag_and_drop_assigned_and_followed_on_a_phone(
    page_as, new_page, open_app, server, screenshot, axe_check
):
    therapist = page_as("therapist")
    record_video_requests(therapist.context)
    open_app(therapist, "/about")
    patient = create_patient(therapist, given_name="Paula")
    who = f"{patient['given_name']} {patient['family_name']}"
    name = unique("Neck programme")

    program_id = build_program(therapist, open_app, screenshot, name)
    # As saved: the order from the drags and the keyboard move, the dosage as typed.
    saved = api_ok(therapist, "GET", f"/api/v1/programs/{program_id}/")
    [session] = saved["sessions"]
    assert (session["name"], session["times_per_day"]) == ("Morning routine", 2)
    assert [(i["exercise_summary"]["name"], i["sets"], i["reps"]) for i in session["items"]] == [
        ("Neck side bend", 2, 8),
        ("Neck rotation", 2, 8),
        ("Chin tuck", 3, 12),
    ]
    screenshot(therapist, "builder-editor")
    axe_check(therapist)

    open_app(therapist, "/programs")
    expect(therapist.get_by_role("link", name=name)).to_be_visible()
    therapist.get_by_label("Templates").check()
    expect(
        therapist.get_by_role("status").filter(has_text=re.compile(r"\d+ templates?"))
    ).to_be_visible()
    expect(therapist.get_by_role("link", name=name)).to_have_count(0)
    screenshot(therapist, "builder-templates")
    axe_check(therapist)

    # Assign: the dialog hands over the link and its QR code.
    open_app(therapist, f"/programs/{program_id}")
    therapist.get_by_role("button", name="Assign to a patient…").click()
    dialog = therapist.get_by_role("dialog", name=f'Assign "{name}"')
    expect(dialog).to_be_visible()
    dialog.get_by_label("Find the patient").fill(patient["family_name"])
    dialog.get_by_role("radio", name=re.compile(re.escape(who))).check()
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(dialog.get_by_role("status").filter(has_text=f"Assigned to {who}")).to_be_visible()
    link = dialog.get_by_role("textbox", name="Patient's portal link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(server)}/portal/#cbp_[\w-]+$"))
    portal_url = link.input_value()
    qr = dialog.get_by_role("img", name="QR code of the patient's portal link")
    expect(qr.locator("svg path").first).to_be_attached()
    screenshot(therapist, "builder-assign-dialog")
    axe_check(therapist)
    dialog.get_by_role("link", name="Open the assignment").click()
    expect(therapist).to_have_url(re.compile(rf"/assignments/{UUID}$"))
    assignment_id = therapist.url.rsplit("/", 1)[1]
    wait_for_app(therapist)

    # Before the patient logs anything: nothing done, nothing planned yet (today is not over).
    adherence = therapist.get_by_role("region", name="Adherence")
    expect(adherence).to_contain_text("0 of 0 planned sessions done so far")
    expect(therapist.get_by_text("Nothing logged yet.")).to_be_visible()
    before = adherence.locator(".big").inner_text()
    assert before == "—"
    open_app(therapist, "/assignments")
    row = therapist.get_by_role("listitem").filter(has=therapist.get_by_role("link", name=who))
    expect(row).to_contain_text(re.compile(r"Last activity\s*never"))

    # The patient: a phone, no account, only the link.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    video_requests = record_video_requests(phone.context)
    phone.goto(portal_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text(name)
    # The secret leaves the address bar as soon as it has been read.
    expect(phone).to_have_url(f"{server}/portal/")
    today = phone.get_by_role("region", name="Morning routine")
    exercises = today.get_by_role("listitem").get_by_role("heading", level=3)
    expect(exercises).to_have_text(["1. Neck side bend", "2. Neck rotation", "3. Chin tuck"])
    chin = today.get_by_role("listitem").filter(
        has=phone.get_by_role("heading", name="3. Chin tuck")
    )
    expect(chin.get_by_role("list", name="How much").get_by_role("listitem")).to_have_text(
        ["3 sets", "12 repetitions", "hold 3 s", "rest 30 s"]
    )
    screenshot(phone, "portal-phone")
    axe_check(phone)

    assert video_requests == []
    chin.get_by_role("button", name=named("Load video from YouTube: Chin tuck")).click()
    expect(chin.frame_locator("iframe").get_by_text("Player stub")).to_be_visible()
    assert [url.split("?")[0] for url in video_requests] == [
        url.split("?")[0] for url in video_requests if "youtube-nocookie.com/embed/" in url
    ]
    assert len(video_requests) == 1

    chin.get_by_role("button", name=named("Mark as done: Chin tuck")).click()
    expect(chin.get_by_text(re.compile(r"^✓\s*Done$"))).to_be_visible()
    expect(chin.get_by_role("button", name=named("Mark as done again: Chin tuck"))).to_be_visible()

    # How it went: the sliders by keyboard (they start unrated, at the middle).
    pain = today.get_by_role("slider", name="Pain during the exercises")
    pain.focus()
    pain.press("ArrowLeft")
    pain.press("ArrowLeft")
    expect(pain).to_have_attribute("aria-valuetext", "3 of 10: Mild pain")
    difficulty = today.get_by_role("slider", name="How hard it was")
    difficulty.press("ArrowRight")
    expect(difficulty).to_have_attribute("aria-valuetext", "6 of 10: Moderate")
    today.get_by_label("Comment for your therapist (optional)").fill("Neck felt stiff at first.")
    today.get_by_role("button", name="I did this session").click()
    expect(today.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(today).to_contain_text("Done 1 of 2 times today")
    expect(pain).to_have_attribute("aria-valuetext", "Not rated")

    # Offline: the second round is kept on the phone, then sent once when back online.
    phone.context.set_offline(True)
    expect(phone.get_by_role("status").filter(has_text="Offline")).to_be_visible()
    today.get_by_label("Comment for your therapist (optional)").fill("Second round, offline.")
    today.get_by_role("button", name="I did this session").click()
    expect(today.get_by_role("status").filter(has_text="Saved on this phone.")).to_be_visible()
    waiting = phone.get_by_role("status").filter(has_text="1 entry waiting to be sent.")
    expect(waiting).to_be_visible()
    expect(today).to_contain_text("Done for today")
    screenshot(phone, "portal-phone-offline")
    axe_check(phone)
    comments = [log["comment"] for log in all_logs(therapist, assignment_id)]
    assert "Second round, offline." not in comments

    phone.context.set_offline(False)
    expect(waiting).to_have_count(0)
    expect(phone.get_by_role("status").filter(has_text="Offline")).to_have_count(0)
    logs = all_logs(therapist, assignment_id)
    assert sorted((log["item_id"] is None, log["comment"]) for log in logs) == [
        (False, ""),
        (True, "Neck felt stiff at first."),
        (True, "Second round, offline."),
    ]

    # The therapist sees the change: activity today, both sessions done, the reports.
    open_app(therapist, "/assignments")
    row = therapist.get_by_role("listitem").filter(has=therapist.get_by_role("link", name=who))
    expect(row).not_to_contain_text("never")
    screenshot(therapist, "builder-assignments")
    axe_check(therapist)
    row.get_by_role("link", name=who).click()
    adherence = therapist.get_by_role("region", name="Adherence")
    expect(adherence).to_contain_text("2 of 2 planned sessions done so far")
    after = adherence.locator(".big").inner_text()
    assert (before, after) == ("—", "100 %")
    logged = therapist.get_by_role("region", name="What the patient logged")
    expect(logged.get_by_text("Second round, offline.")).to_have_count(1)
    expect(logged.get_by_text("Pain 3/10")).to_be_visible()
    screenshot(therapist, "builder-assignment-adherence")
    axe_check(therapist)

"""What the builder and portal browser tests create for themselves, through the REST API.

Requests run inside a signed-in page (``fetch`` with its session cookie and CSRF token), so
they are made exactly as the app makes them and by the same persona. Every name and hospital
number is unique per call: the tests share one live server and never touch the demo rows.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from careboard.e2e.browser import wait_for_app

if TYPE_CHECKING:
    # Types only: without playwright installed the browser tests skip (importorskip), and
    # this module must still import.
    from playwright.sync_api import BrowserContext, Page, Route

# Hosts of the video players and their assets: nothing may be requested from them until the
# viewer clicks "Load video" (DESIGN.md, privacy).
VIDEO_HOSTS = re.compile(
    r"^https?://([a-z0-9-]+\.)*(youtube(-nocookie)?\.com|ytimg\.com|googlevideo\.com"
    r"|vimeo\.com|vimeocdn\.com)(:\d+)?/"
)
# What a stubbed player answers: the test machine has no internet, and a test must not
# depend on a third party anyway.
PLAYER_STUB = "<!doctype html><html lang=en><title>Video player</title><p>Player stub</p></html>"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def record_video_requests(context: BrowserContext) -> list[str]:
    """Answer every request to a video host with a stub page and return the list they go to.

    On the context, so that requests from frames and every page of the context are seen.
    """
    seen: list[str] = []

    def handle(route: Route) -> None:
        seen.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=PLAYER_STUB)

    context.route(VIDEO_HOSTS, handle)
    return seen


def api(page: Page, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A JSON request from the signed-in page: (status, parsed body or None)."""
    if not page.url.startswith("http"):
        # fetch needs the app's origin and its CSRF meta tag: any page of the app has both.
        page.goto("/about")
        wait_for_app(page)
    # The script answers [status, body]: a JSON array, a list here.
    status, data = page.evaluate(
        """async ([method, path, body]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
            const headers = { Accept: "application/json", "X-CSRFToken": csrf };
            if (body !== null) headers["Content-Type"] = "application/json";
            const response = await fetch(path, {
                method, headers, body: body === null ? undefined : JSON.stringify(body),
            });
            const text = await response.text();
            return [response.status, text ? JSON.parse(text) : null];
        }""",
        [method, path, body],
    )
    return status, data


def api_ok(page: Page, method: str, path: str, body: Any = None) -> Any:
    status, data = api(page, method, path, body)
    if status >= 400:
        raise AssertionError(f"{method} {path} answered {status}: {data}")
    return data


def create_patient(page: Page, given_name: str = "Pat") -> dict[str, Any]:
    """A new outpatient of the page's organisation, with a unique name and MRN."""
    family = unique("Tester").replace("-", "")
    patient: dict[str, Any] = api_ok(
        page,
        "POST",
        "/api/v1/patients/",
        {
            "mrn": unique("E2E").upper(),
            "given_name": given_name,
            "family_name": family,
            "birth_date": "1960-05-17",
            "sex": "female",
            "preferred_language": "en",
        },
    )
    return patient


def exercise(page: Page, name: str) -> dict[str, Any]:
    """The global library's exercise of that name."""
    results: list[dict[str, Any]] = api_ok(
        page, "GET", f"/api/v1/exercises/?search={name}&page_size=50"
    )["results"]
    for found in results:
        if found["name"] == name:
            return found
    raise AssertionError(f"no exercise named {name!r} in {[r['name'] for r in results]}")


def all_logs(page: Page, assignment_id: str) -> list[dict[str, Any]]:
    """Every log of an assignment, newest first, as the therapist reads them."""
    logs: list[dict[str, Any]] = []
    path: str | None = f"/api/v1/assignments/{assignment_id}/logs/?page_size=100"
    while path:
        data = api_ok(page, "GET", path)
        logs.extend(data["results"])
        path = data.get("next")
    return logs


def local_today(page: Page) -> str:
    """Today in the page's time zone (the organisation's, in these tests), as YYYY-MM-DD."""
    today: str = page.evaluate("() => new Date().toLocaleDateString('sv-SE')")
    return today


def create_assignment(
    page: Page, *, patient: dict[str, Any], exercises: list[str], times_per_day: int = 1
) -> dict[str, Any]:
    """A new one-session program of the named library exercises, assigned to the patient
    from today; the answer of the assign request (``id``, ``portal_url``…)."""
    items = [
        {"exercise": exercise(page, name)["id"], "sets": 2, "reps": 10, "side": "both"}
        for name in exercises
    ]
    program = api_ok(
        page,
        "POST",
        "/api/v1/programs/",
        {
            "name": unique("Portal programme"),
            "duration_weeks": 2,
            "sessions": [{"name": "Daily", "times_per_day": times_per_day, "items": items}],
        },
    )
    assignment: dict[str, Any] = api_ok(
        page,
        "POST",
        f"/api/v1/programs/{program['id']}/assign/",
        {"patient": patient["id"], "start_date": local_today(page)},
    )
    return assignment

"""End-to-end tests: the built app in a real headless Chromium against a real server.

Fixtures for every browser test (add a ``tests/test_<page>.py`` and use them; helpers such as
``persona``, ``sign_in``, ``wait_for_app`` and the viewports are in ``careboard/e2e/browser.py``):

- ``server``: the base URL of a live server (uvicorn, demo data, DEBUG off) shared by the
  session. Tests share its database: create what you change (a new ward, an invited member)
  rather than editing the demo personas' rows, so that tests stay independent of each other.
- ``browser``: Debian's Chromium through Playwright (skipped when /usr/bin/chromium is missing).
- ``new_page(**context_options)``: a page in a fresh, signed-out browser context.
- ``page_as(role, org="demo")``: a page signed in as a demo persona (``admin@example.org``…;
  ``org="other"`` for Other Clinic's), not yet navigated. Sign-in happens once per persona
  and session; every call gets its own context.
- ``open_app(page, path)``: go to a page of the Vue app and wait until it has rendered.
- ``screenshot(page, name)``: saves frontend/test-results/screenshots/<name>.png.
- ``axe_check(page)``: fails on serious or critical axe-core violations.

Every context records uncaught page errors and fails its test on one; a failing test leaves a
screenshot of each of its open pages in frontend/test-results/failures/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from careboard.e2e.axe import axe_violations, blocking, format_violations
from careboard.e2e.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, persona, sign_in, wait_for_app
from careboard.e2e.server import ROOT, LiveServer

if TYPE_CHECKING:
    # Types only: without playwright installed the browser tests skip (importorskip), and
    # this module must still import.
    from playwright.sync_api import Browser, BrowserContext, Page, Response, StorageState

RESULTS = ROOT / "frontend" / "test-results"
SCREENSHOTS = RESULTS / "screenshots"
FAILURES = RESULTS / "failures"
MANIFEST = ROOT / "careboard" / "static" / "dist" / "manifest.json"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests against a live server (careboard/e2e)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Kept on the item so that the page fixtures know, at teardown, whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def _live_server() -> Iterator[LiveServer]:
    if not MANIFEST.exists():
        pytest.skip("the front end is not built (careboard/static/dist): run `make frontend`")
    live = LiveServer()
    try:
        live.start()
        yield live
    finally:
        live.close()


@pytest.fixture(scope="package")
def _results() -> Path:
    # Emptied once per session, so the folders hold exactly this run's pages and failures.
    for folder in (SCREENSHOTS, FAILURES):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    return RESULTS


@pytest.fixture(scope="package")
def server(_live_server: LiveServer) -> str:
    return _live_server.url


@pytest.fixture(scope="package")
def _manifest_at_start(_live_server: LiveServer) -> bytes:
    return MANIFEST.read_bytes()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


@pytest.fixture
def new_page(
    browser: Browser,
    server: str,
    _live_server: LiveServer,
    _manifest_at_start: bytes,
    _results: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Page]]:
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(**options: Any) -> Page:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-GB")
        options.setdefault("timezone_id", "Europe/Berlin")
        context = browser.new_context(base_url=server, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    yield make

    failed = any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        notes = [f"server log (tail):\n{_live_server.log_tail()}"]
        if not MANIFEST.exists() or MANIFEST.read_bytes() != _manifest_at_start:
            # The server serves careboard/static/dist as it is now: a page loaded before a
            # rebuild asks for chunks the rebuild deleted.
            notes.insert(0, "careboard/static/dist was rebuilt during this test run")
        request.node.add_report_section("teardown", "e2e", "\n".join(notes))
        for c, context in enumerate(contexts):
            for p, page in enumerate(context.pages):
                name = _safe_name(f"{request.node.nodeid}-{c}-{p}")
                page.screenshot(path=str(FAILURES / f"{name}.png"), full_page=True)
    for context in contexts:
        context.close()
    if errors and not failed:
        pytest.fail("uncaught errors in the page:\n" + "\n".join(errors))


@pytest.fixture(scope="package")
def _signed_in_states() -> dict[str, StorageState]:
    """Browser storage (the session cookie) per persona, so each signs in once per session."""
    return {}


@pytest.fixture
def page_as(
    new_page: Callable[..., Page], server: str, _signed_in_states: dict[str, StorageState]
) -> Callable[..., Page]:
    def make(role: str, org: str = "demo", **options: Any) -> Page:
        email = persona(role, org)
        state = _signed_in_states.get(email)
        if state is None:
            page = new_page()
            sign_in(page, server, email)
            if "/accounts/login" in page.url:
                raise AssertionError(f"sign-in as {email} failed: still on {page.url}")
            state = _signed_in_states[email] = page.context.storage_state()
            page.context.close()
        return new_page(storage_state=state, **options)

    return make


@pytest.fixture
def open_app() -> Callable[[Page, str], Response | None]:
    def go(page: Page, path: str) -> Response | None:
        response = page.goto(path)
        wait_for_app(page)
        return response

    return go


@pytest.fixture
def screenshot(_results: Path) -> Callable[[Page, str], Path]:
    def save(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{_safe_name(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def axe_check() -> Callable[..., list[dict[str, Any]]]:
    """``axe_check(page, disable=("rule-id",))``: every violation found, failing on serious ones."""

    def check(page: Page, *, disable: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        violations = axe_violations(page, disable=disable)
        serious = blocking(violations)
        if serious:
            pytest.fail(f"axe on {page.url}:\n{format_violations(serious)}")
        return violations

    return check

"""Settings: members and roles, invitations, wards, the organisation, personal API tokens.

The tests change only what they create (an invited member, a new ward, a new token), and the
organisation test runs on Other Clinic, so other browser tests see the demo data as loaded.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from careboard.e2e.browser import APP_HOME, PHONE, persona, wait_for_app

expect = pytest.importorskip("playwright.sync_api").expect

DEMO_MEMBERS = [persona(role) for role in ("admin", "physician", "nurse", "therapist", "viewer")]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def api_get(server: str, path: str, token: str) -> tuple[int, dict[str, Any]]:
    """A request with nothing but the bearer token (no browser cookies)."""
    request = urllib.request.Request(  # noqa: S310
        f"{server}{path}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_admin_sees_members_and_moves_between_tabs_by_keyboard(
    page_as, open_app, screenshot, axe_check
):
    page = page_as("admin")
    open_app(page, "/settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.get_by_text("Organisation: Demo Hospital")).to_be_visible()
    members_tab = page.get_by_role("tab", name="Members")
    expect(members_tab).to_have_attribute("aria-selected", "true")
    for email in DEMO_MEMBERS:
        expect(page.locator(f'tr[data-email="{email}"]')).to_be_visible()
    # The signed-in admin's own row cannot be changed here.
    expect(page.locator(f'tr[data-email="{persona("admin")}"] select')).to_be_disabled()
    screenshot(page, "settings-members")
    axe_check(page)

    members_tab.focus()
    page.keyboard.press("ArrowRight")
    invitations_tab = page.get_by_role("tab", name="Invitations")
    expect(invitations_tab).to_be_focused()
    expect(invitations_tab).to_have_attribute("aria-selected", "true")
    expect(page).to_have_url(re.compile(r"/settings\?tab=invitations$"))
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="API tokens")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(members_tab).to_be_focused()


def test_invite_a_member_who_joins_then_change_their_role_and_remove_them(
    page_as, new_page, open_app, server, screenshot, axe_check
):
    email = f"{unique('invitee')}@example.org"
    admin = page_as("admin")
    open_app(admin, "/settings?tab=invitations")
    admin.get_by_label("E-mail address").fill(email)
    admin.get_by_label("Role").select_option("nurse")
    admin.get_by_role("button", name="Send invitation").click()

    link = admin.get_by_label(f"Invitation link for {email}")
    expect(link).to_be_focused()
    expect(link).to_have_value(re.compile(rf"^{re.escape(server)}/invite/[^/]+/$"))
    accept_url = link.input_value()
    row = admin.locator(f'tr[data-email="{email}"]')
    expect(row).to_contain_text("Nurse")
    expect(row).to_contain_text("Pending")
    expect(row).to_contain_text(persona("admin"))
    screenshot(admin, "settings-invitations")
    axe_check(admin)

    # The link is shown once: after a reload the list has the invitation, not the link.
    admin.reload()
    wait_for_app(admin)
    expect(admin.locator(f'tr[data-email="{email}"]')).to_contain_text("Pending")
    expect(admin.get_by_test_id("secret-value")).to_have_count(0)

    invitee = new_page()
    invitee.goto(accept_url)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Demo Hospital")
    screenshot(invitee, "invitation-sign-up")
    axe_check(invitee)
    invitee.locator("input[name=name]").fill("Ivy Invitee")
    invitee.locator("input[name=password1]").fill("a-long-enough-passphrase-42")
    invitee.locator("input[name=password2]").fill("a-long-enough-passphrase-42")
    invitee.get_by_role("button", name="Create account and join").click()
    wait_for_app(invitee)
    expect(invitee).to_have_url(APP_HOME)
    expect(invitee.locator(".who")).to_have_text("Ivy Invitee")

    open_app(admin, "/settings?tab=invitations")
    expect(admin.locator(f'tr[data-email="{email}"]')).to_contain_text("Accepted")
    admin.get_by_role("tab", name="Members").click()
    member = admin.locator(f'tr[data-email="{email}"]')
    member.get_by_label("Role of Ivy Invitee").select_option("therapist")
    expect(
        admin.get_by_role("status").filter(has_text="Ivy Invitee is now Therapist.")
    ).to_be_visible()
    admin.reload()
    wait_for_app(admin)
    expect(member.get_by_label("Role of Ivy Invitee")).to_have_value("therapist")

    member.get_by_role("button", name="Remove").click()
    expect(member).to_contain_text("Remove Ivy Invitee from the organisation?")
    axe_check(admin)
    member.locator("button.danger").click()
    expect(admin.get_by_role("status").filter(has_text="Ivy Invitee was removed")).to_be_visible()
    expect(member).to_have_count(0)
    admin.reload()
    wait_for_app(admin)
    expect(admin.locator(f'tr[data-email="{persona("nurse")}"]')).to_be_visible()
    expect(member).to_have_count(0)


def test_revoke_an_invitation(page_as, open_app, new_page, screenshot, axe_check):
    email = f"{unique('revoked')}@example.org"
    admin = page_as("admin")
    open_app(admin, "/settings?tab=invitations")
    admin.get_by_label("E-mail address").fill(email)
    admin.get_by_label("Role").select_option("viewer")
    admin.get_by_role("button", name="Send invitation").click()
    accept_url = admin.get_by_label(f"Invitation link for {email}").input_value()
    admin.get_by_role("button", name="Done").click()
    expect(admin.get_by_test_id("secret-value")).to_have_count(0)

    row = admin.locator(f'tr[data-email="{email}"]')
    row.get_by_role("button", name="Revoke").click()
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_contain_text("Pending")
    row.get_by_role("button", name="Revoke").click()
    row.locator("button.danger").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button")).to_have_count(0)

    stranger = new_page()
    stranger.goto(accept_url)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Invitation not valid")
    screenshot(stranger, "invitation-not-valid")
    axe_check(stranger)


def test_an_invitation_with_a_bad_address_is_refused_in_place(page_as, open_app):
    admin = page_as("admin")
    open_app(admin, "/settings?tab=invitations")
    admin.get_by_label("E-mail address").fill("not-an-address")
    admin.get_by_role("button", name="Send invitation").click()
    field = admin.get_by_label("E-mail address")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#invite-email-error")).to_have_text("Enter a valid email address.")
    expect(admin.get_by_test_id("secret-value")).to_have_count(0)


def test_create_rename_and_archive_a_ward(page_as, open_app, screenshot, axe_check):
    name = unique("E2E Ward")
    renamed = f"{name} (renamed)"
    admin = page_as("admin")
    open_app(admin, "/settings?tab=wards")
    expect(admin.locator('tr[data-ward="Medical Ward 3"]')).to_contain_text("M3")

    admin.get_by_label("Name", exact=True).fill(name)
    admin.get_by_label("Code", exact=True).fill("E2E")
    admin.get_by_label("Beds", exact=True).fill("12")
    admin.get_by_role("button", name="Add ward").click()
    row = admin.locator(f'tr[data-ward="{name}"]')
    expect(row).to_contain_text("E2E")
    expect(row).to_contain_text("12")
    expect(row).to_contain_text("Active")

    # The same name, in any letters, is refused next to the field.
    for same in (name.upper(), name):
        admin.get_by_label("Name", exact=True).fill(same)
        admin.get_by_role("button", name="Add ward").click()
        expect(admin.locator("#ward-new-name-error")).to_have_text("A ward with this name exists.")
        expect(admin.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")

    row.get_by_role("button", name=f"Edit {name}").click()
    name_field = row.get_by_label("Name")
    expect(name_field).to_be_focused()
    name_field.fill(renamed)
    row.get_by_role("button", name="Save").click()
    row = admin.locator(f'tr[data-ward="{renamed}"]')
    expect(row).to_be_visible()
    expect(admin.get_by_role("button", name=f"Edit {renamed}")).to_be_focused()

    row.get_by_role("button", name="Archive").click()
    row.locator("button.danger").click()
    expect(row).to_contain_text("Archived")
    expect(row.get_by_role("button", name="Restore")).to_be_visible()
    screenshot(admin, "settings-wards")
    axe_check(admin)

    admin.reload()
    wait_for_app(admin)
    expect(admin.locator(f'tr[data-ward="{renamed}"]')).to_contain_text("Archived")


def test_organisation_name_and_time_zone(page_as, open_app, screenshot, axe_check):
    # Other Clinic: the demo hospital's name and time zone stay as other tests expect them.
    admin = page_as("admin", org="other")
    open_app(admin, "/settings?tab=organization")
    name = admin.get_by_label("Name", exact=True)
    zone = admin.get_by_label("Time zone")
    expect(name).to_have_value("Other Clinic")
    expect(zone).to_have_value("Asia/Bangkok")
    screenshot(admin, "settings-organization")
    axe_check(admin)

    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status").filter(has_text="Nothing to save")).to_be_visible()

    name.fill("Other Clinic (renamed)")
    zone.select_option("Asia/Singapore")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    admin.reload()
    wait_for_app(admin)
    expect(admin.get_by_text("Organisation: Other Clinic (renamed)")).to_be_visible()
    expect(name).to_have_value("Other Clinic (renamed)")
    expect(zone).to_have_value("Asia/Singapore")

    name.fill("")
    admin.get_by_role("button", name="Save").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#org-name-error")).to_have_text("This field may not be blank.")

    name.fill("Other Clinic")
    zone.select_option("Asia/Bangkok")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    expect(name).not_to_have_attribute("aria-invalid", "true")


def test_organisation_shift_times_and_observation_intervals(page_as, open_app, axe_check):
    admin = page_as("admin", org="other")
    open_app(admin, "/settings?tab=organization")
    organization_id = admin.evaluate("localStorage.getItem('careboard.organization')") or next(
        m["organization_id"] for m in admin.request.get("/api/v1/me/").json()["memberships"]
    )
    exposed = admin.request.get(f"/api/v1/organizations/{organization_id}/").json()
    if "day_shift_start" not in exposed:
        pytest.skip("the organisation API does not expose shift times and intervals yet")

    day = admin.get_by_label("Day shift starts")
    high = admin.get_by_label("NEWS2 7 or more")
    expect(day).to_have_value("07:00")
    expect(high).to_have_value("15")
    day.fill("06:30")
    high.fill("30")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status").filter(has_text="were saved")).to_be_visible()
    admin.reload()
    wait_for_app(admin)
    expect(day).to_have_value("06:30")
    expect(high).to_have_value("30")

    high.fill("2")
    admin.get_by_role("button", name="Save").click()
    expect(high).to_have_attribute("aria-invalid", "true")
    axe_check(admin)

    day.fill("07:00")
    high.fill("15")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("status").filter(has_text="were saved")).to_be_visible()


def test_every_user_manages_their_own_api_tokens(page_as, open_app, server, screenshot, axe_check):
    nurse = page_as("nurse")
    nurse.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_app(nurse, "/settings")
    # Not an admin: no organisation tabs, only the tokens.
    expect(nurse.get_by_role("tablist")).to_have_count(0)
    expect(nurse.get_by_role("heading", name="Your API tokens")).to_be_visible()

    name = unique("laptop")
    nurse.get_by_label("Name", exact=True).fill(name)
    nurse.get_by_label("Valid for (days)").fill("30")
    nurse.get_by_role("button", name="Create token").click()
    secret_field = nurse.get_by_label(f"New token “{name}”")
    expect(secret_field).to_be_visible()
    secret = secret_field.input_value()
    assert secret
    screenshot(nurse, "settings-tokens-secret")
    axe_check(nurse)

    nurse.get_by_role("button", name="Copy").click()
    expect(nurse.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert nurse.evaluate("navigator.clipboard.readText()") == secret

    status, me = api_get(server, "/api/v1/me/", secret)
    assert (status, me["email"]) == (200, persona("nurse"))

    nurse.get_by_role("button", name="Done").click()
    expect(nurse.get_by_test_id("secret-value")).to_have_count(0)
    row = nurse.locator(f'tr[data-token="{name}"]')
    expect(row).to_contain_text("Active")
    nurse.reload()
    wait_for_app(nurse)
    prefix = row.locator("code").inner_text()
    assert prefix.endswith("…")
    assert secret.startswith(prefix[:-1])
    assert len(prefix) < len(secret)
    assert secret not in nurse.content()
    screenshot(nurse, "settings-tokens")
    axe_check(nurse)

    row.get_by_role("button", name="Revoke").click()
    row.locator("button.danger").click()
    expect(row).to_contain_text("Revoked")
    status, _ = api_get(server, "/api/v1/me/", secret)
    assert status == 401


def test_a_token_lifetime_out_of_range_is_refused_in_place(page_as, open_app):
    nurse = page_as("nurse")
    open_app(nurse, "/settings")
    nurse.get_by_label("Name", exact=True).fill(unique("too-long"))
    nurse.get_by_label("Valid for (days)").fill("999")
    nurse.get_by_role("button", name="Create token").click()
    days = nurse.get_by_label("Valid for (days)")
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(nurse.locator("#token-days-error")).to_contain_text("365")
    expect(nurse.get_by_test_id("secret-value")).to_have_count(0)


def test_settings_on_a_phone(page_as, open_app, screenshot, axe_check):
    admin = page_as("admin", viewport=PHONE, is_mobile=True, has_touch=True)
    open_app(admin, "/settings?tab=members")
    expect(admin.get_by_role("tab", name="Members")).to_be_visible()
    screenshot(admin, "settings-members-phone")
    axe_check(admin)
    open_app(admin, "/settings?tab=tokens")
    screenshot(admin, "settings-tokens-phone")
    axe_check(admin)

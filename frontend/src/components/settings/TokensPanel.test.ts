import { flushPromises, mount } from "@vue/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createI18n } from "vue-i18n";

import { ApiError } from "@/api/http";
import type { ApiToken } from "@/api/tokens";
import TokensPanel from "@/components/settings/TokensPanel.vue";
import common from "@/i18n/locales/en/common.json";
import settings from "@/i18n/locales/en/settings.json";

vi.mock("@/api/tokens", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/api/tokens")>()),
  listTokens: vi.fn(),
  createToken: vi.fn(),
  revokeToken: vi.fn(),
}));

const tokens = await import("@/api/tokens");
const listTokens = vi.mocked(tokens.listTokens);
const createToken = vi.mocked(tokens.createToken);
const revokeToken = vi.mocked(tokens.revokeToken);

const existing: ApiToken = {
  id: "6c0b9d4e-0000-4000-8000-000000000001",
  name: "Lab import",
  prefix: "cbt_ab12",
  created_at: "2026-01-05T08:00:00Z",
  expires_at: "2099-01-05T08:00:00Z",
  revoked_at: null,
  last_used_at: null,
  is_active: true,
};

function mountPanel() {
  const i18n = createI18n({ legacy: false, locale: "en", messages: { en: { common, settings } } });
  return mount(TokensPanel, {
    props: { timeZone: "Europe/Berlin" },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
}

beforeEach(() => {
  listTokens.mockResolvedValue([existing]);
});

afterEach(() => {
  vi.clearAllMocks();
  document.body.innerHTML = "";
});

describe("TokensPanel", () => {
  it("lists the tokens with their prefix and state, never a secret", async () => {
    const wrapper = mountPanel();
    await flushPromises();
    const row = wrapper.get('tr[data-token="Lab import"]');
    expect(row.text()).toContain("cbt_ab12…");
    expect(row.text()).toContain("Active");
    expect(row.text()).toContain("Never");
    expect(wrapper.find('[data-testid="secret-value"]').exists()).toBe(false);
  });

  it("shows a new token's secret once, with a copy button, until Done", async () => {
    createToken.mockResolvedValue({ ...existing, id: "new", name: "CI", prefix: "cbt_zz99", token: "cbt_zz99_secret" });
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const wrapper = mountPanel();
    await flushPromises();

    await wrapper.get("#token-name").setValue("CI");
    await wrapper.get("#token-days").setValue(30);
    await wrapper.get("form").trigger("submit");
    await flushPromises();

    expect(createToken).toHaveBeenCalledWith({ name: "CI", expires_in_days: 30 });
    const secret = wrapper.get<HTMLInputElement>('[data-testid="secret-value"]');
    expect(secret.element.value).toBe("cbt_zz99_secret");
    expect(secret.element.readOnly).toBe(true);
    // The new row shows the prefix only.
    expect(wrapper.get('tr[data-token="CI"]').text()).not.toContain("secret");

    await wrapper
      .findAll("button")
      .find((b) => b.text() === "Copy")!
      .trigger("click");
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith("cbt_zz99_secret");
    expect(wrapper.text()).toContain("Copied to the clipboard.");

    await wrapper
      .findAll("button")
      .find((b) => b.text() === "Done")!
      .trigger("click");
    expect(wrapper.find('[data-testid="secret-value"]').exists()).toBe(false);
    expect(wrapper.text()).not.toContain("cbt_zz99_secret");
  });

  it("shows the API's field errors in place", async () => {
    createToken.mockRejectedValue(
      new ApiError({
        type: "urn:careboard:problem:validation-error",
        title: "Bad Request",
        status: 400,
        detail: "The request has invalid fields; see errors.",
        errors: { expires_in_days: ["Ensure this value is less than or equal to 365."] },
      }),
    );
    const wrapper = mountPanel();
    await flushPromises();
    await wrapper.get("#token-name").setValue("Too long");
    await wrapper.get("#token-days").setValue(999);
    await wrapper.get("form").trigger("submit");
    await flushPromises();

    const days = wrapper.get("#token-days");
    expect(days.attributes("aria-invalid")).toBe("true");
    expect(days.attributes("aria-describedby")).toBe("token-days-error");
    expect(wrapper.get("#token-days-error").text()).toBe("Ensure this value is less than or equal to 365.");
    expect(wrapper.find('[data-testid="secret-value"]').exists()).toBe(false);
  });

  it("revokes only after the confirmation, and marks the row revoked", async () => {
    revokeToken.mockResolvedValue(undefined);
    const wrapper = mountPanel();
    await flushPromises();
    const row = () => wrapper.get('tr[data-token="Lab import"]');

    await row()
      .findAll("button")
      .find((b) => b.text() === "Revoke")!
      .trigger("click");
    expect(revokeToken).not.toHaveBeenCalled();
    expect(row().text()).toContain("Revoke Lab import?");
    // Focus moves to the confirming button for keyboard users.
    expect(document.activeElement?.textContent?.trim()).toBe("Revoke");

    await row().get("button.danger").trigger("click");
    await flushPromises();
    expect(revokeToken).toHaveBeenCalledWith(existing.id);
    expect(row().text()).toContain("Revoked");
    expect(row().find("button").exists()).toBe(false);
    expect(wrapper.get('[role="status"]').text()).toBe("Token Lab import was revoked.");
  });
});

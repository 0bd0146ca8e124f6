import { flushPromises, mount } from "@vue/test-utils";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import ObservationForm from "@/components/patient/ObservationForm.vue";
import { ADMISSION, json, mockFetch, observation, PREVIEW, problem } from "@/components/patient/testing";
import { i18n } from "@/i18n";
import { usePatientStore } from "@/stores/patient";

const OBSERVATIONS = /^\/api\/v1\/admissions\/a1\/observations\/$/;
const PREVIEW_PATH = /^\/api\/v1\/admissions\/a1\/observations\/preview\/$/;

function mountForm() {
  const pinia = createPinia();
  setActivePinia(pinia);
  usePatientStore().timeZone = "Europe/Berlin";
  return mount(ObservationForm, {
    props: { admission: ADMISSION, previewDelay: 0 },
    global: { plugins: [pinia, i18n] },
    attachTo: document.body,
  });
}

async function settle(): Promise<void> {
  // The debounce timer, then the request.
  await vi.runAllTimersAsync();
  await flushPromises();
}

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  i18n.global.locale.value = "en";
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

describe("ObservationForm", () => {
  it("shows the server's score, band as text and next due time as the nurse types", async () => {
    const calls = mockFetch([["POST", PREVIEW_PATH, json(PREVIEW)]]);
    const wrapper = mountForm();

    await wrapper.find("#obs-respiratory_rate").setValue("22");
    await wrapper.find("#obs-temperature").setValue("38,4");
    await settle();

    const previews = calls.filter((c) => PREVIEW_PATH.test(c.path));
    expect(previews.length).toBeGreaterThanOrEqual(1);
    // Debounced: the last request carries both values, the decimal comma read as a point.
    expect(previews.at(-1)!.body).toEqual({ respiratory_rate: 22, temperature: 38.4 });
    const panel = wrapper.find(".score");
    expect(panel.find(".total .value").text()).toBe("6");
    expect(panel.find(".band.band-medium").text()).toBe("Medium");
    expect(panel.text()).toContain("Respiration rate");
    expect(panel.text()).toContain("2 points");
    expect(panel.find(".due time").attributes("datetime")).toBe(PREVIEW.next_due_at);
    expect(panel.text()).toContain("by the NEWS2 score (every 60 min)");
    // Screen readers hear a one-line summary.
    expect(wrapper.find("[aria-live=polite]").text()).toContain("NEWS2 6, Medium");
    wrapper.unmount();
  });

  it("flags a rejected field in place, linked by aria-describedby", async () => {
    mockFetch([
      ["POST", PREVIEW_PATH, json(PREVIEW)],
      ["POST", OBSERVATIONS, problem(400, { spo2: ["Ensure this value is less than or equal to 100."] })],
    ]);
    const wrapper = mountForm();

    await wrapper.find("#obs-spo2").setValue("101");
    await wrapper.find("#obs-heart_rate").setValue("96");
    await wrapper.find("form").trigger("submit");
    await flushPromises();

    const input = wrapper.find("#obs-spo2");
    expect(input.attributes("aria-invalid")).toBe("true");
    const describedBy = input.attributes("aria-describedby")!;
    const message = wrapper.find(`#${describedBy}`);
    expect(message.text()).toContain("Ensure this value is less than or equal to 100.");
    expect(wrapper.find("#obs-heart_rate").attributes("aria-invalid")).toBeUndefined();
    // Focus moves to the refused field.
    expect(document.activeElement).toBe(input.element);
    // The values stay for correcting.
    expect((input.element as HTMLInputElement).value).toBe("101");
    wrapper.unmount();
  });

  it("flags fields the preview refuses while the nurse is still typing", async () => {
    mockFetch([["POST", PREVIEW_PATH, problem(400, { temperature: ["A valid number is required."] })]]);
    const wrapper = mountForm();

    await wrapper.find("#obs-temperature").setValue("3x");
    await settle();

    expect(wrapper.find("#obs-temperature").attributes("aria-invalid")).toBe("true");
    expect(wrapper.text()).toContain("A valid number is required.");
    wrapper.unmount();
  });

  it("sends the same Idempotency-Key when a submission is retried, a new one for the next", async () => {
    let attempt = 0;
    const calls = mockFetch([
      ["POST", PREVIEW_PATH, json(PREVIEW)],
      [
        "POST",
        OBSERVATIONS,
        () => {
          attempt += 1;
          // The first attempt's response is lost (no connection).
          return attempt === 1 ? new TypeError("Failed to fetch") : json(observation({ id: `o${attempt}` }), 201);
        },
      ],
    ]);
    const wrapper = mountForm();

    await wrapper.find("#obs-heart_rate").setValue("96");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    expect(wrapper.find("[role=alert]").text()).toContain("The server could not be reached.");
    expect(wrapper.find("button[type=submit]").text()).toBe("Send again");

    await wrapper.find("form").trigger("submit");
    await flushPromises();
    await vi.runAllTimersAsync();

    const posts = calls.filter((c) => OBSERVATIONS.test(c.path) && c.method === "POST");
    expect(posts).toHaveLength(2);
    const first = posts[0]!.headers["Idempotency-Key"];
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1]!.headers["Idempotency-Key"]).toBe(first);
    expect(posts[1]!.body).toEqual(posts[0]!.body);

    // Success: the form clears, says so, and the recorded event goes to the page.
    expect((wrapper.find("#obs-heart_rate").element as HTMLInputElement).value).toBe("");
    expect(wrapper.find("[role=status]").text()).toContain("Recorded at");
    // Focus moves to the confirmation, so keyboard and screen-reader users hear it.
    expect(document.activeElement).toBe(wrapper.find("[role=status]").element);
    expect(wrapper.emitted("recorded")).toHaveLength(1);

    await wrapper.find("#obs-heart_rate").setValue("88");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    const third = calls.filter((c) => OBSERVATIONS.test(c.path) && c.method === "POST")[2]!;
    expect(third.headers["Idempotency-Key"]).not.toBe(first);
    wrapper.unmount();
  });

  it("makes a new key after a refusal: nothing was stored, the corrected values are a new submission", async () => {
    let attempt = 0;
    const calls = mockFetch([
      ["POST", PREVIEW_PATH, json(PREVIEW)],
      [
        "POST",
        OBSERVATIONS,
        () => (++attempt === 1 ? problem(400, { spo2: ["Too high."] }) : json(observation(), 201)),
      ],
    ]);
    const wrapper = mountForm();

    await wrapper.find("#obs-spo2").setValue("101");
    await wrapper.find("form").trigger("submit");
    await flushPromises();
    await wrapper.find("#obs-spo2").setValue("97");
    await wrapper.find("form").trigger("submit");
    await flushPromises();

    const [first, second] = calls.filter((c) => OBSERVATIONS.test(c.path));
    expect(first!.headers["Idempotency-Key"]).not.toBe(second!.headers["Idempotency-Key"]);
    expect(second!.body).toEqual({ spo2: 97 });
    wrapper.unmount();
  });

  it("sends a value that is not a number as typed, for the server to name", async () => {
    const calls = mockFetch([["POST", PREVIEW_PATH, json(PREVIEW)]]);
    const wrapper = mountForm();
    await wrapper.find("#obs-heart_rate").setValue(" 9O ");
    await settle();
    expect(calls.at(-1)!.body).toEqual({ heart_rate: "9O" });
    wrapper.unmount();
  });
});

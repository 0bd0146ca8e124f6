import { mount, RouterLinkStub } from "@vue/test-utils";
import { beforeEach, describe, expect, it } from "vitest";

import BoardRowItem from "@/components/board/BoardRowItem.vue";
import { makeLatest, makeRow } from "@/components/board/fixtures";
import { i18n, setLanguage } from "@/i18n";

const NOW = Date.parse("2025-01-10T10:30:00Z");

function render(row = makeRow(), canRecord = true) {
  return mount(BoardRowItem, {
    props: { row, now: NOW, canRecord },
    global: { plugins: [i18n], stubs: { RouterLink: RouterLinkStub } },
  });
}

describe("BoardRowItem", () => {
  beforeEach(() => setLanguage("en"));

  it("shows the NEWS2 total with its band as text and class, the trend in words, and the overdue badge", () => {
    const row = makeRow({
      admission_id: "a1",
      bed: "12",
      latest: makeLatest({ news2_total: 6, news2_band: "medium", recorded_at: "2025-01-10T09:10:00Z" }),
      trend: "up",
      previous_news2_total: 3,
      next_due_at: "2025-01-10T10:05:00Z",
      overdue_minutes: 25,
    });
    const wrapper = render(row);

    const band = wrapper.get(".band");
    expect(band.classes()).toContain("band-medium");
    expect(band.text()).toBe("6 Medium");

    expect(wrapper.get(".trend").text()).toContain("Rising from 3");
    expect(wrapper.get(".trend [aria-hidden='true']").text()).toBe("↑");

    expect(wrapper.get(".overdue-badge").text()).toContain("Overdue 25 min");
    expect(wrapper.get(".fact-last time").text()).toBe("1 hr 20 min ago");
    expect(wrapper.find(".single3").exists()).toBe(false);

    const links = wrapper.findAllComponents(RouterLinkStub);
    expect(links[0]!.props("to")).toBe("/patients/pat-a1");
    expect(links[1]!.props("to")).toEqual({ path: "/patients/pat-a1", query: { record: "1" } });
    expect(links[1]!.attributes("aria-label")).toBe("Record observations: Berg, Anna, bed 12");
    expect(wrapper.get("h3").text()).toContain("Bed 12");
  });

  it("marks a single 3, shows when the next check is due, and the dengue reasons", () => {
    const row = makeRow({
      protocol: "dengue",
      phase: "febrile",
      latest: makeLatest({
        news2_total: 3,
        news2_band: "low-medium",
        news2_single_3: true,
        dengue_class: "with_warning_signs",
        dengue_reasons: [{ code: "abdominal_pain", text: "Abdominal pain or tenderness" }],
        suggests_critical_phase: true,
      }),
      next_due_at: "2025-01-10T11:00:00Z",
      overdue_minutes: 0,
    });
    const wrapper = render(row);
    expect(wrapper.get(".band").classes()).toContain("band-low-medium");
    expect(wrapper.get(".band").text()).toBe("3 Low–medium");
    expect(wrapper.get(".single3").text()).toContain("Single 3");
    expect(wrapper.find(".overdue-badge").exists()).toBe(false);
    expect(wrapper.get(".fact-due time").text()).toBe("in 30 min");
    expect(wrapper.get(".fact-phase .phase").text()).toBe("Febrile");
    expect(wrapper.get(".suggest").text()).toBe("Fever settled: consider critical phase");
    expect(wrapper.get("details summary").text()).toContain("With warning signs");
    expect(wrapper.get("details li").text()).toBe("Abdominal pain or tenderness");
  });

  it("offers no record link to a role that may not record", () => {
    const wrapper = render(makeRow(), false);
    expect(wrapper.findAllComponents(RouterLinkStub)).toHaveLength(1);
  });

  it("speaks German", () => {
    setLanguage("de");
    const wrapper = render(
      makeRow({ latest: makeLatest({ news2_total: 8, news2_band: "high" }), trend: "down", previous_news2_total: 9 }),
    );
    expect(wrapper.get(".band").text()).toBe("8 Hoch");
    expect(wrapper.get(".trend").text()).toContain("Fallend von 9");
  });
});

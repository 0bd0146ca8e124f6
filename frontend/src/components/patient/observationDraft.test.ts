import { describe, expect, it } from "vitest";

import { formatDateTime, intlLocale, isoToZonedInput, zonedToIso } from "@/components/patient/format";
import {
  amendmentBody,
  draftFromObservation,
  draftToBody,
  emptyDraft,
  hasValues,
  parseNumber,
} from "@/components/patient/observationDraft";
import { observation } from "@/components/patient/testing";

describe("observation draft", () => {
  it.each([
    ["37.5", 37.5],
    ["37,5", 37.5],
    [" 96 ", 96],
    [".5", 0.5],
    ["9O", "9O"],
    ["1.2.3", "1.2.3"],
  ])("reads %j as %j", (text, value) => {
    expect(parseNumber(text)).toBe(value);
  });

  it("sends only what was filled in", () => {
    const draft = {
      ...emptyDraft(),
      respiratory_rate: "22",
      on_oxygen: "air" as const,
      consciousness: "A" as const,
      notes: "  ",
    };
    expect(draftToBody(draft, "UTC")).toEqual({ respiratory_rate: 22, on_oxygen: false, consciousness: "A" });
    expect(hasValues(draftToBody(emptyDraft(), "UTC"))).toBe(false);
    expect(hasValues({ recorded_at: "2026-11-22T10:00:00Z" })).toBe(false);
  });

  it("reads the time typed as the organisation's wall clock", () => {
    const draft = { ...emptyDraft(), heart_rate: "80", recorded_at: "2026-11-22T09:30" };
    expect(draftToBody(draft, "Asia/Bangkok").recorded_at).toBe("2026-11-22T02:30:00.000Z");
    expect(draftToBody(draft, "Europe/Berlin").recorded_at).toBe("2026-11-22T08:30:00.000Z");
  });

  it("amends only the changed fields, a cleared one as null", () => {
    const before = draftFromObservation(observation(), "UTC");
    const after = { ...before, heart_rate: "101", temperature: "", on_oxygen: "oxygen" as const, oxygen_flow: "2" };
    expect(amendmentBody(before, after, "UTC")).toEqual({
      heart_rate: 101,
      temperature: null,
      on_oxygen: true,
      oxygen_flow: 2,
    });
    expect(amendmentBody(before, before, "UTC")).toEqual({});
  });
});

describe("time zones and locales", () => {
  it("round-trips a wall-clock time across a daylight-saving change", () => {
    expect(zonedToIso("2026-03-29T03:30", "Europe/Berlin")).toBe("2026-03-29T01:30:00.000Z");
    expect(isoToZonedInput("2026-03-29T01:30:00.000Z", "Europe/Berlin")).toBe("2026-03-29T03:30");
    expect(isoToZonedInput("2026-11-22T17:13:00Z", "Asia/Bangkok")).toBe("2026-11-23T00:13");
  });

  it("formats in the organisation's zone, not the browser's", () => {
    expect(formatDateTime("2026-11-22T17:13:00Z", "en-GB", "Asia/Bangkok")).toBe("23 Nov 2026, 00:13");
    expect(formatDateTime("2026-11-22T17:13:00Z", "de", "Europe/Berlin")).toBe("22.11.2026, 18:13");
  });

  it("uses the browser's regional variant of the chosen language", () => {
    expect(intlLocale("en", ["de-DE", "en-GB"])).toBe("en-GB");
    expect(intlLocale("th", ["en-US"])).toBe("th");
  });
});

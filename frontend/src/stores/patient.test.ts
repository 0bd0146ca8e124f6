import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ADMISSION, json, mockFetch, observation, PATIENT } from "@/components/patient/testing";
import { rangeWindow, SERIES_FIELDS, usePatientStore } from "@/stores/patient";

const SERIES = {
  admission: "a1",
  from: "2026-11-21T17:00:00Z",
  to: "2026-11-22T17:00:00Z",
  series: { news2_total: { points: [["2026-11-22T16:00:00Z", 6]], total_points: 1, downsampled: false } },
  bands: [
    { band: "low", min: 0, max: 4 },
    { band: "medium", min: 5, max: 6 },
    { band: "high", min: 7, max: null },
  ],
};
const FLUIDS = { last_24h: { in_ml: 1000, out_ml: 400, balance_ml: 600, has_data: true }, shifts: [] };
const TIMELINE = {
  count: 1,
  next: null,
  previous: null,
  results: [
    { at: "2026-11-20T03:00:00Z", kind: "admission.admitted", by: null, summary: "Admitted.", changes: [], ref: {} },
  ],
};

function routes(overrides: Partial<Record<string, unknown>> = {}) {
  return mockFetch([
    ["GET", /^\/api\/v1\/patients\/p1\/$/, json(overrides.patient ?? PATIENT)],
    ["GET", /^\/api\/v1\/patients\/p1\/timeline\//, json(TIMELINE)],
    ["GET", /^\/api\/v1\/organizations\/o1\/$/, json({ id: "o1", name: "Demo", time_zone: "Asia/Bangkok" })],
    ["GET", /^\/api\/v1\/admissions\/a1\/$/, json(overrides.admission ?? ADMISSION)],
    [
      "GET",
      /^\/api\/v1\/admissions\/\?/,
      json({ count: 1, next: null, previous: null, results: [overrides.admission ?? ADMISSION] }),
    ],
    [
      "GET",
      /^\/api\/v1\/admissions\/a1\/observations\//,
      json({ next: null, previous: null, results: overrides.observations ?? [observation()], fluid_balance: FLUIDS }),
    ],
    ["GET", /^\/api\/v1\/admissions\/a1\/series\//, json(SERIES)],
  ]);
}

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.restoreAllMocks());

describe("patient store", () => {
  it("loads the patient, the open admission, observations with fluid balance, series and timeline", async () => {
    const calls = routes();
    const store = usePatientStore();
    await store.load("p1");

    expect(store.error).toBeNull();
    expect(store.loading).toBe(false);
    expect(store.patient?.mrn).toBe("H-1001");
    expect(store.admission?.id).toBe("a1");
    expect(store.isOpen).toBe(true);
    expect(store.timeZone).toBe("Asia/Bangkok");
    expect(store.observations).toHaveLength(1);
    expect(store.fluidBalance?.last_24h.balance_ml).toBe(600);
    expect(store.series?.bands).toHaveLength(3);
    expect(store.timeline[0]?.kind).toBe("admission.admitted");
    const series = calls.find((c) => c.path.includes("/series/"))!;
    const query = new URLSearchParams(series.path.split("?")[1]);
    expect(query.get("fields")).toBe(SERIES_FIELDS.join(","));
    expect(query.get("max_points")).toBe("300");
  });

  it("shows the latest admission of a patient who is not admitted", async () => {
    const discharged = { ...ADMISSION, discharged_at: "2026-11-21T10:00:00Z", outcome: "home" };
    const calls = routes({ patient: { ...PATIENT, current_admission: null }, admission: discharged });
    const store = usePatientStore();
    await store.load("p1");

    expect(calls.some((c) => c.path.startsWith("/api/v1/admissions/?") && c.path.includes("patient=p1"))).toBe(true);
    expect(store.admission?.discharged_at).toBe("2026-11-21T10:00:00Z");
    expect(store.isOpen).toBe(false);
  });

  it("reports a patient it may not see", async () => {
    mockFetch([
      [
        "GET",
        /^\/api\/v1\/patients\/nope\/$/,
        json({ type: "about:blank", title: "Not Found", status: 404, detail: "Not found.", errors: {} }, 404),
      ],
    ]);
    const store = usePatientStore();
    await store.load("nope");
    expect(store.patient).toBeNull();
    expect((store.error as { status: number }).status).toBe(404);
  });

  it("drops what a superseded load returns (quick navigation)", async () => {
    let release: (response: Response) => void = () => undefined;
    const slow = new Promise<Response>((resolve) => (release = resolve));
    mockFetch([
      ["GET", /^\/api\/v1\/patients\/p2\/$/, () => slow],
      ["GET", /^\/api\/v1\/patients\/p1\/$/, json(PATIENT)],
      ["GET", /^\/api\/v1\/patients\/p1\/timeline\//, json(TIMELINE)],
      ["GET", /^\/api\/v1\/organizations\/o1\/$/, json({ id: "o1", name: "Demo", time_zone: "UTC" })],
      ["GET", /^\/api\/v1\/admissions\/a1\/$/, json(ADMISSION)],
      [
        "GET",
        /^\/api\/v1\/admissions\/a1\/observations\//,
        json({ next: null, previous: null, results: [], fluid_balance: FLUIDS }),
      ],
      ["GET", /^\/api\/v1\/admissions\/a1\/series\//, json(SERIES)],
    ]);
    const store = usePatientStore();
    const first = store.load("p2");
    await store.load("p1");
    release(json({ ...PATIENT, id: "p2", given_name: "Other" }));
    await first;
    expect(store.patient?.id).toBe("p1");
    expect(store.patient?.given_name).toBe("Anna");
    expect(store.loading).toBe(false);
  });

  it("counts only valid observations as the latest, and raises the critical-phase suggestion from it", async () => {
    routes({
      observations: [
        observation({ id: "o3", status: "entered_in_error", suggests_critical_phase: false }),
        observation({ id: "o2", suggests_critical_phase: true }),
      ],
    });
    const store = usePatientStore();
    await store.load("p1");
    expect(store.latestObservation?.id).toBe("o2");
    expect(store.suggestsCriticalPhase).toBe(true);
  });

  it("asks for the chosen range, from the admission for 'since admission'", async () => {
    const calls = routes();
    const store = usePatientStore();
    await store.load("p1");
    await store.setRange("admission");
    const last = calls.filter((c) => c.path.includes("/series/")).at(-1)!;
    const query = new URLSearchParams(last.path.split("?")[1]);
    expect(query.get("from")).toBe(new Date(ADMISSION.admitted_at!).toISOString());
    expect(store.range).toBe("admission");
  });

  it("refreshes due time, fluids, charts and timeline after a set is recorded", async () => {
    const calls = routes();
    const store = usePatientStore();
    await store.load("p1");
    const before = calls.length;
    await store.observationRecorded(observation({ id: "new" }));
    const after = calls.slice(before).map((c) => c.path.split("?")[0]);
    expect(after).toEqual(
      expect.arrayContaining([
        "/api/v1/admissions/a1/",
        "/api/v1/admissions/a1/observations/",
        "/api/v1/admissions/a1/series/",
        "/api/v1/patients/p1/timeline/",
      ]),
    );
  });

  it("takes a transfer's admission and reloads the record and the timeline", async () => {
    const calls = routes();
    const store = usePatientStore();
    await store.load("p1");
    const before = calls.length;
    await store.admissionChanged({ ...ADMISSION, ward: "w2", bed: "9" });
    expect(store.admission?.bed).toBe("9");
    const after = calls.slice(before).map((c) => c.path.split("?")[0]);
    expect(after).toEqual(expect.arrayContaining(["/api/v1/patients/p1/", "/api/v1/patients/p1/timeline/"]));
    // Same admission: observations and charts are unchanged and not fetched again.
    expect(after).not.toContain("/api/v1/admissions/a1/series/");
  });
});

describe("rangeWindow", () => {
  const admission = { admitted_at: "2026-11-20T03:00:00Z", discharged_at: null };
  const now = new Date("2026-11-22T17:00:00Z");

  it.each([
    ["24h", "2026-11-21T17:00:00.000Z"],
    ["3d", "2026-11-19T17:00:00.000Z"],
    ["7d", "2026-11-15T17:00:00.000Z"],
    ["admission", "2026-11-20T03:00:00.000Z"],
  ] as const)("%s starts at %s", (range, from) => {
    expect(rangeWindow(range, admission, now)).toEqual({ from, to: now.toISOString() });
  });

  it("ends at the discharge of a closed admission", () => {
    const closed = { ...admission, discharged_at: "2026-11-21T12:00:00Z" };
    expect(rangeWindow("24h", closed, now)).toEqual({
      from: "2026-11-20T12:00:00.000Z",
      to: "2026-11-21T12:00:00.000Z",
    });
  });
});

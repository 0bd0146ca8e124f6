import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import * as boardApi from "@/api/board";
import type { Board } from "@/api/board";
import { makeEvent, makeLatest, makeRow } from "@/components/board/fixtures";
import { isCritical, mergeEvent, overdueMinutes, sortRows, summarize, useBoardStore } from "@/stores/board";

const ward = { kind: "ward", wardId: "ward-a" } as const;
const ids = (rows: { admission_id: string }[]) => rows.map((r) => r.admission_id);

describe("sortRows", () => {
  it("orders by band rank, then total, then overdue, then bed, as the server does", () => {
    const rows = [
      makeRow({ admission_id: "low", band: "low", total: 2, bed: "1" }),
      makeRow({ admission_id: "unscored-overdue", latest: null, overdue_minutes: 300, bed: "2" }),
      makeRow({ admission_id: "high", band: "high", total: 7, bed: "3" }),
      // A single 3 is "low-medium" with a low total: the band, not the total, decides.
      makeRow({ admission_id: "lowmed", band: "low-medium", total: 3, bed: "4" }),
      makeRow({ admission_id: "medium-6", band: "medium", total: 6, bed: "5" }),
      makeRow({ admission_id: "medium-5-late", band: "medium", total: 5, overdue_minutes: 40, bed: "6" }),
      makeRow({ admission_id: "medium-5-later", band: "medium", total: 5, overdue_minutes: 90, bed: "7" }),
      makeRow({ admission_id: "low-bed-0", band: "low", total: 2, bed: "0" }),
    ];
    expect(ids(sortRows(rows))).toEqual([
      "high",
      "medium-6",
      "medium-5-later",
      "medium-5-late",
      "lowmed",
      "low-bed-0",
      "low",
      "unscored-overdue",
    ]);
  });
});

describe("mergeEvent", () => {
  const a = makeRow({ admission_id: "a", band: "low", total: 1, bed: "1" });
  const b = makeRow({ admission_id: "b", band: "low", total: 2, bed: "2" });
  const c = makeRow({ admission_id: "c", band: "medium", total: 5, bed: "3" });

  it("replaces the admission's row and re-sorts", () => {
    const worse = { ...a, latest: makeLatest({ news2_band: "high", news2_total: 8 }) };
    const rows = mergeEvent([c, b, a], makeEvent(worse), ward);
    expect(ids(rows)).toEqual(["a", "c", "b"]);
    expect(rows[0]?.latest?.news2_total).toBe(8);
    expect(rows).toHaveLength(3);
  });

  it("adds a newly admitted patient in sorted position", () => {
    const added = makeRow({ admission_id: "d", band: "medium", total: 6, bed: "9" });
    expect(ids(mergeEvent([c, b, a], makeEvent(added), ward))).toEqual(["d", "c", "b", "a"]);
  });

  it("removes the row when the patient left the board (row null)", () => {
    const rows = mergeEvent([c, b, a], makeEvent(null, { admission: "b", type: "admission.changed" }), ward);
    expect(ids(rows)).toEqual(["c", "a"]);
  });

  it("removes a patient transferred to another ward from the old ward's board", () => {
    const moved = { ...b, ward_id: "ward-b", ward_name: "Ward B" };
    const event = makeEvent(moved, { type: "admission.changed", ward: "ward-b", moved_from_ward: "ward-a" });
    expect(ids(mergeEvent([c, b, a], event, ward))).toEqual(["c", "a"]);
  });

  it("keeps the critical list to critical rows", () => {
    const critical = { kind: "critical" } as const;
    const better = { ...c, latest: makeLatest({ news2_band: "low", news2_total: 1 }) };
    expect(ids(mergeEvent([c], makeEvent(better), critical))).toEqual([]);
    const overdue = { ...a, overdue_minutes: 12 };
    expect(ids(mergeEvent([], makeEvent(overdue, { type: "alert.overdue" }), critical))).toEqual(["a"]);
  });
});

describe("isCritical", () => {
  it("follows the server's critical rule", () => {
    expect(isCritical(makeRow({ band: "low", total: 1 }))).toBe(false);
    expect(isCritical(makeRow({ band: "medium", total: 5 }))).toBe(true);
    expect(
      isCritical(makeRow({ latest: makeLatest({ news2_band: "low-medium", news2_total: 3, news2_single_3: true }) })),
    ).toBe(true);
    expect(isCritical(makeRow({ latest: makeLatest({ dengue_class: "with_warning_signs" }) }))).toBe(true);
    expect(isCritical(makeRow({ latest: makeLatest({ dengue_class: "without_warning_signs" }) }))).toBe(false);
    expect(isCritical(makeRow({ protocol: "dengue", phase: "critical" }))).toBe(true);
    expect(isCritical(makeRow({ overdue_minutes: 1 }))).toBe(true);
  });
});

describe("summarize", () => {
  it("counts bands (with 'none'), phases and overdue rows", () => {
    const summary = summarize([
      makeRow({ band: "high", total: 7, overdue_minutes: 5 }),
      makeRow({ band: "low", total: 0 }),
      makeRow({ latest: null, protocol: "dengue", phase: "critical", overdue_minutes: 30 }),
    ]);
    expect(summary).toEqual({
      patients: 3,
      by_band: { high: 1, medium: 0, "low-medium": 0, low: 1, none: 1 },
      by_phase: { febrile: 0, critical: 1, recovery: 0 },
      overdue: 2,
    });
  });
});

describe("overdueMinutes", () => {
  it("counts whole minutes past due, 0 before", () => {
    const due = "2025-01-10T10:00:00Z";
    expect(overdueMinutes(due, Date.parse("2025-01-10T09:59:00Z"))).toBe(0);
    expect(overdueMinutes(due, Date.parse("2025-01-10T10:00:59Z"))).toBe(0);
    expect(overdueMinutes(due, Date.parse("2025-01-10T10:25:30Z"))).toBe(25);
    expect(overdueMinutes(null, Date.now())).toBe(0);
  });
});

describe("useBoardStore", () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.restoreAllMocks());

  function board(
    rows = [makeRow({ admission_id: "a", band: "low", total: 1 })],
    at = "2025-01-10T10:00:00+00:00",
  ): Board {
    return { generated_at: at, rows, summary: summarize(rows) };
  }

  it("loads a board and merges events into it", async () => {
    vi.spyOn(boardApi, "fetchWardBoard").mockResolvedValue(board());
    const store = useBoardStore();
    await store.load(ward);
    expect(ids(store.rows)).toEqual(["a"]);
    const b = makeRow({ admission_id: "b", band: "high", total: 9 });
    store.applyEvent(makeEvent(b, { at: "2025-01-10T10:01:00+00:00" }));
    expect(ids(store.rows)).toEqual(["b", "a"]);
    expect(store.summary.by_band.high).toBe(1);
    store.applyEvent(makeEvent(null, { admission: "b", at: "2025-01-10T10:02:00+00:00" }));
    expect(ids(store.rows)).toEqual(["a"]);
  });

  it("ignores an event older than the board it would change", async () => {
    vi.spyOn(boardApi, "fetchWardBoard").mockResolvedValue(board());
    const store = useBoardStore();
    await store.load(ward);
    store.applyEvent(makeEvent(null, { admission: "a", at: "2025-01-10T09:59:00+00:00" }));
    expect(ids(store.rows)).toEqual(["a"]);
  });

  it("replays events that arrived while a reload was in flight", async () => {
    let resolve!: (b: Board) => void;
    vi.spyOn(boardApi, "fetchWardBoard").mockReturnValue(new Promise((r) => (resolve = r)));
    const store = useBoardStore();
    const loading = store.load(ward);
    store.applyEvent(
      makeEvent(makeRow({ admission_id: "new", band: "medium", total: 5 }), { at: "2025-01-10T10:00:05+00:00" }),
    );
    // Built before the board was read: the board already has it.
    store.applyEvent(makeEvent(null, { admission: "a", at: "2025-01-10T09:59:59+00:00" }));
    resolve(board());
    await loading;
    expect(ids(store.rows)).toEqual(["new", "a"]);
  });

  it("ticks overdue minutes and the order they decide without a refetch", async () => {
    const rows = [
      makeRow({ admission_id: "later", band: "low", total: 1, bed: "1", next_due_at: "2025-01-10T10:20:00+00:00" }),
      makeRow({ admission_id: "sooner", band: "low", total: 1, bed: "2", next_due_at: "2025-01-10T10:05:00+00:00" }),
    ];
    const fetch = vi.spyOn(boardApi, "fetchWardBoard").mockResolvedValue(board(rows));
    const store = useBoardStore();
    await store.load(ward);
    expect(ids(store.rows)).toEqual(["later", "sooner"]);
    store.tick(Date.parse("2025-01-10T10:10:00+00:00"));
    expect(ids(store.rows)).toEqual(["sooner", "later"]);
    expect(store.rows[0]?.overdue_minutes).toBe(5);
    expect(store.summary.overdue).toBe(1);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

/**
 * The board on screen (one ward's, or the critical list) and how live events change it.
 *
 * The merge and sort rules are plain functions so they can be tested on their own. The sort
 * is the server's (careboard/patients/selectors.py `_sort_key`): band rank desc, NEWS2 total
 * desc, overdue minutes desc, then bed and family name, so a live board reads in the same
 * order as a freshly loaded one.
 */
import { defineStore } from "pinia";
import { computed, ref, shallowRef } from "vue";

import {
  BANDS,
  PHASES,
  fetchCriticalList,
  fetchWardBoard,
  type Band,
  type Board,
  type BoardEvent,
  type BoardRow,
  type BoardSummary,
} from "@/api/board";

export type BoardScope = { kind: "ward"; wardId: string } | { kind: "critical" };

const BAND_RANK: Record<Band, number> = { low: 1, "low-medium": 2, medium: 3, high: 4 };

/** Sort rank of a band: high 4 … low 1; not scored 0 (as careboard.patients.scoring.band_rank). */
export function bandRank(band: Band | null | undefined): number {
  return band ? BAND_RANK[band] : 0;
}

function compareText(a: string, b: string): number {
  // Code-point order, as Python compares strings (not localeCompare).
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareRows(a: BoardRow, b: BoardRow): number {
  return (
    bandRank(b.latest?.news2_band) - bandRank(a.latest?.news2_band) ||
    (b.latest?.news2_total ?? 0) - (a.latest?.news2_total ?? 0) ||
    b.overdue_minutes - a.overdue_minutes ||
    compareText(a.bed, b.bed) ||
    compareText(a.patient.family_name, b.patient.family_name)
  );
}

export function sortRows(rows: readonly BoardRow[]): BoardRow[] {
  return [...rows].sort(compareRows);
}

/** Whole minutes past due at `nowMs` (0 when not due yet), as scoring.overdue_minutes. */
export function overdueMinutes(nextDueAt: string | null, nowMs: number): number {
  if (!nextDueAt) return 0;
  const late = nowMs - Date.parse(nextDueAt);
  return late > 0 ? Math.floor(late / 60_000) : 0;
}

/** Who belongs on the critical list (selectors.critical_q). */
export function isCritical(row: BoardRow): boolean {
  const latest = row.latest;
  return (
    latest?.news2_band === "medium" ||
    latest?.news2_band === "high" ||
    latest?.news2_single_3 === true ||
    latest?.dengue_class === "with_warning_signs" ||
    latest?.dengue_class === "severe" ||
    row.phase === "critical" ||
    row.overdue_minutes >= 1
  );
}

/** Whether a row belongs on the board of `scope` (a transferred patient leaves the old ward). */
export function belongsTo(scope: BoardScope, row: BoardRow): boolean {
  return scope.kind === "ward" ? row.ward_id === scope.wardId : isCritical(row);
}

/**
 * The rows after one event: the admission's old row goes, its new row (if any, and if it
 * belongs here) comes in, and the whole list is sorted again.
 */
export function mergeEvent(rows: readonly BoardRow[], event: BoardEvent, scope: BoardScope): BoardRow[] {
  const kept = rows.filter((row) => row.admission_id !== event.admission);
  if (event.row && belongsTo(scope, event.row)) kept.push(event.row);
  return sortRows(kept);
}

/** The summary cards, computed as selectors.summarize does. */
export function summarize(rows: readonly BoardRow[]): BoardSummary {
  const byBand = Object.fromEntries([...BANDS, "none"].map((band) => [band, 0])) as BoardSummary["by_band"];
  const byPhase = Object.fromEntries(PHASES.map((phase) => [phase, 0])) as BoardSummary["by_phase"];
  for (const row of rows) {
    byBand[row.latest?.news2_band ?? "none"] += 1;
    if (row.phase) byPhase[row.phase] += 1;
  }
  return {
    patients: rows.length,
    by_band: byBand,
    by_phase: byPhase,
    overdue: rows.filter((row) => row.overdue_minutes > 0).length,
  };
}

function sameScope(a: BoardScope | null, b: BoardScope): boolean {
  if (!a || a.kind !== b.kind) return false;
  return a.kind === "critical" || (b.kind === "ward" && a.wardId === b.wardId);
}

export const useBoardStore = defineStore("board", () => {
  const scope = shallowRef<BoardScope | null>(null);
  const rows = shallowRef<BoardRow[]>([]);
  const generatedAt = ref<string | null>(null);
  const loading = ref(false);
  const error = ref<unknown>(null);
  /** Server clock minus browser clock, so "overdue" and "ago" agree with the server. */
  const clockOffsetMs = ref(0);
  const now = ref(Date.now());

  // When each admission's row was last known, so an event older than the board we hold
  // (built before a refetch, delivered after it) cannot roll a row back.
  let stamps = new Map<string, number>();
  // Events that arrive while a load is in flight are replayed on the fresh board.
  let pending: BoardEvent[] = [];
  let controller: AbortController | null = null;

  const summary = computed(() => summarize(rows.value));

  function apply(event: BoardEvent): void {
    if (!scope.value) return;
    const at = Date.parse(event.at);
    const known = stamps.get(event.admission);
    if (known !== undefined && at < known) return;
    stamps.set(event.admission, at);
    rows.value = mergeEvent(rows.value, event, scope.value);
  }

  /** Load (or quietly reload) the board of `target`; a newer load cancels an older one. */
  async function load(target: BoardScope): Promise<void> {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    if (!sameScope(scope.value, target)) {
      scope.value = target;
      rows.value = [];
      generatedAt.value = null;
      stamps = new Map();
    }
    pending = [];
    loading.value = true;
    try {
      const board: Board =
        target.kind === "ward"
          ? await fetchWardBoard(target.wardId, mine.signal)
          : await fetchCriticalList(mine.signal);
      if (controller !== mine) return;
      const at = Date.parse(board.generated_at);
      clockOffsetMs.value = at - Date.now();
      now.value = at;
      stamps = new Map(board.rows.map((row) => [row.admission_id, at]));
      rows.value = sortRows(board.rows);
      generatedAt.value = board.generated_at;
      error.value = null;
      for (const event of pending) apply(event);
    } catch (caught) {
      if (controller !== mine || (caught as Error).name === "AbortError") return;
      error.value = caught;
    } finally {
      if (controller === mine) {
        loading.value = false;
        pending = [];
        controller = null;
      }
    }
  }

  /** One live event; ignored unless it concerns the board on screen. */
  function applyEvent(event: BoardEvent): void {
    if (!scope.value) return;
    if (loading.value) pending.push(event);
    apply(event);
  }

  /** Advance the clock: overdue minutes (and the order they decide) without a refetch. */
  function tick(at: number = Date.now() + clockOffsetMs.value): void {
    now.value = at;
    let changed = false;
    const next = rows.value.map((row) => {
      const minutes = overdueMinutes(row.next_due_at, at);
      if (minutes === row.overdue_minutes) return row;
      changed = true;
      return { ...row, overdue_minutes: minutes };
    });
    if (changed) rows.value = sortRows(next);
  }

  function reset(): void {
    controller?.abort();
    controller = null;
    scope.value = null;
    rows.value = [];
    generatedAt.value = null;
    error.value = null;
    loading.value = false;
    stamps = new Map();
    pending = [];
  }

  return { scope, rows, summary, generatedAt, loading, error, now, clockOffsetMs, load, applyEvent, tick, reset };
});

/** Board rows for tests: a plausible row, overridable field by field. */
import type { BoardEvent, BoardRow, LatestObservation } from "@/api/board";

let serial = 0;

export function makeLatest(overrides: Partial<LatestObservation> = {}): LatestObservation {
  return {
    id: `obs-${++serial}`,
    recorded_at: "2025-01-10T09:00:00+00:00",
    values: {
      temperature: 37.2,
      heart_rate: 88,
      respiratory_rate: 16,
      systolic_bp: 128,
      diastolic_bp: 76,
      spo2: 97,
      on_oxygen: false,
      oxygen_flow: null,
      consciousness: "A",
      pain_score: null,
    },
    news2_total: 1,
    news2_band: "low",
    news2_single_3: false,
    news2_complete: true,
    news2_applicable: true,
    news2_reason: null,
    dengue_class: null,
    dengue_reasons: [],
    suggests_critical_phase: false,
    ...overrides,
  };
}

export function makeRow(
  overrides: Partial<BoardRow> & { band?: LatestObservation["news2_band"]; total?: number } = {},
): BoardRow {
  const { band, total, ...rest } = overrides;
  const id = rest.admission_id ?? `adm-${++serial}`;
  return {
    admission_id: id,
    ward_id: "ward-a",
    ward_name: "Ward A",
    bed: "1",
    patient: { id: `pat-${id}`, given_name: "Anna", family_name: "Berg", mrn: "H-1", age: 68, sex: "female" },
    admitted_at: "2025-01-09T08:00:00+00:00",
    protocol: "general",
    phase: null,
    spo2_scale: 1,
    interval_override_minutes: null,
    latest:
      band === undefined && total === undefined
        ? makeLatest()
        : makeLatest({ news2_band: band ?? null, news2_total: total ?? null }),
    trend: null,
    previous_news2_total: null,
    next_due_at: "2025-01-10T13:00:00+00:00",
    overdue_minutes: 0,
    never_observed: false,
    ...rest,
  };
}

export function makeEvent(row: BoardRow | null, overrides: Partial<BoardEvent> = {}): BoardEvent {
  return {
    type: "observation.recorded",
    at: "2025-01-10T10:00:00+00:00",
    ward: row?.ward_id ?? "ward-a",
    admission: row?.admission_id ?? "adm-x",
    row,
    moved_from_ward: null,
    ...overrides,
  };
}

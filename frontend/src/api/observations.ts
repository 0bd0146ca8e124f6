/**
 * Observations: record (with an Idempotency-Key), preview the score as the nurse types,
 * list with the fluid balance, amend with a reason, mark entered in error.
 */
import { api, request } from "@/api/http";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];

export type Band = "low" | "low-medium" | "medium" | "high";
export type Consciousness = Schemas["ConsciousnessEnum"];
export type WarningSign = Schemas["WarningSignsEnum"];
export type Shift = Schemas["ShiftEnum"];

export const CONSCIOUSNESS: readonly Consciousness[] = ["A", "C", "V", "P", "U"];
export const WARNING_SIGNS: readonly WarningSign[] = [
  "abdominal_pain",
  "persistent_vomiting",
  "fluid_accumulation",
  "mucosal_bleeding",
  "lethargy",
  "liver_enlargement",
];
export const NEWS2_PARAMETERS = [
  "respiratory_rate",
  "spo2",
  "air_or_oxygen",
  "systolic_bp",
  "heart_rate",
  "consciousness",
  "temperature",
] as const;
export type News2Parameter = (typeof NEWS2_PARAMETERS)[number];

/** The stored NEWS2 result (the schema types these JSON columns as `unknown`). */
export interface News2 {
  applicable: boolean;
  /** Why not applicable: `under_16` or `pregnancy`. */
  reason: string | null;
  total: number | null;
  band: Band | null;
  single_parameter_3: boolean;
  complete: boolean;
  components: Partial<Record<News2Parameter, number | null>>;
  missing: News2Parameter[];
}

export interface DengueAssessment {
  classification: "without_warning_signs" | "with_warning_signs" | "severe";
  reasons: { code: string; text: string }[];
  warning_signs: WarningSign[];
  shock_signs: string[];
}

export interface Due {
  due_at: string;
  interval_minutes: number;
  source: "override" | "dengue_critical" | "band" | "default";
  reason: string;
}

type Scored = "news2" | "dengue" | "due" | "warning_signs" | "consciousness";
export type Observation = Omit<Schemas["Observation"], Scored> & {
  readonly news2: News2;
  readonly dengue: DengueAssessment | null;
  readonly due: Due | null;
  readonly warning_signs: WarningSign[];
  readonly consciousness: Consciousness | "";
};

export type Preview = Omit<Schemas["Preview"], "news2" | "dengue" | "due"> & {
  news2: News2;
  dengue: DengueAssessment | null;
  due: Due;
};

export type ObservationInput = Schemas["ObservationRecordRequest"];
export type ObservationAmendment = Schemas["PatchedObservationAmendRequest"];

export interface FluidTotals {
  in_ml: number;
  out_ml: number;
  balance_ml: number;
  has_data: boolean;
}

export interface ShiftBalance extends FluidTotals {
  shift: Shift;
  start: string;
  end: string;
}

export interface FluidBalance {
  last_24h: FluidTotals;
  /** Newest first. */
  shifts: ShiftBalance[];
}

/** A cursor page of observations (newest first) with the admission's fluid balance. */
export interface ObservationPage {
  next: string | null;
  previous: string | null;
  results: Observation[];
  fluid_balance: FluidBalance;
}

export function listObservations(
  admissionId: string,
  options: { cursor?: string | null; page_size?: number } = {},
): Promise<ObservationPage> {
  // The server hands out the next page as a full URL; it is on our origin.
  const path = options.cursor ?? `/api/v1/admissions/${admissionId}/observations/`;
  return api.get<ObservationPage>(path, { query: options.cursor ? {} : { page_size: options.page_size } });
}

/**
 * Record one set. `idempotencyKey` is kept by the caller across retries of the same
 * submission, so a retry after a lost response cannot store the set twice.
 */
export function recordObservation(
  admissionId: string,
  body: ObservationInput,
  idempotencyKey: string,
): Promise<Observation> {
  return request<Observation>(`/api/v1/admissions/${admissionId}/observations/`, {
    method: "POST",
    body,
    headers: { "Idempotency-Key": idempotencyKey },
  }).then((r) => r.data);
}

/** Score values without storing them: the server is the one scoring implementation. */
export function previewObservation(
  admissionId: string,
  body: ObservationInput,
  signal?: AbortSignal,
): Promise<Preview> {
  return api.post<Preview>(`/api/v1/admissions/${admissionId}/observations/preview/`, body, { signal });
}

export function amendObservation(id: string, body: ObservationAmendment & { reason: string }): Promise<Observation> {
  return api.patch<Observation>(`/api/v1/observations/${id}/`, body);
}

export function markEnteredInError(id: string, reason: string): Promise<Observation> {
  return api.post<Observation>(`/api/v1/observations/${id}/entered-in-error/`, { reason });
}

/**
 * The ward board and the critical list (GET /api/v1/wards/{id}/board/, GET /api/v1/board/critical/)
 * and the live events that carry board rows.
 *
 * The OpenAPI schema types both payloads as a generic object (the selector builds plain dicts),
 * so the shapes are written out here, after careboard/patients/selectors.py `board_row`,
 * `summarize` and careboard/patients/events.py.
 */
import { api } from "@/api/http";
import type { operations } from "@/api/schema";

export const BANDS = ["high", "medium", "low-medium", "low"] as const;
export type Band = (typeof BANDS)[number];
export type Trend = "up" | "down" | "same";
export const PHASES = ["febrile", "critical", "recovery"] as const;
export type Phase = (typeof PHASES)[number];
export type Protocol = "general" | "dengue";
export type DengueClass = "without_warning_signs" | "with_warning_signs" | "severe";
export type Sex = "female" | "male" | "other" | "unknown";
export type Consciousness = "A" | "C" | "V" | "P" | "U";

/** One finding behind a dengue class: a stable code and an English display text. */
export interface DengueReason {
  code: string;
  text: string;
}

export interface BoardValues {
  temperature: number | null;
  heart_rate: number | null;
  respiratory_rate: number | null;
  systolic_bp: number | null;
  diastolic_bp: number | null;
  spo2: number | null;
  on_oxygen: boolean | null;
  oxygen_flow: number | null;
  consciousness: Consciousness | null;
  pain_score: number | null;
}

export interface LatestObservation {
  id: string;
  recorded_at: string;
  values: BoardValues;
  news2_total: number | null;
  news2_band: Band | null;
  news2_single_3: boolean;
  news2_complete: boolean;
  news2_applicable: boolean;
  news2_reason: "under_16" | "pregnancy" | null;
  dengue_class: DengueClass | null;
  dengue_reasons: DengueReason[];
  suggests_critical_phase: boolean;
}

export interface BoardPatient {
  id: string;
  given_name: string;
  family_name: string;
  mrn: string;
  age: number | null;
  sex: Sex;
}

export interface BoardRow {
  admission_id: string;
  ward_id: string;
  ward_name: string;
  bed: string;
  patient: BoardPatient;
  admitted_at: string;
  protocol: Protocol;
  phase: Phase | null;
  spo2_scale: number;
  interval_override_minutes: number | null;
  latest: LatestObservation | null;
  trend: Trend | null;
  previous_news2_total: number | null;
  next_due_at: string | null;
  overdue_minutes: number;
  never_observed: boolean;
}

export interface BoardSummary {
  patients: number;
  by_band: Record<Band | "none", number>;
  by_phase: Record<Phase, number>;
  overdue: number;
}

export interface Board {
  generated_at: string;
  rows: BoardRow[];
  summary: BoardSummary;
}

export const BOARD_EVENT_TYPES = [
  "observation.recorded",
  "observation.amended",
  "admission.changed",
  "alert.overdue",
] as const;
export type BoardEventType = (typeof BOARD_EVENT_TYPES)[number];

/** A live event: the board row that changed, or `null` when the patient left the board. */
export interface BoardEvent {
  type: BoardEventType;
  at: string;
  ward: string;
  admission: string;
  row: BoardRow | null;
  moved_from_ward: string | null;
}

export function isBoardEvent(message: unknown): message is BoardEvent {
  if (!message || typeof message !== "object") return false;
  const type = (message as { type?: unknown }).type;
  return (BOARD_EVENT_TYPES as readonly unknown[]).includes(type) && "admission" in message;
}

type WardBoardPath = operations["wards_board_retrieve"]["parameters"]["path"];

export function fetchWardBoard(wardId: WardBoardPath["ward_id"], signal?: AbortSignal): Promise<Board> {
  return api.get<Board>(`/api/v1/wards/${encodeURIComponent(wardId)}/board/`, { signal });
}

export function fetchCriticalList(signal?: AbortSignal): Promise<Board> {
  return api.get<Board>("/api/v1/board/critical/", { signal });
}

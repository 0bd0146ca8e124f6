/** Admissions: admit, transfer, discharge, dengue phase, clinical settings, chart series. */
import { api, type Page } from "@/api/http";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];

export type Protocol = Schemas["ProtocolEnum"];
export type DenguePhase = Schemas["DenguePhaseEnum"];
export type Outcome = Schemas["OutcomeEnum"];
/** `phase` and `outcome` are blank ("") when not set, which the schema leaves out. */
export type Admission = Omit<Schemas["Admission"], "phase" | "outcome"> & {
  readonly phase: DenguePhase | "";
  readonly outcome: Outcome | "";
};
export type AdmissionInput = Schemas["AdmissionRequest"];
export type AdmissionPatch = Schemas["PatchedAdmissionUpdateRequest"];
export type TransferInput = Schemas["TransferRequest"];
export type DischargeInput = Schemas["DischargeRequest"];
export type PhaseInput = Schemas["PhaseRequest"];
export type AdmissionSeries = Schemas["AdmissionSeries"];
export type SeriesField = Schemas["SeriesField"];
export type News2Band = Schemas["News2Band"];

export const PROTOCOLS: readonly Protocol[] = ["general", "dengue"];
export const PHASES: readonly DenguePhase[] = ["febrile", "critical", "recovery"];
export const OUTCOMES: readonly Outcome[] = ["home", "transferred", "against_advice", "deceased", "other"];

/** Fields the series endpoint serves. */
export type SeriesFieldName =
  | "temperature"
  | "heart_rate"
  | "respiratory_rate"
  | "systolic_bp"
  | "diastolic_bp"
  | "spo2"
  | "oxygen_flow"
  | "pain_score"
  | "weight"
  | "hematocrit"
  | "platelets"
  | "wbc"
  | "news2_total";

export function listAdmissions(
  query: { patient?: string; ward?: string; current?: boolean; page_size?: number } = {},
): Promise<Page<Admission>> {
  return api.get<Page<Admission>>("/api/v1/admissions/", { query: { ordering: "-admitted_at", ...query } });
}

export function getAdmission(id: string): Promise<Admission> {
  return api.get<Admission>(`/api/v1/admissions/${id}/`);
}

export function admit(body: AdmissionInput): Promise<Admission> {
  return api.post<Admission>("/api/v1/admissions/", body);
}

export function updateAdmission(id: string, body: AdmissionPatch): Promise<Admission> {
  return api.patch<Admission>(`/api/v1/admissions/${id}/`, body);
}

export function transfer(id: string, body: TransferInput): Promise<Admission> {
  return api.post<Admission>(`/api/v1/admissions/${id}/transfer/`, body);
}

export function discharge(id: string, body: DischargeInput): Promise<Admission> {
  return api.post<Admission>(`/api/v1/admissions/${id}/discharge/`, body);
}

export function setPhase(id: string, body: PhaseInput): Promise<Admission> {
  return api.post<Admission>(`/api/v1/admissions/${id}/phase/`, body);
}

export interface SeriesQuery {
  fields: readonly SeriesFieldName[];
  from?: string;
  to?: string;
  max_points?: number;
}

export function getSeries(id: string, query: SeriesQuery, signal?: AbortSignal): Promise<AdmissionSeries> {
  return api.get<AdmissionSeries>(`/api/v1/admissions/${id}/series/`, {
    query: { fields: query.fields.join(","), from: query.from, to: query.to, max_points: query.max_points },
    signal,
  });
}

/** Patients: search, register, edit, and the patient's timeline (who changed what). */
import { api, type Page } from "@/api/http";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];

/** The open admission as the patient list embeds it (the schema types it as a bare object). */
export interface CurrentAdmissionRef {
  id: string;
  ward: string;
  ward_name: string;
  bed: string;
  admitted_at: string;
}

export type Patient = Omit<Schemas["Patient"], "current_admission"> & {
  readonly current_admission: CurrentAdmissionRef | null;
};
export type PatientInput = Schemas["PatientRequest"];
export type PatientPatch = Schemas["PatchedPatientRequest"];
export type Sex = Schemas["SexEnum"];
export type TimelineEntry = Schemas["TimelineEntry"];
export type TimelineKind = Schemas["KindEnum"];
export type TimelinePage = Schemas["TimelinePage"];

export const SEXES: readonly Sex[] = ["female", "male", "other", "unknown"];

export interface PatientQuery {
  search?: string;
  admitted?: boolean;
  ward?: string;
  page?: number;
  page_size?: number;
}

export function listPatients(query: PatientQuery = {}, signal?: AbortSignal): Promise<Page<Patient>> {
  return api.get<Page<Patient>>("/api/v1/patients/", { query: { ...query }, signal });
}

export function getPatient(id: string): Promise<Patient> {
  return api.get<Patient>(`/api/v1/patients/${id}/`);
}

export function createPatient(body: PatientInput): Promise<Patient> {
  return api.post<Patient>("/api/v1/patients/", body);
}

export function updatePatient(id: string, body: PatientPatch): Promise<Patient> {
  return api.patch<Patient>(`/api/v1/patients/${id}/`, body);
}

export function getTimeline(
  patientId: string,
  query: { page?: number; page_size?: number } = {},
): Promise<TimelinePage> {
  return api.get<TimelinePage>(`/api/v1/patients/${patientId}/timeline/`, { query: { ...query } });
}

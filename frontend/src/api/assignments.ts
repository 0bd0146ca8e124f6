/**
 * Assignments of programs to patients (/api/v1/assignments/): the therapist's list sorted by
 * flags, one assignment with its frozen snapshot, adherence, the patient's logs, and the
 * portal link (issued, shown once, replaceable).
 */
import { api, type Page } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type Assignment = components["schemas"]["Assignment"];
export type AssignmentDetail = components["schemas"]["AssignmentDetail"];
export type Adherence = components["schemas"]["Adherence"];
export type ActivityLog = components["schemas"]["ActivityLog"];
export type Flag = components["schemas"]["Flag"];
export type PortalLink = components["schemas"]["PortalLink"];
export type PatientRef = components["schemas"]["PatientRef"];

/** The program as frozen in an assignment (`snapshot`, typed `unknown` by the schema). */
export interface SnapshotItem {
  id: string;
  position: number;
  exercise: { id: string; name: string; translations?: Record<string, { name: string }> };
}
export interface SnapshotSession {
  id: string;
  name: string;
  position: number;
  items: SnapshotItem[];
}
export interface Snapshot {
  name: string;
  version: number;
  duration_weeks: number;
  sessions: SnapshotSession[];
}

export interface CursorPage<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

type ListQuery = NonNullable<operations["assignments_list"]["parameters"]["query"]>;

/** Sorted by the API: most severe flag first, then the number of flags, then inactivity. */
export function listAssignments(query: ListQuery = {}, signal?: AbortSignal): Promise<Page<Assignment>> {
  return api.get<Page<Assignment>>("/api/v1/assignments/", { query: { ...query }, signal });
}

export function getAssignment(id: string): Promise<AssignmentDetail> {
  return api.get<AssignmentDetail>(`/api/v1/assignments/${id}/`);
}

export function getAdherence(id: string): Promise<Adherence> {
  return api.get<Adherence>(`/api/v1/assignments/${id}/adherence/`);
}

/** Logs newest first; pass the previous page's `next` cursor to read on. */
export function listLogs(id: string, cursor?: string | null): Promise<CursorPage<ActivityLog>> {
  return api.get<CursorPage<ActivityLog>>(`/api/v1/assignments/${id}/logs/`, {
    query: { cursor: cursor ?? undefined, page_size: 50 },
  });
}

/** The `cursor` query parameter of a cursor page's `next` link. */
export function cursorOf(next: string | null): string | null {
  if (!next) return null;
  return new URL(next, window.location.origin).searchParams.get("cursor");
}

/** A new portal link; the previous one stops working. The secret is in this response only. */
export function issuePortalLink(id: string): Promise<PortalLink> {
  return api.post<PortalLink>(`/api/v1/assignments/${id}/portal-token/`);
}

/** Pass the program's current version on to the patient, from today on. */
export function reassign(id: string): Promise<AssignmentDetail> {
  return api.post<AssignmentDetail>(`/api/v1/assignments/${id}/reassign/`);
}

/** End the program today; the portal link stops working. */
export function endAssignment(id: string): Promise<AssignmentDetail> {
  return api.post<AssignmentDetail>(`/api/v1/assignments/${id}/end/`);
}

export function patientName(patient: Pick<PatientRef, "given_name" | "family_name">): string {
  return `${patient.given_name} ${patient.family_name}`.trim();
}

/**
 * Programs and templates (/api/v1/programs/). Every response about one program carries its
 * version as `ETag`; changes send it back in `If-Match` (ADR 0004), so these functions return
 * the ETag with the program and take it for every change.
 */
import { api, request, type Page } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type Program = components["schemas"]["Program"];
export type ProgramList = components["schemas"]["ProgramList"];
export type ProgramSession = components["schemas"]["ProgramSession"];
export type ProgramItem = components["schemas"]["ProgramItem"];
export type ProgramWrite = components["schemas"]["ProgramWriteRequest"];
export type ProgramSessionWrite = components["schemas"]["ProgramSessionWriteRequest"];
export type ProgramItemWrite = components["schemas"]["ProgramItemWriteRequest"];
export type ProgramStatus = components["schemas"]["ProgramStatusEnum"];
export type Side = components["schemas"]["SideEnum"];
export type ProgressionField = components["schemas"]["ProgressionFieldEnum"];
export type AssignRequest = components["schemas"]["AssignRequest"];
export type AssignmentCreated = components["schemas"]["AssignmentCreated"];

export const PROGRAM_STATUSES: readonly ProgramStatus[] = ["draft", "published", "archived"];
export const SIDES: readonly Side[] = ["both", "left", "right", "alternating"];
export const PROGRESSION_FIELDS: readonly ProgressionField[] = [
  "reps",
  "sets",
  "hold_seconds",
  "duration_seconds",
  "load_kg",
];

/** A program with the version it was read at, to send back as `If-Match`. */
export interface VersionedProgram {
  program: Program;
  etag: string;
}

type ListQuery = NonNullable<operations["programs_list"]["parameters"]["query"]>;

function versioned(response: { data: Program; headers: Headers }): VersionedProgram {
  // The ETag is the quoted version; fall back to the body's version if a proxy drops the header.
  const etag = response.headers.get("ETag") ?? `"${response.data.version}"`;
  return { program: response.data, etag };
}

export function listPrograms(query: ListQuery = {}, signal?: AbortSignal): Promise<Page<ProgramList>> {
  return api.get<Page<ProgramList>>("/api/v1/programs/", { query: { ...query }, signal });
}

export async function getProgram(id: string): Promise<VersionedProgram> {
  return versioned(await request<Program>(`/api/v1/programs/${id}/`));
}

export async function createProgram(body: ProgramWrite): Promise<VersionedProgram> {
  return versioned(await request<Program>("/api/v1/programs/", { method: "POST", body }));
}

/** Replace the whole program (sessions and items inline); 412 when `etag` is stale. */
export async function replaceProgram(id: string, body: ProgramWrite, etag: string): Promise<VersionedProgram> {
  return versioned(
    await request<Program>(`/api/v1/programs/${id}/`, { method: "PUT", body, headers: { "If-Match": etag } }),
  );
}

/** A copy as a new draft (a template's copy stays a template). */
export async function duplicateProgram(id: string, name?: string): Promise<VersionedProgram> {
  return versioned(
    await request<Program>(`/api/v1/programs/${id}/duplicate/`, { method: "POST", body: name ? { name } : {} }),
  );
}

/** New from template: a new draft program with the template's sessions and items. */
export async function instantiateProgram(id: string, name?: string): Promise<VersionedProgram> {
  return versioned(
    await request<Program>(`/api/v1/programs/${id}/instantiate/`, { method: "POST", body: name ? { name } : {} }),
  );
}

/** Assign the program as it is now; the response carries the portal link, shown only here. */
export function assignProgram(id: string, body: AssignRequest): Promise<AssignmentCreated> {
  return api.post<AssignmentCreated>(`/api/v1/programs/${id}/assign/`, body);
}

/**
 * Organisations and their wards, as admins manage them in the settings (GET/PATCH
 * /api/v1/organizations/{id}/, GET/POST/PATCH /api/v1/wards/). The ward board reads wards
 * through `@/api/wards`; the writes live here, next to the organisation they belong to.
 */
import { api } from "@/api/http";
import type { components } from "@/api/schema";

type Schemas = components["schemas"];

/**
 * The organisation's shift starts ("07:00:00") and observation intervals (minutes by NEWS2
 * band). Declared here until src/api/schema.d.ts is regenerated from the API that has them
 * (`npm run gen:api`); optional, so the settings show only the fields the API sends.
 */
export interface OrganizationSchedule {
  day_shift_start: string;
  evening_shift_start: string;
  night_shift_start: string;
  interval_score_zero: number;
  interval_low: number;
  interval_low_medium: number;
  interval_medium: number;
  interval_high: number;
  interval_unscored: number;
  interval_dengue_critical_max: number;
}

export type Organization = Schemas["Organization"] & Partial<OrganizationSchedule>;
export type OrganizationPatch = Schemas["PatchedOrganizationRequest"] & Partial<OrganizationSchedule>;
export type Ward = Schemas["Ward"];
export type WardInput = Schemas["WardRequest"];
export type WardPatch = Schemas["PatchedWardRequest"];

export const SHIFT_FIELDS = ["day_shift_start", "evening_shift_start", "night_shift_start"] as const;
export const INTERVAL_FIELDS = [
  "interval_score_zero",
  "interval_low",
  "interval_low_medium",
  "interval_medium",
  "interval_high",
  "interval_unscored",
  "interval_dengue_critical_max",
] as const;

interface AnyPage<T> {
  results: T[];
  next?: string | null;
}

/**
 * Every row of a paginated list, following `next` (the largest page the API allows, so the
 * members, invitations, wards and tokens of an organisation are one request in practice).
 */
export async function allPages<T>(path: string, query: Record<string, string | number | boolean> = {}): Promise<T[]> {
  const rows: T[] = [];
  for (let page = 1; ; page += 1) {
    const data = await api.get<AnyPage<T>>(path, { query: { page_size: 200, ...query, page } });
    rows.push(...data.results);
    if (!data.next) return rows;
  }
}

export function getOrganization(id: string): Promise<Organization> {
  return api.get<Organization>(`/api/v1/organizations/${id}/`);
}

export function updateOrganization(id: string, patch: OrganizationPatch): Promise<Organization> {
  return api.patch<Organization>(`/api/v1/organizations/${id}/`, patch);
}

/** The organisation's wards, archived ones included (the settings show both). */
export function listOrganizationWards(organizationId: string): Promise<Ward[]> {
  return allPages<Ward>("/api/v1/wards/", { organization: organizationId, ordering: "name" });
}

export function createWard(body: WardInput): Promise<Ward> {
  return api.post<Ward>("/api/v1/wards/", body);
}

export function updateWard(id: string, patch: WardPatch): Promise<Ward> {
  return api.patch<Ward>(`/api/v1/wards/${id}/`, patch);
}

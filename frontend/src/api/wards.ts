/** Wards the caller sees (GET /api/v1/wards/), typed from the generated OpenAPI schema. */
import { api } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type Ward = components["schemas"]["Ward"];
type WardPage = components["schemas"]["PaginatedWardList"];
type WardQuery = NonNullable<operations["wards_list"]["parameters"]["query"]>;

/** Every ward of the caller's organisations (all pages), ordered as the API orders them. */
export async function listWards(query: WardQuery = { archived: false }, signal?: AbortSignal): Promise<Ward[]> {
  const wards: Ward[] = [];
  // The largest page the API allows: a hospital has tens of wards, so this is one request.
  for (let page = 1; ; page += 1) {
    const data = await api.get<WardPage>("/api/v1/wards/", { query: { page_size: 200, ...query, page }, signal });
    wards.push(...data.results);
    if (!data.next) return wards;
  }
}

const LAST_WARD_KEY = "careboard.ward";

/** The ward whose board was shown last in this browser (the home page opens it again). */
export function lastWardId(): string | null {
  try {
    return localStorage.getItem(LAST_WARD_KEY);
  } catch {
    return null;
  }
}

export function rememberWard(id: string): void {
  try {
    localStorage.setItem(LAST_WARD_KEY, id);
  } catch {
    // Storage disabled (private mode, policy): the home page falls back to the first ward.
  }
}

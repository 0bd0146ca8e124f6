/**
 * The caller's own personal API tokens: GET/POST/DELETE /api/v1/tokens/. The secret is in the
 * response that created the token and nowhere else; the server keeps only its digest.
 */
import { api } from "@/api/http";
import { allPages } from "@/api/organizations";
import type { components } from "@/api/schema";

export type ApiToken = components["schemas"]["ApiToken"];
export type ApiTokenCreated = components["schemas"]["ApiTokenCreated"];
export type ApiTokenInput = components["schemas"]["ApiTokenCreateRequest"];

/** The server's bounds (settings.API_TOKEN_DEFAULT_DAYS / API_TOKEN_MAX_DAYS). */
export const TOKEN_DEFAULT_DAYS = 90;
export const TOKEN_MAX_DAYS = 365;

export function listTokens(): Promise<ApiToken[]> {
  return allPages<ApiToken>("/api/v1/tokens/");
}

export function createToken(body: ApiTokenInput): Promise<ApiTokenCreated> {
  return api.post<ApiTokenCreated>("/api/v1/tokens/", body);
}

/** Revokes: the token stops working at once; the row stays, for the record. */
export async function revokeToken(id: string): Promise<void> {
  await api.delete<null>(`/api/v1/tokens/${id}/`);
}

/**
 * The patient portal (/api/v1/portal/…), authenticated by the assignment's portal token as
 * `Authorization: Bearer cbp_…` and nothing else (ADR 0005). The token never goes into a URL.
 */
import { api, request } from "@/api/http";
import type { components } from "@/api/schema";

export type PortalToday = components["schemas"]["PortalToday"];
export type PortalSession = components["schemas"]["PortalSession"];
export type PortalItem = components["schemas"]["PortalItem"];
export type PortalProgram = components["schemas"]["PortalProgram"];
export type Dosage = components["schemas"]["Dosage"];
export type LogCreate = components["schemas"]["LogCreateRequest"];
export type ActivityLog = components["schemas"]["ActivityLog"];

export const PORTAL_TOKEN_PREFIX = "cbp_";

export function getToday(token: string, signal?: AbortSignal): Promise<PortalToday> {
  return api.get<PortalToday>("/api/v1/portal/today/", { token, signal });
}

export function getPortalProgram(token: string): Promise<PortalProgram> {
  return api.get<PortalProgram>("/api/v1/portal/program/", { token });
}

/**
 * Log a session (no `item_id`) or one exercise as done. The same `idempotencyKey` with the same
 * body is stored once (a replay answers 200 with the first log), so retries must resend both
 * unchanged.
 */
export async function postLog(token: string, body: LogCreate, idempotencyKey: string): Promise<ActivityLog> {
  const response = await request<ActivityLog>("/api/v1/portal/logs/", {
    method: "POST",
    body,
    token,
    headers: { "Idempotency-Key": idempotencyKey },
  });
  return response.data;
}

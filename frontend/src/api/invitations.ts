/**
 * Invitations (admins only): GET/POST/DELETE /api/v1/invitations/. Creating one e-mails the
 * link; the response that created it is the only one that carries the link (`accept_url`).
 */
import { api } from "@/api/http";
import { allPages } from "@/api/organizations";
import type { components } from "@/api/schema";

export type Invitation = components["schemas"]["Invitation"];
export type InvitationInput = components["schemas"]["InvitationRequest"];
export type InvitationStatus = "pending" | "accepted" | "revoked" | "expired";

export function listInvitations(organizationId: string): Promise<Invitation[]> {
  return allPages<Invitation>("/api/v1/invitations/", { organization: organizationId });
}

export function createInvitation(body: InvitationInput): Promise<Invitation> {
  return api.post<Invitation>("/api/v1/invitations/", body);
}

/** Revokes: the link stops working; the row stays, with status "revoked". */
export async function revokeInvitation(id: string): Promise<void> {
  await api.delete<null>(`/api/v1/invitations/${id}/`);
}

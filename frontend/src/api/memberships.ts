/** Members of an organisation and their roles (admins only): GET/PATCH/DELETE /api/v1/memberships/. */
import { api } from "@/api/http";
import { allPages } from "@/api/organizations";
import type { components } from "@/api/schema";

export type Membership = components["schemas"]["Membership"];
export type Role = components["schemas"]["RoleEnum"];

/** In the order the settings offer them: most rights first. */
export const ROLES: readonly Role[] = ["admin", "physician", "nurse", "therapist", "viewer"];

export function listMemberships(organizationId: string): Promise<Membership[]> {
  return allPages<Membership>("/api/v1/memberships/", { organization: organizationId });
}

/** 409 when it would leave the organisation without an admin. */
export function setMembershipRole(id: string, role: Role): Promise<Membership> {
  return api.patch<Membership>(`/api/v1/memberships/${id}/`, { role });
}

/** 409 when it would leave the organisation without an admin. */
export async function removeMembership(id: string): Promise<void> {
  await api.delete<null>(`/api/v1/memberships/${id}/`);
}

/** The signed-in user: identity, memberships and roles (from /api/v1/me/). */
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { api } from "@/api/http";

export type Role = "admin" | "physician" | "nurse" | "therapist" | "viewer";

export interface Membership {
  organization_id: string;
  organization_name: string;
  time_zone: string;
  role: Role;
}

export interface Me {
  id: string;
  email: string;
  name: string;
  language: string;
  memberships: Membership[];
  mfa_enabled: boolean;
}

export const useSessionStore = defineStore("session", () => {
  const me = ref<Me | null>(null);
  const organizationId = ref<string | null>(localStorage.getItem("careboard.organization"));

  const membership = computed<Membership | null>(() => {
    const all = me.value?.memberships ?? [];
    return all.find((m) => m.organization_id === organizationId.value) ?? all[0] ?? null;
  });
  const role = computed<Role | null>(() => membership.value?.role ?? null);
  /** Clock times are shown in the organisation's time zone, not the device's. */
  const timeZone = computed<string | undefined>(() => membership.value?.time_zone);

  /** Mirrors careboard/organizations/roles.py for showing or hiding controls; the API decides. */
  function can(...roles: Role[]): boolean {
    return role.value !== null && roles.includes(role.value);
  }

  async function load(): Promise<Me> {
    me.value = await api.get<Me>("/api/v1/me/");
    return me.value;
  }

  function selectOrganization(id: string): void {
    organizationId.value = id;
    localStorage.setItem("careboard.organization", id);
  }

  return { me, membership, role, timeZone, can, load, selectOrganization, organizationId };
});

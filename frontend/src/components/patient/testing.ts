/** Test helpers for the patient components and store: a routed fetch mock and fixtures. */
import { vi } from "vitest";

import type { Admission } from "@/api/admissions";
import type { Observation, Preview } from "@/api/observations";
import type { Patient } from "@/api/patients";

export interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

type Reply = Response | Error | ((call: Call) => Response | Error | Promise<Response>);

/** Replace fetch: each request is answered by the first route whose method and path match. */
export function mockFetch(routes: [method: string, path: RegExp, reply: Reply][]): Call[] {
  const calls: Call[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new URL(String(input), "http://localhost");
    const call: Call = {
      method: init?.method ?? "GET",
      path: url.pathname + url.search,
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    const route = routes.find(([method, path]) => method === call.method && path.test(call.path));
    if (!route)
      return json({ type: "about:blank", title: "Not Found", status: 404, detail: "Not found.", errors: {} }, 404);
    const reply = typeof route[2] === "function" ? await route[2](call) : route[2];
    if (reply instanceof Error) throw reply;
    return reply.clone();
  });
  return calls;
}

export function json(data: unknown, status = 200): Response {
  return new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
}

export function problem(
  status: number,
  errors: Record<string, string[]> = {},
  detail = "The request has invalid fields; see errors.",
): Response {
  return json({ type: "urn:careboard:problem:validation-error", title: "Bad Request", status, detail, errors }, status);
}

export const ADMISSION: Admission = {
  id: "a1",
  patient: "p1",
  ward: "w1",
  bed: "4",
  admitted_at: "2026-11-20T03:00:00Z",
  discharged_at: null,
  outcome: "",
  protocol: "dengue",
  pregnant: false,
  phase: "febrile",
  attending_physician: null,
  spo2_scale: 1,
  spo2_scale_set_by: null as never,
  spo2_scale_set_at: null,
  interval_override_minutes: null,
  interval_override_reason: "",
  interval_override_by: null as never,
  interval_override_at: null,
  next_due_at: "2026-11-22T18:00:00Z",
  created_at: "2026-11-20T03:00:00Z",
  updated_at: "2026-11-20T03:00:00Z",
};

export const PATIENT: Patient = {
  id: "p1",
  organization: "o1",
  mrn: "H-1001",
  given_name: "Anna",
  family_name: "Berg",
  birth_date: "1956-03-14",
  sex: "female",
  preferred_language: "de",
  phone: "",
  email: "",
  current_admission: { id: "a1", ward: "w1", ward_name: "Ward 3", bed: "4", admitted_at: "2026-11-20T03:00:00Z" },
  created_at: "2026-11-20T03:00:00Z",
  updated_at: "2026-11-20T03:00:00Z",
};

export const NEWS2_MEDIUM = {
  applicable: true,
  reason: null,
  total: 6,
  band: "medium" as const,
  single_parameter_3: false,
  complete: true,
  components: {
    respiratory_rate: 2,
    spo2: 1,
    air_or_oxygen: 0,
    systolic_bp: 1,
    heart_rate: 1,
    consciousness: 0,
    temperature: 1,
  },
  missing: [],
};

export const PREVIEW: Preview = {
  shift: "E",
  news2: NEWS2_MEDIUM,
  dengue: null,
  next_due_at: "2026-11-22T18:30:00Z",
  due: { due_at: "2026-11-22T18:30:00Z", interval_minutes: 60, source: "band", reason: "NEWS2 medium: every 1 h" },
  suggests_critical_phase: false,
};

export function observation(overrides: Partial<Observation> = {}): Observation {
  return {
    id: "o1",
    admission: "a1",
    recorded_at: "2026-11-22T17:30:00Z",
    recorded_by: { id: "u1", name: "Noor Nurse" },
    shift: "E",
    spo2_scale: 1,
    temperature: 38.4,
    heart_rate: 96,
    respiratory_rate: 22,
    systolic_bp: 105,
    diastolic_bp: 70,
    spo2: 95,
    on_oxygen: false,
    oxygen_flow: null,
    consciousness: "A",
    pain_score: null,
    fluid_in_oral: null,
    fluid_in_iv: null,
    fluid_in_other: null,
    fluid_out_urine: null,
    fluid_out_vomit: null,
    fluid_out_drain: null,
    fluid_out_other: null,
    weight: null,
    hematocrit: null,
    platelets: null,
    wbc: null,
    warning_signs: [],
    notes: "",
    news2: NEWS2_MEDIUM,
    dengue: null,
    next_due_at: "2026-11-22T18:30:00Z",
    due: PREVIEW.due,
    suggests_critical_phase: false,
    status: "final",
    status_reason: "",
    status_changed_at: null,
    status_changed_by: null as never,
    created_at: "2026-11-22T17:30:00Z",
    updated_at: "2026-11-22T17:30:00Z",
    ...overrides,
  };
}

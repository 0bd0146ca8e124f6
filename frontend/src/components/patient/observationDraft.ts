/**
 * The observation form's draft: what the nurse typed, as strings, and its conversion to the
 * API's body. Nothing is validated here: a value that is not a number is sent as typed and
 * the server, the one validation and scoring implementation, names the field.
 */
import type {
  Consciousness,
  Observation,
  ObservationAmendment,
  ObservationInput,
  WarningSign,
} from "@/api/observations";
import { isoToZonedInput, zonedToIso } from "@/components/patient/format";

export type NumericName =
  | "respiratory_rate"
  | "spo2"
  | "oxygen_flow"
  | "systolic_bp"
  | "diastolic_bp"
  | "heart_rate"
  | "temperature"
  | "pain_score"
  | "fluid_in_oral"
  | "fluid_in_iv"
  | "fluid_in_other"
  | "fluid_out_urine"
  | "fluid_out_vomit"
  | "fluid_out_drain"
  | "fluid_out_other"
  | "weight"
  | "hematocrit"
  | "platelets"
  | "wbc";

export interface NumericField {
  name: NumericName;
  /** Key under patient.units. */
  unit: string;
  /** `numeric` for whole numbers, `decimal` where a decimal point is usual. */
  inputmode: "numeric" | "decimal";
}

const f = (name: NumericName, unit: string, inputmode: NumericField["inputmode"] = "numeric"): NumericField => ({
  name,
  unit,
  inputmode,
});

/** In the NEWS2 chart's order (oxygen and consciousness are choices, placed by the form). */
export const VITALS: readonly NumericField[] = [
  f("respiratory_rate", "perMin"),
  f("spo2", "percent"),
  f("systolic_bp", "mmHg"),
  f("diastolic_bp", "mmHg"),
  f("heart_rate", "perMin"),
  f("temperature", "celsius", "decimal"),
];
export const OXYGEN_FLOW: NumericField = f("oxygen_flow", "lPerMin", "decimal");
export const PAIN: NumericField = f("pain_score", "outOf10");
export const FLUIDS_IN: readonly NumericField[] = [
  f("fluid_in_oral", "ml"),
  f("fluid_in_iv", "ml"),
  f("fluid_in_other", "ml"),
];
export const FLUIDS_OUT: readonly NumericField[] = [
  f("fluid_out_urine", "ml"),
  f("fluid_out_vomit", "ml"),
  f("fluid_out_drain", "ml"),
  f("fluid_out_other", "ml"),
];
export const LABS: readonly NumericField[] = [
  f("weight", "kg", "decimal"),
  f("hematocrit", "percent", "decimal"),
  f("platelets", "perNanoLitre", "decimal"),
  f("wbc", "perNanoLitre", "decimal"),
];

export const NUMERIC_NAMES: readonly NumericName[] = [
  ...VITALS,
  OXYGEN_FLOW,
  PAIN,
  ...FLUIDS_IN,
  ...FLUIDS_OUT,
  ...LABS,
].map((field) => field.name);

/** Every field the API may name in its errors (warning signs by index: `warning_signs[0]`). */
export const OBSERVATION_FIELDS: readonly string[] = [
  ...NUMERIC_NAMES,
  "on_oxygen",
  "consciousness",
  "warning_signs",
  "notes",
  "recorded_at",
];

export type ObservationDraft = Record<NumericName, string> & {
  on_oxygen: "" | "air" | "oxygen";
  consciousness: Consciousness | "";
  warning_signs: WarningSign[];
  notes: string;
  /** `datetime-local` value in the organisation's zone; empty: now. */
  recorded_at: string;
};

export function emptyDraft(): ObservationDraft {
  const numbers = Object.fromEntries(NUMERIC_NAMES.map((name) => [name, ""])) as Record<NumericName, string>;
  return { ...numbers, on_oxygen: "", consciousness: "", warning_signs: [], notes: "", recorded_at: "" };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** "37,5" → 37.5 (a decimal comma is how half the world types it); anything else as typed. */
export function parseNumber(text: string): number | string {
  const normalised = text.trim().replace(",", ".");
  return NUMBER.test(normalised) ? Number(normalised) : text.trim();
}

/** The API body: only what was filled in. */
export function draftToBody(draft: ObservationDraft, timeZone: string): ObservationInput {
  const body: Record<string, unknown> = {};
  for (const name of NUMERIC_NAMES) {
    if (draft[name].trim() !== "") body[name] = parseNumber(draft[name]);
  }
  if (draft.on_oxygen) body.on_oxygen = draft.on_oxygen === "oxygen";
  if (draft.consciousness) body.consciousness = draft.consciousness;
  if (draft.warning_signs.length) body.warning_signs = [...draft.warning_signs];
  if (draft.notes.trim()) body.notes = draft.notes.trim();
  if (draft.recorded_at) body.recorded_at = zonedToIso(draft.recorded_at, timeZone);
  return body as ObservationInput;
}

/** Whether anything that can be scored or stored was entered (the time alone is not). */
export function hasValues(body: ObservationInput): boolean {
  return Object.keys(body).some((key) => key !== "recorded_at");
}

export function draftFromObservation(observation: Observation, timeZone: string): ObservationDraft {
  const draft = emptyDraft();
  for (const name of NUMERIC_NAMES) {
    const value = observation[name];
    draft[name] = value === null || value === undefined ? "" : String(value);
  }
  draft.on_oxygen = observation.on_oxygen === null ? "" : observation.on_oxygen ? "oxygen" : "air";
  draft.consciousness = observation.consciousness;
  draft.warning_signs = [...(observation.warning_signs ?? [])];
  draft.notes = observation.notes;
  draft.recorded_at = isoToZonedInput(observation.recorded_at, timeZone);
  return draft;
}

/** The fields an amendment changes (a cleared value is sent as null). */
export function amendmentBody(
  before: ObservationDraft,
  after: ObservationDraft,
  timeZone: string,
): ObservationAmendment {
  const body: Record<string, unknown> = {};
  for (const name of NUMERIC_NAMES) {
    if (before[name].trim() !== after[name].trim())
      body[name] = after[name].trim() === "" ? null : parseNumber(after[name]);
  }
  if (before.on_oxygen !== after.on_oxygen)
    body.on_oxygen = after.on_oxygen === "" ? null : after.on_oxygen === "oxygen";
  if (before.consciousness !== after.consciousness) body.consciousness = after.consciousness;
  if ([...before.warning_signs].sort().join() !== [...after.warning_signs].sort().join())
    body.warning_signs = [...after.warning_signs];
  if (before.notes !== after.notes) body.notes = after.notes;
  if (before.recorded_at !== after.recorded_at && after.recorded_at)
    body.recorded_at = zonedToIso(after.recorded_at, timeZone);
  return body as ObservationAmendment;
}

/**
 * The program being edited: a draft of the whole tree (program → sessions → items), saved in
 * one request (POST, or PUT with `If-Match`, ADR 0004). Errors come back keyed by the path of
 * the field in the request (`sessions[1].items[3].reps`); they are mapped onto the rows that
 * were at those places when the request was sent, so they stay on the right input even if the
 * user moves rows before fixing them.
 */
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import type { Exercise } from "@/api/exercises";
import { ApiError } from "@/api/http";
import {
  createProgram,
  getProgram,
  replaceProgram,
  type Program,
  type ProgramItem,
  type ProgramStatus,
  type ProgramWrite,
  type ProgressionField,
  type Side,
} from "@/api/programs";

export const DOSAGE_NUMBERS = ["sets", "reps", "hold_seconds", "duration_seconds", "rest_seconds", "load_kg"] as const;
export type DosageNumber = (typeof DOSAGE_NUMBERS)[number];

export interface DraftExercise {
  id: string;
  name: string;
  provider: string;
  embedUrl: string;
  archived: boolean;
}

export interface DraftItem {
  /** Stable client key (rows without an id yet need one too). */
  key: string;
  id: string | null;
  exercise: DraftExercise;
  sets: number | null;
  reps: number | null;
  hold_seconds: number | null;
  duration_seconds: number | null;
  rest_seconds: number | null;
  load_kg: number | null;
  side: Side;
  tempo: string;
  notes: string;
  progression_field: ProgressionField | "";
  progression_step: number | null;
  progression_cap: number | null;
}

export interface DraftSession {
  key: string;
  id: string | null;
  name: string;
  times_per_day: number;
  days_of_week: number[];
  items: DraftItem[];
}

export interface DraftProgram {
  id: string | null;
  name: string;
  description: string;
  status: ProgramStatus;
  duration_weeks: number;
  is_template: boolean;
  sessions: DraftSession[];
}

/** Where an API error belongs: `program.<field>`, `session:<key>.<field>`, `item:<key>.<field>`
 * (`session:<key>` / `item:<key>` alone for an error about the row as a whole). */
export type FieldKey = string;

export interface MappedErrors {
  fields: Record<FieldKey, string[]>;
  /** Errors about the request as a whole, or at a path that no longer matches a row. */
  general: string[];
}

let sequence = 0;
function newKey(prefix: string): string {
  sequence += 1;
  return `${prefix}${sequence}`;
}

/** `null` for an empty or unparsable input (v-model.number leaves "" in an emptied field). */
function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const number = typeof value === "number" ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

function exerciseOf(item: ProgramItem): DraftExercise {
  const summary = item.exercise_summary;
  return {
    id: item.exercise,
    name: summary.display?.name || summary.name,
    provider: summary.video_provider,
    embedUrl: summary.embed_url,
    archived: summary.archived,
  };
}

export function draftFromProgram(program: Program): DraftProgram {
  return {
    id: program.id,
    name: program.name,
    description: program.description,
    status: program.status,
    duration_weeks: program.duration_weeks,
    is_template: program.is_template,
    sessions: program.sessions.map((session) => ({
      key: newKey("s"),
      id: session.id,
      name: session.name,
      times_per_day: session.times_per_day,
      days_of_week: [...session.days_of_week],
      items: session.items.map((item) => ({
        key: newKey("i"),
        id: item.id,
        exercise: exerciseOf(item),
        sets: item.sets,
        reps: item.reps,
        hold_seconds: item.hold_seconds,
        duration_seconds: item.duration_seconds,
        rest_seconds: item.rest_seconds,
        load_kg: item.load_kg,
        side: item.side,
        tempo: item.tempo,
        notes: item.notes,
        progression_field: item.progression_field,
        progression_step: item.progression_step,
        progression_cap: item.progression_cap,
      })),
    })),
  };
}

export function emptyDraft(sessionName: string): DraftProgram {
  return {
    id: null,
    name: "",
    description: "",
    status: "draft",
    duration_weeks: 4,
    is_template: false,
    sessions: [{ key: newKey("s"), id: null, name: sessionName, times_per_day: 1, days_of_week: [], items: [] }],
  };
}

export function itemFromExercise(exercise: Exercise): DraftItem {
  return {
    key: newKey("i"),
    id: null,
    exercise: {
      id: exercise.id,
      name: exercise.display?.name || exercise.name,
      provider: exercise.video_provider,
      embedUrl: exercise.embed_url,
      archived: exercise.archived ?? false,
    },
    sets: exercise.default_sets ?? null,
    reps: exercise.default_reps ?? null,
    hold_seconds: exercise.default_hold_seconds ?? null,
    duration_seconds: exercise.default_duration_seconds ?? null,
    rest_seconds: exercise.default_rest_seconds ?? null,
    load_kg: null,
    side: "both",
    tempo: "",
    notes: "",
    progression_field: "",
    progression_step: null,
    progression_cap: null,
  };
}

/** The request body for POST/PUT: rows keep their ids (kept and updated), new rows have none. */
export function toWriteRequest(draft: DraftProgram): ProgramWrite {
  return {
    name: draft.name.trim(),
    description: draft.description,
    status: draft.status,
    duration_weeks: toNumber(draft.duration_weeks) ?? 0,
    is_template: draft.is_template,
    sessions: draft.sessions.map((session) => ({
      ...(session.id ? { id: session.id } : {}),
      name: session.name.trim(),
      times_per_day: toNumber(session.times_per_day) ?? 0,
      days_of_week: [...session.days_of_week].sort((a, b) => a - b),
      items: session.items.map((item) => {
        const progression = item.progression_field;
        return {
          ...(item.id ? { id: item.id } : {}),
          exercise: item.exercise.id,
          sets: toNumber(item.sets),
          reps: toNumber(item.reps),
          hold_seconds: toNumber(item.hold_seconds),
          duration_seconds: toNumber(item.duration_seconds),
          rest_seconds: toNumber(item.rest_seconds),
          load_kg: toNumber(item.load_kg),
          side: item.side,
          tempo: item.tempo.trim(),
          notes: item.notes.trim(),
          progression_field: progression,
          progression_step: progression ? toNumber(item.progression_step) : null,
          progression_cap: progression ? toNumber(item.progression_cap) : null,
        };
      }),
    })),
  };
}

/** The keys of the rows as they were sent, by their index in the request. */
export interface SentShape {
  sessions: { key: string; items: string[] }[];
}

export function shapeOf(draft: DraftProgram): SentShape {
  return { sessions: draft.sessions.map((s) => ({ key: s.key, items: s.items.map((i) => i.key) })) };
}

const SESSION_PATH = /^sessions\[(\d+)\](?:\.(.+))?$/;
const ITEM_PATH = /^items\[(\d+)\](?:\.(.+))?$/;

/** `days_of_week[2]` → `days_of_week`: a list element's error belongs to the list's input. */
function fieldName(path: string): string {
  return path.replace(/\[\d+\]$/, "");
}

/**
 * Map the API's field paths (`sessions[1].items[3].reps`) onto the rows that were sent at
 * those indexes: `item:<key>.reps`. Top-level fields become `program.<field>`.
 */
export function mapErrorPaths(errors: Record<string, string[]>, sent: SentShape): MappedErrors {
  const mapped: MappedErrors = { fields: {}, general: [] };
  const add = (key: FieldKey, messages: string[]) => {
    (mapped.fields[key] ??= []).push(...messages);
  };
  for (const [path, messages] of Object.entries(errors)) {
    if (path === "non_field_errors" || path === "detail") {
      mapped.general.push(...messages);
      continue;
    }
    const sessionMatch = SESSION_PATH.exec(path);
    if (!sessionMatch) {
      add(`program.${fieldName(path)}`, messages);
      continue;
    }
    const session = sent.sessions[Number(sessionMatch[1])];
    const rest = sessionMatch[2];
    if (!session) {
      mapped.general.push(...messages);
      continue;
    }
    if (!rest || rest === "non_field_errors") {
      add(`session:${session.key}`, messages);
      continue;
    }
    const itemMatch = ITEM_PATH.exec(rest);
    if (!itemMatch) {
      add(`session:${session.key}.${fieldName(rest)}`, messages);
      continue;
    }
    const itemKey = session.items[Number(itemMatch[1])];
    const field = itemMatch[2];
    if (!itemKey) add(`session:${session.key}.items`, messages);
    else if (!field || field === "non_field_errors") add(`item:${itemKey}`, messages);
    else add(`item:${itemKey}.${fieldName(field)}`, messages);
  }
  return mapped;
}

/** The id of the input that shows a field key's errors. */
export function inputId(key: FieldKey): string {
  return `f-${key.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

export type SaveOutcome = "saved" | "invalid" | "conflict" | "error";

export const useProgramStore = defineStore("program", () => {
  const draft = ref<DraftProgram | null>(null);
  /** The ETag of the last response about this program, sent back as If-Match. */
  const etag = ref<string | null>(null);
  const savedJson = ref<string>("");
  const loading = ref(false);
  const saving = ref(false);
  /** Someone else saved the program since we read it (412): reload before saving again. */
  const conflict = ref(false);
  const errors = ref<MappedErrors>({ fields: {}, general: [] });
  const failure = ref<ApiError | null>(null);

  const dirty = computed(() => draft.value !== null && JSON.stringify(toWriteRequest(draft.value)) !== savedJson.value);
  const errorCount = computed(
    () => Object.values(errors.value.fields).reduce((n, list) => n + list.length, 0) + errors.value.general.length,
  );

  function reset(): void {
    conflict.value = false;
    failure.value = null;
    errors.value = { fields: {}, general: [] };
  }

  function adopt(program: Program, tag: string): void {
    draft.value = draftFromProgram(program);
    etag.value = tag;
    savedJson.value = JSON.stringify(toWriteRequest(draft.value));
  }

  async function load(id: string): Promise<void> {
    loading.value = true;
    reset();
    try {
      const result = await getProgram(id);
      adopt(result.program, result.etag);
    } catch (error) {
      draft.value = null;
      failure.value = error instanceof ApiError ? error : null;
      throw error;
    } finally {
      loading.value = false;
    }
  }

  function startNew(sessionName: string): void {
    reset();
    draft.value = emptyDraft(sessionName);
    etag.value = null;
    savedJson.value = JSON.stringify(toWriteRequest(draft.value));
  }

  /**
   * Give the rows that were sent the ids the server gave them, in place, so that edits made
   * while the request was on its way, and the focus, survive the save.
   */
  function applySaved(program: Program, sent: SentShape): void {
    const current = draft.value;
    if (!current) return;
    current.id = program.id;
    program.sessions.forEach((session, s) => {
      const shape = sent.sessions[s];
      const target = shape && current.sessions.find((row) => row.key === shape.key);
      if (!target || !shape) return;
      target.id = session.id;
      session.items.forEach((item, i) => {
        const itemKey = shape.items[i];
        for (const row of current.sessions) {
          const found = row.items.find((candidate) => candidate.key === itemKey);
          if (found) found.id = item.id;
        }
      });
    });
  }

  async function save(): Promise<SaveOutcome> {
    const current = draft.value;
    if (!current || saving.value) return "error";
    saving.value = true;
    failure.value = null;
    const body = toWriteRequest(current);
    const sent = shapeOf(current);
    try {
      const result =
        current.id && etag.value ? await replaceProgram(current.id, body, etag.value) : await createProgram(body);
      etag.value = result.etag;
      applySaved(result.program, sent);
      savedJson.value = JSON.stringify(toWriteRequest(draftFromProgram(result.program)));
      errors.value = { fields: {}, general: [] };
      conflict.value = false;
      return "saved";
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 412) {
        conflict.value = true;
        return "conflict";
      }
      if (error.status === 400) {
        errors.value = mapErrorPaths(error.problem.errors, sent);
        if (errorCount.value === 0) errors.value.general.push(error.problem.detail);
        return "invalid";
      }
      failure.value = error;
      return "error";
    } finally {
      saving.value = false;
    }
  }

  /** Drop the local edits and read the program as it is now (after a 412). */
  async function reload(): Promise<void> {
    const id = draft.value?.id;
    if (id) await load(id);
  }

  function fieldErrors(key: FieldKey): string[] {
    return errors.value.fields[key] ?? [];
  }

  /** The user changed the field: its old message no longer describes what is there. */
  function clearError(key: FieldKey): void {
    if (errors.value.fields[key]) {
      const { [key]: _removed, ...rest } = errors.value.fields;
      errors.value = { ...errors.value, fields: rest };
    }
  }

  function findSession(key: string): DraftSession | undefined {
    return draft.value?.sessions.find((s) => s.key === key);
  }

  function locateItem(key: string): { session: DraftSession; index: number } | null {
    for (const session of draft.value?.sessions ?? []) {
      const index = session.items.findIndex((i) => i.key === key);
      if (index >= 0) return { session, index };
    }
    return null;
  }

  function addSession(name: string): DraftSession | null {
    if (!draft.value) return null;
    const session: DraftSession = { key: newKey("s"), id: null, name, times_per_day: 1, days_of_week: [], items: [] };
    draft.value.sessions.push(session);
    return session;
  }

  function removeSession(key: string): void {
    if (!draft.value) return;
    draft.value.sessions = draft.value.sessions.filter((s) => s.key !== key);
  }

  /** Move a session up (-1) or down (+1); returns its new index, or null at the edge. */
  function moveSession(key: string, delta: number): number | null {
    const sessions = draft.value?.sessions;
    if (!sessions) return null;
    const from = sessions.findIndex((s) => s.key === key);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= sessions.length) return null;
    const [session] = sessions.splice(from, 1);
    sessions.splice(to, 0, session!);
    return to;
  }

  function addItem(sessionKey: string, exercise: Exercise, index?: number): DraftItem | null {
    const session = findSession(sessionKey);
    if (!session) return null;
    const item = itemFromExercise(exercise);
    const at = index === undefined ? session.items.length : Math.max(0, Math.min(index, session.items.length));
    session.items.splice(at, 0, item);
    return item;
  }

  function removeItem(key: string): void {
    const found = locateItem(key);
    if (found) found.session.items.splice(found.index, 1);
  }

  /** Put an item at `index` of a session (drag and drop); `index` counts the list before the move. */
  function placeItem(key: string, sessionKey: string, index: number): { session: DraftSession; index: number } | null {
    const found = locateItem(key);
    const target = findSession(sessionKey);
    if (!found || !target) return null;
    let at = index;
    if (found.session === target && found.index < index) at -= 1;
    const [item] = found.session.items.splice(found.index, 1);
    at = Math.max(0, Math.min(at, target.items.length));
    target.items.splice(at, 0, item!);
    return { session: target, index: at };
  }

  /**
   * Move an item one place up (-1) or down (+1), the keyboard's way to reorder; past the top
   * or bottom of its session it goes to the end of the previous or the start of the next one.
   */
  function moveItem(key: string, delta: -1 | 1): { session: DraftSession; index: number } | null {
    const found = locateItem(key);
    const sessions = draft.value?.sessions;
    if (!found || !sessions) return null;
    const { session, index } = found;
    const to = index + delta;
    if (to >= 0 && to < session.items.length) {
      const [item] = session.items.splice(index, 1);
      session.items.splice(to, 0, item!);
      return { session, index: to };
    }
    const neighbour = sessions[sessions.indexOf(session) + delta];
    if (!neighbour) return null;
    const [item] = session.items.splice(index, 1);
    if (delta < 0) neighbour.items.push(item!);
    else neighbour.items.unshift(item!);
    return { session: neighbour, index: delta < 0 ? neighbour.items.length - 1 : 0 };
  }

  return {
    draft,
    etag,
    loading,
    saving,
    conflict,
    errors,
    failure,
    dirty,
    errorCount,
    load,
    startNew,
    save,
    reload,
    fieldErrors,
    clearError,
    findSession,
    locateItem,
    addSession,
    removeSession,
    moveSession,
    addItem,
    removeItem,
    placeItem,
    moveItem,
  };
});

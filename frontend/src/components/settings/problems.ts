/** Splits an API problem's `errors` into messages for the fields a form shows and the rest. */
import { ApiError } from "@/api/http";

export interface FormErrors {
  /** Messages by field, for the fields the form shows in place. */
  fields: Record<string, string[]>;
  /** Everything else (non-field errors, fields the form does not have, a conflict's detail). */
  other: string;
}

export function formErrors(error: unknown, shown: readonly string[]): FormErrors {
  if (!(error instanceof ApiError)) return { fields: {}, other: (error as Error).message };
  const fields: Record<string, string[]> = {};
  const rest: string[] = [];
  for (const [field, messages] of Object.entries(error.problem.errors ?? {})) {
    if (shown.includes(field)) fields[field] = messages;
    else rest.push(...messages);
  }
  const other = rest.length ? rest.join(" ") : Object.keys(fields).length ? "" : error.problem.detail || error.message;
  return { fields, other };
}

/** One message for an action that has no form (a conflict, a network failure). */
export function problemMessage(error: unknown): string {
  return error instanceof ApiError ? error.problem.detail || error.message : (error as Error).message;
}

/** Problem details from the API shown in place: per-field messages, the rest at the top. */
import { nextTick, ref } from "vue";

import { ApiError } from "@/api/http";

export function useProblem(fields: readonly string[]) {
  const error = ref<ApiError | null>(null);

  /** The server's messages for one field (empty when it accepted it). */
  function field(name: string): string[] {
    return error.value?.field(name) ?? [];
  }

  /** Messages with no field on this form (non-field errors, or the problem's detail). */
  function general(): string[] {
    const problem = error.value?.problem;
    if (!problem) return [];
    const others = Object.entries(problem.errors ?? {})
      .filter(([key]) => !fields.includes(key))
      .flatMap(([, messages]) => messages);
    if (others.length) return others;
    return Object.keys(problem.errors ?? {}).length ? [] : [problem.detail || problem.title];
  }

  /** Keep an ApiError for display (anything else is rethrown). */
  function capture(e: unknown): void {
    if (!(e instanceof ApiError)) throw e;
    error.value = e;
  }

  function clear(): void {
    error.value = null;
  }

  /** Move focus to the first field the server refused, so keyboard and screen reader users land on it. */
  async function focusFirstInvalid(root: HTMLElement | null | undefined): Promise<void> {
    await nextTick();
    root?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }

  return { error, field, general, capture, clear, focusFirstInvalid };
}

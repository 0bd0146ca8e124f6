/**
 * The patient portal: the portal token, today's plan, and the logs the patient makes.
 *
 * The token arrives in the URL fragment (`/portal/#cbp_…`, never sent to a server); it is moved
 * to sessionStorage and off the address bar, and sent only as `Authorization: Bearer` (ADR
 * 0005). Logs go through the offline queue: made offline, they are kept on the phone and sent
 * once the connection returns, each with the Idempotency-Key it got when the patient tapped.
 */
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { ApiError } from "@/api/http";
import {
  getToday,
  PORTAL_TOKEN_PREFIX,
  postLog,
  type ActivityLog,
  type LogCreate,
  type PortalToday,
} from "@/api/portal";
import { useOfflineQueue, type SubmitOutcome } from "@/composables/useOfflineQueue";

export const TOKEN_KEY = "careboard.portal.token";
export const QUEUE_KEY = "careboard.portal.queue";
const TODAY_KEY = "careboard.portal.today";

export type PortalStatus = "idle" | "loading" | "ready" | "no-link" | "expired" | "error";

/**
 * The portal token: from the fragment if the page was opened from a link (then stored in
 * sessionStorage and removed from the address bar and the history entry), else the stored one.
 */
export function takeToken(): string | null {
  const fragment = decodeURIComponent(window.location.hash.slice(1));
  if (fragment.startsWith(PORTAL_TOKEN_PREFIX)) {
    sessionStorage.setItem(TOKEN_KEY, fragment);
    window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    return fragment;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** What the queue stores to tell links apart: the token's public prefix, as staff see it. */
function scopeOf(token: string): string {
  return token.slice(0, 10);
}

export interface LogExtras {
  pain?: number | null;
  difficulty?: number | null;
  comment?: string;
}

export const usePortalStore = defineStore("portal", () => {
  const token = ref<string | null>(null);
  const status = ref<PortalStatus>("idle");
  const today = ref<PortalToday | null>(null);
  /** The server's explanation when the link does not work (expired, replaced, ended). */
  const detail = ref("");
  /** Today's plan is the copy kept on the phone (the server could not be reached). */
  const stale = ref(false);
  const rejected = ref<{ key: string; message: string }[]>([]);

  const queue = useOfflineQueue<LogCreate, ActivityLog>({
    storageKey: QUEUE_KEY,
    scope: () => (token.value ? scopeOf(token.value) : null),
    send: (body, key) => postLog(token.value ?? "", body, key),
    onSent: (entry) => countDone(entry.body),
    onRejected: (entry, error) =>
      rejected.value.push({ key: entry.key, message: error.problem.detail || error.message }),
    onUnauthorized: (error) => expire(error),
  });

  /** Logs still on the phone, per session (whole-session logs) and per item. */
  const waiting = computed(() => {
    const sessions: Record<string, number> = {};
    const items: Record<string, number> = {};
    for (const entry of queue.pending.value) {
      if (entry.body.completed === false) continue;
      if (entry.body.item_id) items[entry.body.item_id] = (items[entry.body.item_id] ?? 0) + 1;
      else sessions[entry.body.session_id] = (sessions[entry.body.session_id] ?? 0) + 1;
    }
    return { sessions, items };
  });

  /** As the server counts (adherence.sessions_done): logs of the whole session, or rounds of
   * all its exercises, whichever is more, at most times_per_day; logs still on the phone too. */
  function sessionDone(sessionId: string): number {
    const session = today.value?.sessions.find((s) => s.id === sessionId);
    if (!session) return 0;
    const rounds = session.items.length ? Math.min(...session.items.map((i) => itemDone(sessionId, i.id))) : 0;
    return Math.min(session.times_per_day, Math.max(session.done + (waiting.value.sessions[sessionId] ?? 0), rounds));
  }

  function itemDone(sessionId: string, itemId: string): number {
    const item = today.value?.sessions.find((s) => s.id === sessionId)?.items.find((i) => i.id === itemId);
    return (item?.done ?? 0) + (waiting.value.items[itemId] ?? 0);
  }

  /** A log reached the server: count it in today's plan until the next read brings the truth. */
  function countDone(body: LogCreate): void {
    if (body.completed === false || body.performed_on !== today.value?.date) return;
    const session = today.value?.sessions.find((s) => s.id === body.session_id);
    if (!session) return;
    if (!body.item_id) session.done = Math.min(session.times_per_day, session.done + 1);
    else {
      const item = session.items.find((i) => i.id === body.item_id);
      if (item) item.done += 1;
    }
    keepCopy();
  }

  function keepCopy(): void {
    if (today.value && token.value) {
      sessionStorage.setItem(TODAY_KEY, JSON.stringify({ scope: scopeOf(token.value), today: today.value }));
    }
  }

  function keptCopy(): PortalToday | null {
    try {
      const kept = JSON.parse(sessionStorage.getItem(TODAY_KEY) ?? "null") as {
        scope: string;
        today: PortalToday;
      } | null;
      return kept && token.value && kept.scope === scopeOf(token.value) ? kept.today : null;
    } catch {
      return null;
    }
  }

  function expire(error: ApiError): void {
    status.value = "expired";
    detail.value = error.problem.detail;
    today.value = null;
    // The token stays: a reload then says the same, instead of "open your link".
    sessionStorage.removeItem(TODAY_KEY);
  }

  /** Read the token (fragment or session) and today's plan. `quiet`: no loading state. */
  async function load(options: { quiet?: boolean } = {}): Promise<void> {
    const previous = token.value;
    token.value = takeToken();
    if (!token.value) {
      status.value = "no-link";
      return;
    }
    if (!options.quiet) status.value = "loading";
    try {
      today.value = await getToday(token.value);
      stale.value = false;
      status.value = "ready";
      keepCopy();
      // A new link (or the first read) may unblock logs kept while the old one was refused.
      if (previous !== token.value || queue.pending.value.length) void queue.resume();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 401 || error.status === 403) {
        expire(error);
        return;
      }
      const copy = keptCopy();
      if (error.status === 0 && copy) {
        today.value = copy;
        stale.value = true;
        status.value = "ready";
        return;
      }
      detail.value = error.problem.detail;
      if (!options.quiet || !today.value) status.value = "error";
    }
  }

  async function log(body: LogCreate): Promise<SubmitOutcome> {
    const result = await queue.submit(body);
    if (result.outcome === "sent" && !queue.pending.value.length) void load({ quiet: true });
    return result.outcome;
  }

  /** One exercise done. */
  function logItem(sessionId: string, itemId: string): Promise<SubmitOutcome> {
    if (!today.value) return Promise.resolve("failed");
    return log({ session_id: sessionId, item_id: itemId, performed_on: today.value.date, completed: true });
  }

  /** The whole session done, with how it felt. Unrated sliders are left out, not sent as 0. */
  function logSession(sessionId: string, extras: LogExtras): Promise<SubmitOutcome> {
    if (!today.value) return Promise.resolve("failed");
    const body: LogCreate = { session_id: sessionId, performed_on: today.value.date, completed: true };
    if (extras.pain !== undefined && extras.pain !== null) body.pain = extras.pain;
    if (extras.difficulty !== undefined && extras.difficulty !== null) body.difficulty = extras.difficulty;
    if (extras.comment?.trim()) body.comment = extras.comment.trim();
    return log(body);
  }

  function dismissRejected(key: string): void {
    rejected.value = rejected.value.filter((r) => r.key !== key);
  }

  return {
    token,
    status,
    today,
    detail,
    stale,
    rejected,
    pending: queue.pending,
    online: queue.online,
    flushing: queue.flushing,
    waiting,
    sessionDone,
    itemDone,
    load,
    logItem,
    logSession,
    flush: queue.flush,
    dismissRejected,
  };
});

/**
 * A queue of writes that survive being offline: each one is stored in localStorage with its
 * own Idempotency-Key *before* it is first sent, and resent with that same key until the server
 * has it. The server stores a key once and answers a repeat with the first result (ADR 0005), so
 * a request that reached it but whose answer was lost, a reload mid-request, or two tabs
 * flushing together still make one record.
 *
 * Sent again on the "online" event, when the page becomes visible, and on a back-off timer;
 * one flush at a time, in the order queued.
 */
import { onScopeDispose, readonly, ref, type Ref } from "vue";

import { ApiError, newIdempotencyKey } from "@/api/http";

export interface QueuedEntry<T> {
  /** The Idempotency-Key, made once when the entry is queued. */
  key: string;
  /** Whom the entry belongs to (e.g. which portal link); never a secret, it is stored. */
  scope: string;
  body: T;
  queuedAt: string;
  attempts: number;
}

export type SubmitOutcome = "sent" | "queued" | "failed";

export interface OfflineQueueOptions<T, R> {
  storageKey: string;
  /** The scope new entries get and flushes send; null: nothing can be sent yet. */
  scope: () => string | null;
  send: (body: T, idempotencyKey: string) => Promise<R>;
  onSent?: (entry: QueuedEntry<T>, result: R) => void;
  /** The server refused the entry for good (e.g. 400, 409): it is dropped. */
  onRejected?: (entry: QueuedEntry<T>, error: ApiError) => void;
  /** The server does not accept the credentials (401/403): entries are kept, flushing stops. */
  onUnauthorized?: (error: ApiError) => void;
  /** Milliseconds before the n-th retry (the last one repeats). */
  retryDelays?: readonly number[];
  isOnline?: () => boolean;
}

export interface OfflineQueue<T> {
  pending: Readonly<Ref<readonly QueuedEntry<T>[]>>;
  online: Readonly<Ref<boolean>>;
  flushing: Readonly<Ref<boolean>>;
  submit: (body: T) => Promise<{ outcome: SubmitOutcome; key: string; error?: ApiError }>;
  flush: () => Promise<void>;
  /** Try again after 401/403 stopped the flushing (e.g. the patient opened a new link). */
  resume: () => Promise<void>;
}

const DEFAULT_DELAYS = [2_000, 5_000, 15_000, 30_000, 60_000, 300_000] as const;

/** Worth trying again later: no connection, a timeout, throttling or a server fault. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

export function useOfflineQueue<T, R = unknown>(options: OfflineQueueOptions<T, R>): OfflineQueue<T> {
  const isOnline = options.isOnline ?? (() => navigator.onLine);
  const delays = options.retryDelays ?? DEFAULT_DELAYS;
  const pending = ref<QueuedEntry<T>[]>([]) as Ref<QueuedEntry<T>[]>;
  const online = ref(isOnline());
  const flushingRef = ref(false);
  const rejected = new Map<string, ApiError>();
  let running: Promise<void> | null = null;
  let again = false;
  let blocked = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let retries = 0;

  // Read from storage every time: another tab may have sent or queued entries.
  function readAll(): QueuedEntry<T>[] {
    try {
      const parsed: unknown = JSON.parse(localStorage.getItem(options.storageKey) ?? "[]");
      return Array.isArray(parsed) ? (parsed as QueuedEntry<T>[]) : [];
    } catch {
      return [];
    }
  }

  function writeAll(entries: QueuedEntry<T>[]): void {
    if (entries.length) localStorage.setItem(options.storageKey, JSON.stringify(entries));
    else localStorage.removeItem(options.storageKey);
    refresh();
  }

  function refresh(): void {
    const scope = options.scope();
    pending.value = scope === null ? [] : readAll().filter((entry) => entry.scope === scope);
  }

  function update(key: string, change: (entry: QueuedEntry<T>) => QueuedEntry<T> | null): void {
    const entries: QueuedEntry<T>[] = [];
    for (const entry of readAll()) {
      const changed = entry.key === key ? change(entry) : entry;
      if (changed) entries.push(changed);
    }
    writeAll(entries);
  }

  function schedule(): void {
    if (timer !== null) return;
    const delay = delays[Math.min(retries, delays.length - 1)] ?? 60_000;
    retries += 1;
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, delay);
  }

  function cancelTimer(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  async function flushOnce(): Promise<void> {
    const scope = options.scope();
    if (scope === null || blocked) return;
    for (const entry of readAll().filter((e) => e.scope === scope)) {
      // Taken by another tab meanwhile: it is sent (or being sent) there.
      if (!readAll().some((e) => e.key === entry.key)) continue;
      if (!isOnline()) {
        online.value = false;
        return;
      }
      try {
        const result = await options.send(entry.body, entry.key);
        update(entry.key, () => null);
        retries = 0;
        options.onSent?.(entry, result);
      } catch (error) {
        if (isRetryable(error)) {
          update(entry.key, (e) => ({ ...e, attempts: e.attempts + 1 }));
          schedule();
          return;
        }
        const apiError = error as ApiError;
        if (apiError.status === 401 || apiError.status === 403) {
          blocked = true;
          options.onUnauthorized?.(apiError);
          return;
        }
        update(entry.key, () => null);
        rejected.set(entry.key, apiError);
        options.onRejected?.(entry, apiError);
      }
    }
  }

  // One tab flushes at a time where the browser can say so (Web Locks); elsewhere two tabs
  // may both send an entry, which the server stores once because the key is the same.
  async function acrossTabs(work: () => Promise<void>): Promise<void> {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (locks) await locks.request(options.storageKey, work);
    else await work();
  }

  /** Send what is queued, in order; a call during a flush makes that flush go round once more. */
  function flush(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    cancelTimer();
    flushingRef.value = true;
    running = (async () => {
      try {
        do {
          again = false;
          await acrossTabs(flushOnce);
        } while (again && timer === null);
      } finally {
        running = null;
        flushingRef.value = false;
        refresh();
      }
    })();
    return running;
  }

  async function submit(body: T): Promise<{ outcome: SubmitOutcome; key: string; error?: ApiError }> {
    const scope = options.scope();
    if (scope === null) throw new Error("The offline queue has no scope to queue under.");
    const entry: QueuedEntry<T> = {
      key: newIdempotencyKey(),
      scope,
      body,
      queuedAt: new Date().toISOString(),
      attempts: 0,
    };
    // Stored before the first attempt: if the page dies mid-request, the retry has the same key.
    writeAll([...readAll(), entry]);
    if (isOnline()) await flush();
    const error = rejected.get(entry.key);
    if (error) {
      rejected.delete(entry.key);
      return { outcome: "failed", key: entry.key, error };
    }
    const queued = readAll().some((e) => e.key === entry.key);
    return { outcome: queued ? "queued" : "sent", key: entry.key };
  }

  function resume(): Promise<void> {
    blocked = false;
    retries = 0;
    refresh();
    return flush();
  }

  function onOnline(): void {
    online.value = true;
    blocked = false;
    retries = 0;
    void flush();
  }
  function onOffline(): void {
    online.value = false;
  }
  function onVisible(): void {
    if (document.visibilityState === "visible" && isOnline() && pending.value.length) void flush();
  }
  function onStorage(event: StorageEvent): void {
    if (event.key === options.storageKey) refresh();
  }

  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  window.addEventListener("storage", onStorage);
  document.addEventListener("visibilitychange", onVisible);
  onScopeDispose(() => {
    cancelTimer();
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
    window.removeEventListener("storage", onStorage);
    document.removeEventListener("visibilitychange", onVisible);
  });
  refresh();

  return {
    pending: readonly(pending) as Readonly<Ref<readonly QueuedEntry<T>[]>>,
    online: readonly(online),
    flushing: readonly(flushingRef),
    submit,
    flush,
    resume,
  };
}

/**
 * Live board events over the websocket (/ws/, careboard/realtime/consumers.py).
 *
 * Subscribes to wards or organisations and hands every event to `onEvent`. Events are not
 * replayed, so the board must be read *after* the subscription holds: `onSync` says when
 * to (re)load it — once every subscription is confirmed ("subscribed"), again after a
 * dropped connection is back ("reconnected"), and, so the board never waits on the
 * socket, after `fallbackMs` without a confirmation ("fallback").
 *
 * A dropped socket is reopened with capped exponential back-off and jitter (so a restarted
 * server is not hit by every open board at the same instant). A heartbeat (`ping`) notices
 * a connection that died without a close frame.
 */
import { onScopeDispose, readonly, ref, toValue, watch, type MaybeRefOrGetter } from "vue";

import { isBoardEvent, type BoardEvent } from "@/api/board";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "offline" | "signed-out" | "no-access";
export type Subscription = { ward: string } | { organization: string };
export type SyncReason = "subscribed" | "reconnected" | "fallback";

export interface BackoffOptions {
  /** First retry after about this long (ms). */
  baseMs?: number;
  /** No retry waits longer than this (ms). */
  maxMs?: number;
  /** [0, 1): Math.random, replaceable in tests. */
  random?: () => number;
}

export interface LiveBoardOptions {
  subscriptions: MaybeRefOrGetter<Subscription[]>;
  onEvent: (event: BoardEvent) => void;
  /** Time to (re)load the board (see above). */
  onSync?: (reason: SyncReason) => void;
  url?: string;
  backoff?: BackoffOptions;
  /** Ping this often; no message for two intervals closes the socket (ms). */
  heartbeatMs?: number;
  /** Load without live updates if the subscription is not confirmed by then (ms). */
  fallbackMs?: number;
  WebSocketImpl?: typeof WebSocket;
}

// consumers.CLOSE_UNAUTHENTICATED: the session ended; retrying will not help.
const CLOSE_UNAUTHENTICATED = 4401;
// Ours, for a socket we close because the heartbeat went unanswered.
const CLOSE_STALE = 4000;
// Ours, for a socket we close because the browser went offline.
const CLOSE_OFFLINE = 4001;

/** Delay before retry number `attempt` (0-based): "equal jitter" over a capped exponential. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 1000, maxMs = 30_000, random = Math.random } = options;
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function defaultSocketUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/ws/`;
}

function key(subscription: Subscription): string {
  return "ward" in subscription ? `ward:${subscription.ward}` : `organization:${subscription.organization}`;
}

export function useLiveBoard(options: LiveBoardOptions) {
  const status = ref<LiveStatus>("connecting");
  const lastError = ref<string | null>(null);
  const Impl = options.WebSocketImpl ?? WebSocket;
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  const fallbackMs = options.fallbackMs ?? 1500;

  let socket: WebSocket | null = null;
  let attempt = 0;
  let dropped = false;
  let disposed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let fallbackTimer: ReturnType<typeof setTimeout> | null = null;
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  let lastMessageAt = 0;
  /** Subscriptions sent on the current socket, and those the server confirmed. */
  let sent = new Map<string, Subscription>();
  let confirmed = new Set<string>();

  function wanted(): Map<string, Subscription> {
    return new Map(toValue(options.subscriptions).map((s) => [key(s), s]));
  }

  function isOpen(): boolean {
    return socket !== null && socket.readyState === Impl.OPEN;
  }

  function send(message: object): void {
    if (isOpen()) socket!.send(JSON.stringify(message));
  }

  function clearFallback(): void {
    if (fallbackTimer !== null) clearTimeout(fallbackTimer);
    fallbackTimer = null;
  }

  /** The subscriptions changed (or the view started): load anyway if they do not hold soon. */
  function armFallback(): void {
    clearFallback();
    fallbackTimer = setTimeout(() => {
      fallbackTimer = null;
      if (status.value !== "live") options.onSync?.("fallback");
    }, fallbackMs);
  }

  function allConfirmed(): boolean {
    const all = [...wanted().keys()];
    return all.length > 0 && all.every((k) => confirmed.has(k));
  }

  function syncSubscriptions(): void {
    // Before the socket opens there is nothing to send: `onopen` calls this again.
    if (!isOpen()) return;
    const target = wanted();
    for (const [k, subscription] of sent) {
      if (!target.has(k)) {
        send({ action: "unsubscribe", ...subscription });
        sent.delete(k);
        confirmed.delete(k);
      }
    }
    for (const [k, subscription] of target) {
      if (!sent.has(k)) {
        send({ action: "subscribe", ...subscription });
        sent.set(k, subscription);
      }
    }
    if (!allConfirmed() && status.value === "live") status.value = "connecting";
  }

  function onMessage(data: unknown): void {
    lastMessageAt = Date.now();
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    if (isBoardEvent(message)) {
      options.onEvent(message);
      return;
    }
    const m = message as { type?: string; ward?: string; organization?: string; detail?: string };
    if (m.type === "subscribed") {
      const k = m.ward !== undefined ? `ward:${m.ward}` : `organization:${m.organization}`;
      if (!sent.has(k) || confirmed.has(k)) return;
      confirmed.add(k);
      lastError.value = null;
      if (status.value !== "live" && allConfirmed()) {
        status.value = "live";
        clearFallback();
        // Only a subscription that held resets the back-off: a server that accepts and
        // drops at once must not be hammered.
        attempt = 0;
        const reason: SyncReason = dropped ? "reconnected" : "subscribed";
        dropped = false;
        options.onSync?.(reason);
      }
    } else if (m.type === "unsubscribed" && (m as { reason?: string }).reason === "access") {
      // The server ended a subscription because the user's access changed (membership
      // removed, role changed): events stop, and retrying would not bring them back.
      const k = m.ward !== undefined ? `ward:${m.ward}` : `organization:${m.organization}`;
      sent.delete(k);
      confirmed.delete(k);
      if (wanted().has(k)) {
        status.value = "no-access";
        lastError.value = "access";
        clearFallback();
      }
    } else if (m.type === "error") {
      lastError.value = m.detail ?? "error";
    }
  }

  function stopHeartbeat(): void {
    if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
    heartbeatTimer = null;
  }

  function startHeartbeat(): void {
    stopHeartbeat();
    lastMessageAt = Date.now();
    heartbeatTimer = setInterval(() => {
      if (Date.now() - lastMessageAt > 2 * heartbeatMs) {
        // A half-open TCP connection may not fire `close` for minutes: act now, and let
        // the old socket close in its own time.
        const stale = socket;
        handleClose(CLOSE_STALE);
        stale?.close(CLOSE_STALE, "heartbeat");
        return;
      }
      send({ action: "ping" });
    }, heartbeatMs);
  }

  function scheduleReconnect(): void {
    if (disposed || retryTimer !== null) return;
    const delay = backoffDelay(attempt, options.backoff);
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  }

  function handleClose(code: number): void {
    stopHeartbeat();
    const old = socket;
    socket = null;
    if (old) old.onopen = old.onmessage = old.onclose = old.onerror = null;
    if (disposed) return;
    if (code === CLOSE_UNAUTHENTICATED) {
      status.value = "signed-out";
      return;
    }
    // Only a board that was live has missed events; before that, "subscribed" or the
    // fallback loads it.
    if (status.value === "live") dropped = true;
    status.value = typeof navigator !== "undefined" && navigator.onLine === false ? "offline" : "reconnecting";
    scheduleReconnect();
  }

  function connect(): void {
    if (disposed) return;
    sent = new Map();
    confirmed = new Set();
    let ws: WebSocket;
    try {
      ws = new Impl(options.url ?? defaultSocketUrl());
    } catch {
      handleClose(1006);
      return;
    }
    socket = ws;
    ws.onopen = () => {
      startHeartbeat();
      syncSubscriptions();
    };
    ws.onmessage = (event: MessageEvent) => onMessage(event.data);
    ws.onclose = (event: CloseEvent) => {
      if (socket === ws) handleClose(event.code);
    };
  }

  function reconnectNow(): void {
    if (disposed || socket || status.value === "signed-out") return;
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    connect();
  }

  function onOffline(): void {
    // Without a network an open socket may linger for minutes (no close frame) while the
    // events sent meanwhile are lost: drop it now, so the board says "offline" and reads
    // itself again once the network (`online`) is back.
    const old = socket;
    if (old) {
      handleClose(CLOSE_OFFLINE);
      old.close(CLOSE_OFFLINE, "offline");
    } else if (status.value !== "signed-out" && status.value !== "no-access") {
      status.value = "offline";
    }
  }

  const stopWatch = watch(
    () => [...wanted().keys()].sort().join("|"),
    () => {
      armFallback();
      syncSubscriptions();
    },
  );
  window.addEventListener("online", reconnectNow);
  window.addEventListener("offline", onOffline);
  armFallback();
  connect();

  function dispose(): void {
    disposed = true;
    stopWatch();
    stopHeartbeat();
    clearFallback();
    window.removeEventListener("online", reconnectNow);
    window.removeEventListener("offline", onOffline);
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    const old = socket;
    socket = null;
    if (old) {
      old.onopen = old.onmessage = old.onclose = old.onerror = null;
      old.close(1000);
    }
  }
  onScopeDispose(dispose);

  return { status: readonly(status), lastError: readonly(lastError), dispose };
}

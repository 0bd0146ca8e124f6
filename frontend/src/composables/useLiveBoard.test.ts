import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope, nextTick, ref } from "vue";

import type { BoardEvent } from "@/api/board";
import { makeEvent, makeRow } from "@/components/board/fixtures";
import { backoffDelay, useLiveBoard, type Subscription, type SyncReason } from "@/composables/useLiveBoard";

/** A WebSocket double: the test opens, answers and drops it by hand. */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];

  readyState = FakeSocket.CONNECTING;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000): void {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code });
  }
  // Test side.
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006): void {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code });
  }
  static last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }
}

function start(
  subscriptions = ref<Subscription[]>([{ ward: "w1" }]),
  backoff = { baseMs: 1000, maxMs: 8000, random: () => 1 },
) {
  const events: BoardEvent[] = [];
  const syncs: SyncReason[] = [];
  const scope = effectScope();
  const live = scope.run(() =>
    useLiveBoard({
      subscriptions,
      onEvent: (e) => events.push(e),
      onSync: (reason) => syncs.push(reason),
      url: "ws://test/ws/",
      backoff,
      heartbeatMs: 10_000,
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
    }),
  )!;
  return { live, events, syncs, scope, subscriptions };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("backoffDelay", () => {
  it("doubles from the base, stays under the cap, and jitters within the upper half", () => {
    const max = { baseMs: 1000, maxMs: 30_000, random: () => 0.999999 };
    const min = { ...max, random: () => 0 };
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, max))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
    expect([0, 1, 2, 5, 10].map((n) => backoffDelay(n, min))).toEqual([500, 1000, 2000, 15000, 15000]);
  });
});

describe("useLiveBoard", () => {
  it("subscribes on open, reports live once confirmed, and forwards events", () => {
    const { live, events, syncs, scope } = start();
    const socket = FakeSocket.last();
    expect(live.status.value).toBe("connecting");
    socket.open();
    expect(socket.sent).toEqual([{ action: "subscribe", ward: "w1" }]);
    socket.receive({ type: "subscribed", ward: "w1" });
    expect(live.status.value).toBe("live");
    expect(syncs).toEqual(["subscribed"]);
    const event = makeEvent(makeRow({ admission_id: "a" }));
    socket.receive(event);
    socket.receive({ type: "pong" });
    expect(events).toEqual([event]);
    scope.stop();
  });

  it("reconnects with capped exponential back-off and resynchronises after the drop", () => {
    const { live, syncs, scope } = start();
    FakeSocket.last().open();
    FakeSocket.last().receive({ type: "subscribed", ward: "w1" });

    // Three failed attempts in a row: 1 s, 2 s, 4 s (random() = 1 → the full delay).
    FakeSocket.last().drop();
    expect(live.status.value).toBe("reconnecting");
    const delays: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const before = FakeSocket.all.length;
      let waited = 0;
      while (FakeSocket.all.length === before) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      delays.push(waited);
      if (i < 3) FakeSocket.last().drop();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    expect(live.status.value).toBe("reconnecting");

    // The fifth try holds: subscribe again, go live, and ask for a fresh board.
    const socket = FakeSocket.last();
    socket.open();
    expect(socket.sent).toEqual([{ action: "subscribe", ward: "w1" }]);
    socket.receive({ type: "subscribed", ward: "w1" });
    expect(live.status.value).toBe("live");
    expect(syncs).toEqual(["subscribed", "reconnected"]);

    // A held subscription resets the back-off: the next drop retries after 1 s again.
    socket.drop();
    vi.advanceTimersByTime(999);
    const count = FakeSocket.all.length;
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all.length).toBe(count + 1);
    scope.stop();
  });

  it("caps the delay", () => {
    const { scope } = start(undefined, { baseMs: 1000, maxMs: 3000, random: () => 1 });
    for (let i = 0; i < 5; i += 1) {
      FakeSocket.last().drop();
      const count = FakeSocket.all.length;
      vi.advanceTimersByTime(3000);
      expect(FakeSocket.all.length).toBe(count + 1);
    }
    scope.stop();
  });

  it("does not retry when the session has ended (4401)", () => {
    const { live, scope } = start();
    FakeSocket.last().open();
    FakeSocket.last().drop(4401);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(live.status.value).toBe("signed-out");
    scope.stop();
  });

  it("shows no-access when the server ends a subscription for lost access", () => {
    const { live, scope } = start();
    const socket = FakeSocket.last();
    socket.open();
    socket.receive({ type: "subscribed", ward: "w1" });
    expect(live.status.value).toBe("live");
    socket.receive({ type: "unsubscribed", ward: "w1", reason: "access" });
    expect(live.status.value).toBe("no-access");
    expect(live.lastError.value).toBe("access");
    scope.stop();
  });

  it("closes a silent connection after two heartbeats and reconnects", () => {
    const { live, scope } = start();
    const socket = FakeSocket.last();
    socket.open();
    socket.receive({ type: "subscribed", ward: "w1" });
    vi.advanceTimersByTime(10_000);
    expect(socket.sent.at(-1)).toEqual({ action: "ping" });
    vi.advanceTimersByTime(20_000);
    expect(live.status.value).toBe("reconnecting");
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(2);
    scope.stop();
  });

  it("drops a live socket when the browser goes offline and resynchronises once back online", () => {
    // A socket can stay open for minutes without a network (no close frame): "live" would
    // be a lie, and the events sent meanwhile are lost.
    const { live, syncs, scope } = start();
    const socket = FakeSocket.last();
    socket.open();
    socket.receive({ type: "subscribed", ward: "w1" });
    const onLine = vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    try {
      window.dispatchEvent(new Event("offline"));
      expect(live.status.value).toBe("offline");
      expect(socket.readyState).toBe(FakeSocket.CLOSED);

      onLine.mockReturnValue(true);
      window.dispatchEvent(new Event("online"));
      const next = FakeSocket.last();
      expect(next).not.toBe(socket);
      next.open();
      next.receive({ type: "subscribed", ward: "w1" });
      expect(live.status.value).toBe("live");
      expect(syncs).toEqual(["subscribed", "reconnected"]);
    } finally {
      onLine.mockRestore();
      scope.stop();
    }
  });

  it("moves the subscription when the ward changes, on the same socket", async () => {
    const { subscriptions, syncs, scope } = start();
    const socket = FakeSocket.last();
    socket.open();
    socket.receive({ type: "subscribed", ward: "w1" });
    subscriptions.value = [{ ward: "w2" }];
    await nextTick();
    expect(socket.sent.slice(1)).toEqual([
      { action: "unsubscribe", ward: "w1" },
      { action: "subscribe", ward: "w2" },
    ]);
    socket.receive({ type: "subscribed", ward: "w2" });
    expect(syncs).toEqual(["subscribed", "subscribed"]);
    expect(FakeSocket.all).toHaveLength(1);
    scope.stop();
  });

  it("asks for a load without live updates when the socket does not come up", () => {
    const { live, syncs, scope } = start();
    FakeSocket.last().drop();
    vi.advanceTimersByTime(1499);
    expect(syncs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(syncs).toEqual(["fallback"]);
    expect(live.status.value).toBe("reconnecting");
    // When it does come up, the board is read again under the subscription.
    const socket = FakeSocket.last();
    socket.open();
    socket.receive({ type: "subscribed", ward: "w1" });
    expect(syncs).toEqual(["fallback", "subscribed"]);
    scope.stop();
  });

  it("closes the socket and stops retrying when its scope ends", () => {
    const { scope } = start();
    const socket = FakeSocket.last();
    socket.open();
    scope.stop();
    expect(socket.readyState).toBe(FakeSocket.CLOSED);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });
});

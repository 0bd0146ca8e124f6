import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { effectScope, type EffectScope } from "vue";

import { ApiError } from "@/api/http";
import { useOfflineQueue, type OfflineQueue } from "@/composables/useOfflineQueue";

const KEY = "test.queue";

interface Body {
  session_id: string;
}

let online = true;
let scope: EffectScope;

function networkError(): ApiError {
  return new ApiError({
    type: "urn:careboard:problem:network",
    title: "Network error",
    status: 0,
    detail: "offline",
    errors: {},
  });
}

function problem(status: number, detail = "refused"): ApiError {
  return new ApiError({ type: `urn:careboard:problem:http-${status}`, title: "x", status, detail, errors: {} });
}

function makeQueue(
  send: (body: Body, key: string) => Promise<unknown>,
  extra: Partial<Parameters<typeof useOfflineQueue>[0]> = {},
) {
  let queue!: OfflineQueue<Body>;
  scope.run(() => {
    queue = useOfflineQueue<Body>({
      storageKey: KEY,
      scope: () => "cbp_abcdef",
      send,
      isOnline: () => online,
      retryDelays: [1000],
      ...extra,
    } as Parameters<typeof useOfflineQueue<Body>>[0]);
  });
  return queue;
}

function stored(): { key: string; body: Body }[] {
  return JSON.parse(localStorage.getItem(KEY) ?? "[]");
}

beforeEach(() => {
  localStorage.clear();
  online = true;
  scope = effectScope();
});

afterEach(() => {
  scope.stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("useOfflineQueue", () => {
  it("sends at once when online and keeps nothing", async () => {
    const send = vi.fn().mockResolvedValue({ id: "log-1" });
    const queue = makeQueue(send);
    const result = await queue.submit({ session_id: "s1" });
    expect(result.outcome).toBe("sent");
    expect(send).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledWith({ session_id: "s1" }, result.key);
    expect(stored()).toEqual([]);
    expect(queue.pending.value).toEqual([]);
  });

  it("queues while offline, in localStorage, without calling the server", async () => {
    online = false;
    const send = vi.fn().mockResolvedValue({});
    const queue = makeQueue(send);
    const result = await queue.submit({ session_id: "s1" });
    expect(result.outcome).toBe("queued");
    expect(send).not.toHaveBeenCalled();
    expect(stored()).toHaveLength(1);
    expect(stored()[0]).toMatchObject({ key: result.key, body: { session_id: "s1" }, scope: "cbp_abcdef" });
    expect(queue.pending.value).toHaveLength(1);
  });

  it("flushes once when the connection returns, in order, each with its own key", async () => {
    online = false;
    const send = vi.fn().mockResolvedValue({});
    const queue = makeQueue(send);
    const first = await queue.submit({ session_id: "s1" });
    const second = await queue.submit({ session_id: "s2" });

    online = true;
    window.dispatchEvent(new Event("online"));
    window.dispatchEvent(new Event("online"));
    await queue.flush();

    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls.map(([body, key]) => [body.session_id, key])).toEqual([
      ["s1", first.key],
      ["s2", second.key],
    ]);
    expect(first.key).not.toBe(second.key);
    expect(stored()).toEqual([]);
    expect(queue.pending.value).toEqual([]);
  });

  it("retries a failed send with the same Idempotency-Key", async () => {
    vi.useFakeTimers();
    const send = vi
      .fn()
      .mockRejectedValueOnce(networkError())
      .mockRejectedValueOnce(problem(503))
      .mockResolvedValue({});
    const queue = makeQueue(send);
    const result = await queue.submit({ session_id: "s1" });
    expect(result.outcome).toBe("queued");
    expect(stored()[0]).toMatchObject({ key: result.key, attempts: 1 });

    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(3);

    const keys = send.mock.calls.map(([, key]) => key);
    expect(keys).toEqual([result.key, result.key, result.key]);
    expect(stored()).toEqual([]);
  });

  it("keeps the entry and its key across a reload (a new queue on the same storage)", async () => {
    online = false;
    const first = makeQueue(vi.fn());
    const { key } = await first.submit({ session_id: "s1" });
    scope.stop();

    scope = effectScope();
    online = true;
    const send = vi.fn().mockResolvedValue({});
    const second = makeQueue(send);
    expect(second.pending.value.map((e) => e.key)).toEqual([key]);
    await second.flush();
    expect(send).toHaveBeenCalledWith({ session_id: "s1" }, key);
  });

  it("does not send the same entry twice when flushes overlap", async () => {
    online = false;
    let release!: () => void;
    const send = vi.fn().mockImplementation(() => new Promise<void>((resolve) => (release = resolve)));
    const queue = makeQueue(send);
    await queue.submit({ session_id: "s1" });

    online = true;
    const one = queue.flush();
    const two = queue.flush();
    window.dispatchEvent(new Event("online"));
    release();
    await Promise.all([one, two]);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("drops an entry the server refuses for good and reports it", async () => {
    const onRejected = vi.fn();
    const send = vi.fn().mockRejectedValue(problem(409, "Same key, other body."));
    const queue = makeQueue(send, { onRejected });
    const result = await queue.submit({ session_id: "s1" });
    expect(result.outcome).toBe("failed");
    expect(result.error?.status).toBe(409);
    expect(onRejected).toHaveBeenCalledTimes(1);
    expect(stored()).toEqual([]);
  });

  it("keeps entries and stops when the link is refused (401)", async () => {
    const onUnauthorized = vi.fn();
    const send = vi.fn().mockRejectedValue(problem(401, "This link has expired."));
    const queue = makeQueue(send, { onUnauthorized });
    await queue.submit({ session_id: "s1" });
    await queue.submit({ session_id: "s2" });
    expect(onUnauthorized).toHaveBeenCalled();
    expect(send).toHaveBeenCalledTimes(1);
    expect(stored()).toHaveLength(2);
  });

  it("sends only the entries of its own scope", async () => {
    localStorage.setItem(
      KEY,
      JSON.stringify([{ key: "other", scope: "cbp_zzzzzz", body: { session_id: "x" }, queuedAt: "", attempts: 0 }]),
    );
    const send = vi.fn().mockResolvedValue({});
    const queue = makeQueue(send);
    await queue.flush();
    expect(send).not.toHaveBeenCalled();
    expect(queue.pending.value).toEqual([]);
    expect(stored()).toHaveLength(1);
  });
});

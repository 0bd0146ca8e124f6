import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { PortalToday } from "@/api/portal";
import { QUEUE_KEY, takeToken, TOKEN_KEY, usePortalStore } from "@/stores/portal";

const TOKEN = "cbp_secretsecretsecret";

function today(): PortalToday {
  return {
    date: "2026-11-22",
    week: 2,
    language: "en",
    program: { name: "Knee", duration_weeks: 6, start_date: "2026-11-15", end_date: null, last_day: "2026-12-26" },
    sessions: [
      {
        id: "s1",
        name: "Morning",
        position: 1,
        times_per_day: 2,
        done: 0,
        items: [
          {
            id: "i1",
            position: 1,
            exercise: {
              id: "e1",
              name: "Squat",
              instructions: [],
              provider: "",
              video_url: "",
              embed_url: "",
              thumbnail_url: "",
            },
            dosage: {
              sets: 3,
              reps: 10,
              hold_seconds: null,
              duration_seconds: null,
              rest_seconds: null,
              load_kg: null,
              side: "both",
              tempo: "",
              notes: "",
            },
            progression: null,
            done: 0,
          },
        ],
      },
    ],
    logs: [],
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

let online = true;
let fetchMock: ReturnType<typeof vi.fn>;

beforeEach(() => {
  setActivePinia(createPinia());
  localStorage.clear();
  sessionStorage.clear();
  online = true;
  Object.defineProperty(navigator, "onLine", { configurable: true, get: () => online });
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
  window.history.replaceState(null, "", "/portal/");
});

afterEach(() => {
  // Each store's queue listens for "online": stop the ones of earlier tests.
  usePortalStore().$dispose();
  vi.unstubAllGlobals();
});

describe("takeToken", () => {
  it("moves the token from the fragment to sessionStorage and off the address bar", () => {
    window.history.replaceState(null, "", `/portal/#${TOKEN}`);
    expect(takeToken()).toBe(TOKEN);
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe(TOKEN);
    expect(window.location.hash).toBe("");
    expect(window.location.pathname).toBe("/portal/");
    // A reload finds it again.
    expect(takeToken()).toBe(TOKEN);
  });

  it("ignores a fragment that is not a portal token", () => {
    window.history.replaceState(null, "", "/portal/#main");
    expect(takeToken()).toBeNull();
    expect(window.location.hash).toBe("#main");
  });
});

describe("portal store", () => {
  it("reads today with the token as a bearer, never in the URL", async () => {
    window.history.replaceState(null, "", `/portal/#${TOKEN}`);
    fetchMock.mockResolvedValueOnce(json(200, today()));
    const store = usePortalStore();
    await store.load();
    expect(store.status).toBe("ready");
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/v1/portal/today/");
    expect(init.headers.Authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("shows the expired page on 401", async () => {
    sessionStorage.setItem(TOKEN_KEY, TOKEN);
    fetchMock.mockResolvedValueOnce(
      json(401, {
        type: "urn:careboard:problem:not-authenticated",
        title: "Unauthorized",
        status: 401,
        detail: "This link has expired.",
        errors: {},
      }),
    );
    const store = usePortalStore();
    await store.load();
    expect(store.status).toBe("expired");
    expect(store.detail).toBe("This link has expired.");
  });

  it("queues a log made offline, counts it as done, and sends it once with its key when back online", async () => {
    sessionStorage.setItem(TOKEN_KEY, TOKEN);
    fetchMock.mockResolvedValueOnce(json(200, today()));
    const store = usePortalStore();
    await store.load();

    online = false;
    expect(await store.logSession("s1", { pain: 3, difficulty: null, comment: " ok " })).toBe("queued");
    expect(store.sessionDone("s1")).toBe(1);
    const [entry] = JSON.parse(localStorage.getItem(QUEUE_KEY)!);
    expect(entry.body).toEqual({
      session_id: "s1",
      performed_on: "2026-11-22",
      completed: true,
      pain: 3,
      comment: "ok",
    });
    expect(entry.scope).toBe(TOKEN.slice(0, 10));
    expect(JSON.stringify(entry)).not.toContain(TOKEN);
    expect(fetchMock).toHaveBeenCalledTimes(1);

    online = true;
    fetchMock.mockResolvedValueOnce(json(201, { id: "log1" }));
    fetchMock.mockResolvedValue(json(200, { ...today(), sessions: [{ ...today().sessions[0]!, done: 1 }] }));
    window.dispatchEvent(new Event("online"));
    await store.flush();
    await vi.waitFor(() => expect(store.pending).toHaveLength(0));

    const posts = fetchMock.mock.calls.filter(([, init]) => init.method === "POST");
    expect(posts).toHaveLength(1);
    const [url, init] = posts[0]!;
    expect(url).toBe("/api/v1/portal/logs/");
    expect(init.headers["Idempotency-Key"]).toBe(entry.key);
    expect(init.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(init.body)).toEqual(entry.body);
    expect(store.sessionDone("s1")).toBe(1);
  });
});

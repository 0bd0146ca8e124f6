import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Program } from "@/api/programs";
import { mapErrorPaths, toWriteRequest, useProgramStore, type SentShape } from "@/stores/program";

function exerciseSummary(id: string, name: string) {
  return {
    id,
    name,
    display: { language: null, name, instructions: [] },
    video_provider: "youtube",
    embed_url: `https://www.youtube-nocookie.com/embed/${id}`,
    thumbnail_url: "",
    archived: false,
  };
}

function item(id: string, exercise: string, reps: number) {
  return {
    id,
    position: 1,
    exercise,
    exercise_summary: exerciseSummary(exercise, `Exercise ${exercise}`),
    sets: 3,
    reps,
    hold_seconds: null,
    duration_seconds: null,
    rest_seconds: 60,
    load_kg: null,
    side: "both" as const,
    tempo: "",
    notes: "",
    progression_field: "" as never,
    progression_step: null,
    progression_cap: null,
  };
}

function program(version: number, overrides: Partial<Program> = {}): Program {
  return {
    id: "p1",
    organization: "o1",
    name: "Knee",
    description: "",
    status: "draft",
    duration_weeks: 4,
    is_template: false,
    version,
    created_by: null,
    created_at: "2026-11-01T00:00:00Z",
    updated_at: "2026-11-01T00:00:00Z",
    sessions: [
      {
        id: "s1",
        position: 1,
        name: "Morning",
        times_per_day: 1,
        days_of_week: [0, 2],
        items: [item("i1", "e1", 10), item("i2", "e2", 12)],
      },
      { id: "s2", position: 2, name: "Evening", times_per_day: 1, days_of_week: [], items: [item("i3", "e3", 8)] },
    ],
    ...overrides,
  };
}

function respond(status: number, body: unknown, etag?: string): Response {
  const headers: Record<string, string> = {
    "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
  };
  if (etag) headers.ETag = etag;
  return new Response(JSON.stringify(body), { status, headers });
}

function problem(status: number, type: string, errors: Record<string, string[]> = {}, detail = "x") {
  return { type: `urn:careboard:problem:${type}`, title: "x", status, detail, errors };
}

let fetchMock: ReturnType<typeof vi.fn>;

beforeEach(() => {
  setActivePinia(createPinia());
  document.head.innerHTML = '<meta name="csrf-token" content="csrf">';
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function sentHeaders(call: number): Record<string, string> {
  return fetchMock.mock.calls[call]![1].headers as Record<string, string>;
}

describe("program store: save", () => {
  it("keeps the ETag it read and sends it as If-Match with the whole program", async () => {
    fetchMock.mockResolvedValueOnce(respond(200, program(7), '"7"'));
    const store = useProgramStore();
    await store.load("p1");
    expect(store.etag).toBe('"7"');
    expect(store.dirty).toBe(false);

    store.draft!.sessions[0]!.items[0]!.reps = 11;
    expect(store.dirty).toBe(true);
    const saved = program(8);
    (saved.sessions[0]!.items[0] as { reps: number | null }).reps = 11;
    fetchMock.mockResolvedValueOnce(respond(200, saved, '"8"'));

    expect(await store.save()).toBe("saved");
    const [url, init] = fetchMock.mock.calls[1]!;
    expect(url).toBe("/api/v1/programs/p1/");
    expect(init.method).toBe("PUT");
    expect(sentHeaders(1)["If-Match"]).toBe('"7"');
    const body = JSON.parse(init.body as string);
    expect(body.sessions[0].items[0]).toMatchObject({ id: "i1", exercise: "e1", reps: 11 });
    expect(body.sessions[1].id).toBe("s2");
    // The next save carries the version this one answered with.
    expect(store.etag).toBe('"8"');
    expect(store.dirty).toBe(false);
  });

  it("on 412 keeps the user's edits, flags the conflict, and a reload reads the current version", async () => {
    fetchMock.mockResolvedValueOnce(respond(200, program(3), '"3"'));
    const store = useProgramStore();
    await store.load("p1");
    store.draft!.name = "Knee, my edit";
    fetchMock.mockResolvedValueOnce(respond(412, problem(412, "precondition-failed")));

    expect(await store.save()).toBe("conflict");
    expect(store.conflict).toBe(true);
    expect(store.draft!.name).toBe("Knee, my edit");
    expect(store.etag).toBe('"3"');

    fetchMock.mockResolvedValueOnce(respond(200, program(4, { name: "Knee, their edit" }), '"4"'));
    await store.reload();
    expect(fetchMock.mock.calls[2]![0]).toBe("/api/v1/programs/p1/");
    expect(store.conflict).toBe(false);
    expect(store.draft!.name).toBe("Knee, their edit");
    expect(store.etag).toBe('"4"');

    fetchMock.mockResolvedValueOnce(respond(200, program(5), '"5"'));
    store.draft!.name = "Again";
    expect(await store.save()).toBe("saved");
    expect(sentHeaders(3)["If-Match"]).toBe('"4"');
  });

  it("creates a new program with POST and no If-Match, then gives new rows their ids in place", async () => {
    const store = useProgramStore();
    store.startNew("Daily");
    store.draft!.name = "New";
    const sessionKey = store.draft!.sessions[0]!.key;
    store.addItem(sessionKey, {
      id: "e9",
      name: "Bridge",
      display: { language: null, name: "Bridge", instructions: [] },
      video_provider: "",
      embed_url: "",
      archived: false,
      default_sets: 2,
      default_reps: 10,
    } as never);
    const itemKey = store.draft!.sessions[0]!.items[0]!.key;
    const created = program(1, {
      id: "p9",
      name: "New",
      sessions: [
        {
          id: "s9",
          position: 1,
          name: "Daily",
          times_per_day: 1,
          days_of_week: [],
          items: [{ ...item("i9", "e9", 10), sets: 2, rest_seconds: null }],
        },
      ],
    });
    fetchMock.mockResolvedValueOnce(respond(201, created, '"1"'));

    expect(await store.save()).toBe("saved");
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/v1/programs/");
    expect(init.method).toBe("POST");
    expect(sentHeaders(0)["If-Match"]).toBeUndefined();
    expect(JSON.parse(init.body as string).sessions[0].items[0]).toMatchObject({ exercise: "e9", sets: 2, reps: 10 });
    expect(store.draft!.id).toBe("p9");
    expect(store.draft!.sessions[0]!.key).toBe(sessionKey);
    expect(store.draft!.sessions[0]!.items[0]).toMatchObject({ key: itemKey, id: "i9" });
    expect(store.etag).toBe('"1"');
  });

  it("puts 400 errors on the rows that were sent at those paths, even after they move", async () => {
    fetchMock.mockResolvedValueOnce(respond(200, program(2), '"2"'));
    const store = useProgramStore();
    await store.load("p1");
    const [second] = store.draft!.sessions[1]!.items;
    store.draft!.sessions[1]!.items[0]!.reps = 0;
    fetchMock.mockResolvedValueOnce(
      respond(
        400,
        problem(400, "validation-error", {
          name: ["This field may not be blank."],
          "sessions[1].items[0].reps": ["Ensure this value is greater than or equal to 1."],
          "sessions[0].days_of_week[1]": ["Ensure this value is less than or equal to 6."],
        }),
      ),
    );
    expect(await store.save()).toBe("invalid");
    const itemKey = second!.key;
    expect(store.fieldErrors(`item:${itemKey}.reps`)).toEqual(["Ensure this value is greater than or equal to 1."]);
    expect(store.fieldErrors("program.name")).toEqual(["This field may not be blank."]);
    expect(store.fieldErrors(`session:${store.draft!.sessions[0]!.key}.days_of_week`)).toHaveLength(1);
    expect(store.errorCount).toBe(3);

    // Moving the row does not move its error to another one.
    store.moveItem(itemKey, -1);
    expect(store.draft!.sessions[0]!.items.at(-1)!.key).toBe(itemKey);
    expect(store.fieldErrors(`item:${itemKey}.reps`)).toHaveLength(1);

    store.clearError(`item:${itemKey}.reps`);
    expect(store.fieldErrors(`item:${itemKey}.reps`)).toEqual([]);
  });
});

describe("mapErrorPaths", () => {
  const sent: SentShape = {
    sessions: [
      { key: "sa", items: ["ia", "ib"] },
      { key: "sb", items: ["ic", "id", "ie", "if"] },
    ],
  };

  it.each([
    ["sessions[1].items[3].reps", "item:if.reps"],
    ["sessions[0].items[0].progression_step", "item:ia.progression_step"],
    ["sessions[1].items[2]", "item:ie"],
    ["sessions[1].items[2].non_field_errors", "item:ie"],
    ["sessions[0].name", "session:sa.name"],
    ["sessions[0].days_of_week[3]", "session:sa.days_of_week"],
    ["sessions[1]", "session:sb"],
    ["sessions[1].items", "session:sb.items"],
    ["sessions[0].items[7].reps", "session:sa.items"],
    ["name", "program.name"],
    ["duration_weeks", "program.duration_weeks"],
    ["sessions", "program.sessions"],
  ])("%s → %s", (path, key) => {
    expect(mapErrorPaths({ [path]: ["message"] }, sent).fields).toEqual({ [key]: ["message"] });
  });

  it("lists errors about the whole request, and paths past the sent sessions, as general", () => {
    const mapped = mapErrorPaths({ non_field_errors: ["Whole request."], "sessions[5].name": ["Gone."] }, sent);
    expect(mapped.fields).toEqual({});
    expect(mapped.general).toEqual(["Whole request.", "Gone."]);
  });
});

describe("toWriteRequest", () => {
  it("sends empty inputs as null, trims text, and leaves progression numbers out without a field", () => {
    const store = useProgramStore();
    store.startNew(" Daily ");
    const draft = store.draft!;
    draft.name = "  Back  ";
    store.addItem(draft.sessions[0]!.key, {
      id: "e1",
      name: "Cat",
      display: null,
      video_provider: "",
      embed_url: "",
    } as never);
    const row = draft.sessions[0]!.items[0]!;
    (row as unknown as Record<string, unknown>).reps = "";
    row.progression_step = 1;
    draft.sessions[0]!.days_of_week = [4, 0];
    const body = toWriteRequest(draft);
    expect(body.name).toBe("Back");
    expect(body.sessions![0]!.name).toBe("Daily");
    expect(body.sessions![0]!.days_of_week).toEqual([0, 4]);
    expect(body.sessions![0]!.items![0]).toMatchObject({
      exercise: "e1",
      reps: null,
      progression_field: "",
      progression_step: null,
    });
    expect(body.sessions![0]!.items![0]).not.toHaveProperty("id");
  });
});

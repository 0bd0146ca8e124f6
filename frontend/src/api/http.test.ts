import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, request } from "@/api/http";

afterEach(() => vi.restoreAllMocks());

describe("request", () => {
  it("turns a problem document into an ApiError with per-field messages", async () => {
    const problem = {
      type: "urn:careboard:problem:validation-error",
      title: "Bad Request",
      status: 400,
      detail: "The request has invalid fields; see errors.",
      errors: { spo2: ["Ensure this value is less than or equal to 100."] },
    };
    vi.spyOn(globalThis, "fetch").mockResolvedValue(
      new Response(JSON.stringify(problem), { status: 400, headers: { "Content-Type": "application/problem+json" } }),
    );
    const error = await request("/api/v1/x/", { method: "POST", body: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.field("spo2")).toEqual(["Ensure this value is less than or equal to 100."]);
    expect(error.field("temperature")).toEqual([]);
  });

  it("sends the CSRF token from the page on writes and a bearer token when given", async () => {
    document.head.innerHTML = '<meta name="csrf-token" content="abc123">';
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("{}", { status: 200 }));
    await request("/api/v1/x/", { method: "POST", body: { a: 1 } });
    await request("/api/v1/portal/today/", { token: "cbp_secret" });
    const [, first] = fetchSpy.mock.calls[0]!;
    const [, second] = fetchSpy.mock.calls[1]!;
    expect((first!.headers as Record<string, string>)["X-CSRFToken"]).toBe("abc123");
    expect((second!.headers as Record<string, string>).Authorization).toBe("Bearer cbp_secret");
  });

  it("reports an unreachable server as a network problem", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Failed to fetch"));
    const error = await request("/api/v1/x/").catch((e) => e);
    expect(error.status).toBe(0);
    expect(error.problem.type).toBe("urn:careboard:problem:network");
  });
});

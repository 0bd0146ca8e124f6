import { describe, expect, it } from "vitest";

import { ApiError, type Problem } from "@/api/http";
import { formErrors, problemMessage } from "@/components/settings/problems";

function problem(errors: Record<string, string[]>, detail = "The request has invalid fields; see errors."): ApiError {
  const body: Problem = {
    type: "urn:careboard:problem:validation-error",
    title: "Bad Request",
    status: 400,
    detail,
    errors,
  };
  return new ApiError(body);
}

describe("formErrors", () => {
  it("keeps the messages of the fields the form shows in place", () => {
    expect(formErrors(problem({ name: ["A ward with this name exists."] }), ["name", "code"])).toEqual({
      fields: { name: ["A ward with this name exists."] },
      other: "",
    });
  });

  it("gathers non-field errors and unknown fields into one message, so none is lost", () => {
    const error = problem({
      non_field_errors: ["The fields organization, name must make a unique set."],
      organization: ["A ward cannot move to another organisation."],
    });
    expect(formErrors(error, ["name"])).toEqual({
      fields: {},
      other: "The fields organization, name must make a unique set. A ward cannot move to another organisation.",
    });
  });

  it("falls back to the problem's detail (a conflict has no field errors)", () => {
    const conflict = new ApiError({
      type: "urn:careboard:problem:conflict",
      title: "Conflict",
      status: 409,
      detail: "nurse@example.org is already a member of Demo Hospital.",
      errors: {},
    });
    expect(formErrors(conflict, ["email"]).other).toBe("nurse@example.org is already a member of Demo Hospital.");
    expect(problemMessage(conflict)).toBe("nurse@example.org is already a member of Demo Hospital.");
  });

  it("passes other errors through by message", () => {
    expect(formErrors(new TypeError("Failed to fetch"), ["name"])).toEqual({ fields: {}, other: "Failed to fetch" });
  });
});

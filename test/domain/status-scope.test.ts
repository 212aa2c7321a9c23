import { describe, expect, it } from "vitest";
import { DrError } from "../../src/domain/errors.js";
import { parseStatusScope } from "../../src/domain/status-scope.js";
import { testConfig } from "../support/config-fixture.js";

const config = testConfig();

function refusal(args: string[]): DrError {
  try {
    parseStatusScope(config, args);
  } catch (error) {
    if (error instanceof DrError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("the scope /dr status details", () => {
  it("is nothing when no name is given: every tier's line", () => {
    expect(parseStatusScope(config, [])).toBeUndefined();
  });

  it("is an application with its tier, or a tier with its applications", () => {
    expect(parseStatusScope(config, ["payments"])).toEqual({
      kind: "application",
      name: "payments",
      tier: "tier1",
      applications: ["payments"],
    });
    expect(parseStatusScope(config, ["tier1"])).toEqual({
      kind: "tier",
      name: "tier1",
      applications: ["payments", "core-api"],
    });
  });

  it("reads a name typed in capitals as the configured one", () => {
    expect(parseStatusScope(config, ["Payments"])?.name).toBe("payments");
  });

  it("refuses an unknown name, listing the tiers and applications there are", () => {
    const error = refusal(["paymnts"]);
    expect(error.code).toBe("unknown_scope");
    expect(error.message).toBe(
      '"paymnts" is neither a tier nor an application. Tiers: tier1, tier3. Applications: payments, core-api, analytics',
    );
  });

  it("refuses a word that cannot be a name, and more than one name", () => {
    expect(refusal(["$(reboot)"]).code).toBe("invalid_input");
    expect(refusal(["payments", "tier1"]).message).toBe(
      "status details one tier or application at a time: `/dr status payments`",
    );
  });
});

import { describe, expect, it } from "vitest";
import { requestTargets } from "../../commands/scope-words.js";
import { DrError } from "../../src/domain/errors.js";

const slack = (kind: string) => (scope: string) => `/dr ${kind} ${scope} --reason "…"`;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DrError);
    expect((error as DrError).code).toBe("invalid_input");
    return (error as DrError).message;
  }
  throw new Error("not refused");
}

describe("requestTargets", () => {
  it("asks which applications or tier a failover, failback or drill is for, naming how to write it", () => {
    expect(refusal(() => requestTargets("failover", [], "payments", slack("failover")))).toBe(
      'which applications or tier? /dr failover payments --reason "…" (or /dr failover all --reason "…" for every application)',
    );
    expect(refusal(() => requestTargets("drill", [], "payments", (s) => `/dr drill ${s}`))).toBe(
      "which applications or tier? /dr drill payments (or /dr drill all for every application)",
    );
    expect(() => requestTargets("failback", [], "payments", slack("failback"))).toThrow(/which applications/);
  });

  it("reads an explicit all as every application, and only alone", () => {
    expect(requestTargets("drill", ["all"], "payments", slack("drill"))).toEqual([]);
    expect(requestTargets("failover", ["ALL"], "payments", slack("failover"))).toEqual([]);
    expect(refusal(() => requestTargets("drill", ["all", "payments"], "payments", slack("drill")))).toBe(
      '`all` already names every application: give it alone (/dr drill all --reason "…"), or name the tiers and applications without it',
    );
  });

  it("passes named targets as typed, for the use cases to check against the configuration", () => {
    expect(requestTargets("failover", ["tier1", "reporting"], "payments", slack("failover"))).toEqual([
      "tier1",
      "reporting",
    ]);
  });

  it("leaves a verification run's scope optional: it reads backups, it moves nothing", () => {
    expect(requestTargets("verify", [], "payments", (s) => `drbot run verify ${s}`)).toEqual([]);
  });
});

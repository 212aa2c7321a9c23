import { describe, expect, it } from "vitest";
import { confirmRunText } from "../../src/cli/confirm-run-text.js";
import { keptRound } from "../../src/domain/readiness/kept-round.js";
import { plannedRun } from "../support/planned-run.js";
import { readinessRound } from "../support/readiness-fixture.js";

const now = Date.parse("2025-01-10T03:00:00Z");
const plan = plannedRun([
  { id: "stop", title: "Stop writes on dc1", kind: "shell", with: { command: "true", args: [] } },
  { id: "promote", title: "Promote the dc2 database", kind: "shell", with: { command: "true", args: [] } },
]).plan;

describe("the confirmation shown on the terminal before a real failover", () => {
  it("shows the plan summary, the data at risk and the readiness verdict with its open findings", () => {
    const text = confirmRunText({
      kind: "failover",
      reason: "DC1 down",
      plan,
      exposure: undefined,
      readiness: keptRound(readinessRound(now - 4 * 60_000), now, 5 * 60_000),
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      "Real failover of payments (dc1 → dc2). This changes production: traffic moves once it is approved.",
    );
    expect(lines).toContain("Reason: DC1 down");
    expect(lines).toContain(`Plan ${plan.hash.slice(0, 12)}, 2 steps (drbot plan shows them in full):`);
    expect(lines).toContain("  1. Stop writes on dc1");
    expect(lines).toContain("  2. Promote the dc2 database");
    expect(lines).toContain("Data at risk: no data sources protect this scope");
    expect(lines).toContain("Readiness: not ready (round 4m ago)");
    expect(lines).toContain(
      "  not ready: payments: drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
    );
  });

  it("says plainly when the data at risk and the readiness are not known", () => {
    const text = confirmRunText({
      kind: "failback",
      reason: "back home\u001b[2J",
      plan,
      exposure: { unreadable: "no answer within 10 s" },
      readiness: undefined,
    });
    expect(text).toContain("Data at risk: NOT KNOWN, could not be read (no answer within 10 s)");
    expect(text).toContain("Readiness: not assessed by this drbot: the DR site's readiness is not known");
    expect(text).not.toContain("\u001b");
  });
});

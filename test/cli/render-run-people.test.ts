import { describe, expect, it } from "vitest";
import { runText } from "../../src/cli/render-text.js";
import { initialStepRecords } from "../../src/domain/run.js";
import { plannedRun } from "../support/planned-run.js";

/** `drbot show` names people as the directory knows them, the ID beside the name, and writes times with their zone. */
describe("drbot show names people", () => {
  const at = Date.parse("2026-12-04T03:00:00Z");
  const run = plannedRun([{ id: "wait", title: "Wait", kind: "wait", with: { duration: "1s" } }], {
    requestedBy: "U0ONCALL",
    createdAt: at,
    rto: { requestedAt: at },
    state: "rejected",
    stateReason: "rejected by U0A1: not now",
    approvals: [{ userId: "U0A2", at: at + 60_000, planHash: "h" }],
    decisions: [{ userId: "U0A1", at: at + 120_000, decision: "rejected", note: "not now" }],
  });
  const steps = new Map(initialStepRecords(run.plan).map((s) => [s.id, s]));

  it("names the requester, approvers and deciders by name with their IDs, times in UTC with their zone", () => {
    const names = new Map([
      ["U0ONCALL", "Dana Oncall"],
      ["U0A1", "Alex Approver"],
      ["U0A2", "Sam Second"],
    ]);
    const lines = runText(run, steps, at + 180_000, [], names).split("\n");
    expect(lines).toContain("  state:     rejected (rejected by Alex Approver (U0A1): not now)");
    expect(lines.find((l) => l.startsWith("  requested:"))).toBe(
      "  requested: by Dana Oncall (U0ONCALL) at 2026-12-04 03:00:00Z: DC1 down",
    );
    expect(lines).toContain("  approvals: 1/2");
    expect(lines).toContain("    Sam Second (U0A2) at 2026-12-04 03:01:00Z");
    expect(lines).toContain("  rejected   by Alex Approver (U0A1) at 2026-12-04 03:02:00Z: not now");
  });

  it("shows IDs alone when the directory cannot name anyone (Slack down, no token)", () => {
    const text = runText(run, steps, at + 180_000);
    expect(text).toContain("requested: by U0ONCALL at 2026-12-04 03:00:00Z");
    expect(text).toContain("(rejected by U0A1: not now)");
  });
});

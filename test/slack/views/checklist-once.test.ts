import { describe, expect, it } from "vitest";
import type { RunRecord, StepRecord } from "../../../src/domain/run.js";
import { progressMessage } from "../../../src/slack/views/progress-message.js";
import { plannedRun } from "../../support/planned-run.js";

const long = `Confirm with the database team that ${"every replica of the ledger ".repeat(3)}is stopped`;
const planned = plannedRun([
  {
    id: "pre-test",
    title: "Pre-test checklist",
    kind: "checklist",
    with: { items: ["Stakeholders notified", "DR cluster ready", long] },
  },
]);
const now = Date.parse("2026-12-04T03:00:00Z");

describe("a checklist in the run's progress message", () => {
  it("shows each item once: a ticked one as a line naming who ticked it, an open one as its button", () => {
    const run: RunRecord = { ...planned, state: "waiting_manual" };
    const step = run.plan.steps[0]!;
    const record: StepRecord = {
      id: step.id,
      status: "waiting",
      attempts: 1,
      startedAt: now - 60_000,
      attestations: [{ item: "Stakeholders notified", userId: "U0ONCALL1", at: now - 30_000 }],
    };
    const blocks = JSON.stringify(progressMessage(run, new Map([[step.id, record]]), now).blocks);
    const count = (text: string) => blocks.split(text).length - 1;
    expect(count("Stakeholders notified")).toBe(1);
    expect(blocks).toContain("✅ Stakeholders notified: <@U0ONCALL1>");
    expect(count("DR cluster ready")).toBe(1);
    expect(blocks).toContain('"text":"☐ DR cluster ready"');
    expect(blocks).toContain("2 open");
    // Too long for a button's text: written out in full above the (clipped) button.
    expect(blocks).toContain(`⬜ ${long}`);
  });
});

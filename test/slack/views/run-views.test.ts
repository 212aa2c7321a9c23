import { describe, expect, it } from "vitest";
import { dataLossKey } from "../../../src/domain/data-loss.js";
import { initialStepRecords, type RunRecord, type StepRecord } from "../../../src/domain/run.js";
import { approvalCard } from "../../../src/slack/views/approval-card.js";
import { type Block, escapeMrkdwn, LIMITS } from "../../../src/slack/views/block-kit.js";
import { progressMessage } from "../../../src/slack/views/progress-message.js";
import { plannedRun } from "../../support/planned-run.js";

function runOf(stepCount: number, reason = "DC1 down"): RunRecord {
  const steps = Array.from({ length: stepCount }, (_, i) => ({
    id: `step-${i}`,
    title: `A fairly long step title number ${i} that goes on`,
    kind: "wait",
    with: { duration: "1s" },
  }));
  return plannedRun(steps, {
    id: "failover-1125-0300-abcdef",
    reason,
    expiresAt: Date.now() + 60_000,
    createdAt: 0,
    updatedAt: 0,
    rto: { requestedAt: Date.now() },
  });
}

/** The limits Slack enforces with invalid_blocks; the emulator enforces the same in end-to-end tests. */
function assertWithinLimits(blocks: Block[]): void {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const block of blocks) {
    if (block.type === "section") {
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.fields);
      for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(LIMITS.field);
    }
    if (block.type === "header") expect(block.text.text.length).toBeLessThanOrEqual(LIMITS.header);
    if (block.type === "actions") expect(block.elements.length).toBeLessThanOrEqual(LIMITS.actionsElements);
  }
}

describe("run views", () => {
  it("renders a 200-step plan and its progress within Slack's limits", () => {
    const run = runOf(200);
    assertWithinLimits(approvalCard(run, Date.now()).blocks);
    const steps = new Map<string, StepRecord>(
      initialStepRecords(run.plan).map((s, i) => [
        s.id,
        i < 120
          ? { ...s, status: "succeeded", attempts: 1, startedAt: 0, endedAt: 1500 }
          : i < 125
            ? { ...s, status: "failed", attempts: 2, error: "x".repeat(500) }
            : s,
      ]),
    );
    const progress = progressMessage(
      { ...run, state: "paused_failed_step", stateReason: "step-120 failed" },
      steps,
      Date.now(),
    );
    assertWithinLimits(progress.blocks);
    const text = JSON.stringify(progress.blocks);
    expect(text).toContain("(200 steps)");
    expect(text).toContain("dr:resume");
  });

  it("shows the plan, the approvals needed and buttons bound to the plan hash", () => {
    const run = runOf(3);
    const card = approvalCard(run, Date.now());
    const text = JSON.stringify(card.blocks);
    expect(text).toContain(run.plan.hash);
    expect(text).toContain("0/2");
    expect(text).toContain(`"value":"${run.id}|${run.plan.hash}"`);
    expect(text).toContain('"action_id":"dr:reject"');
  });

  it("says plainly when a failover loses more data than the RPO and asks for explicit acceptance", () => {
    const run: RunRecord = {
      ...runOf(3),
      rpoRisk: {
        exposureMs: 5_400_000,
        targetMs: 900_000,
        tier: "tier1",
        source: "velero-daily",
        unknown: [],
      },
      approvals: [{ userId: "U0A1", at: 1, planHash: "x", acceptedDataLoss: true }],
    };
    const text = JSON.stringify(approvalCard(run, Date.now()).blocks);
    expect(text).toContain("This failover loses data.");
    expect(text).toContain(
      "1h 30m of data (newest recovery point of velero-daily), beyond the tier1 RPO of 15m",
    );
    expect(text).toContain("Approve, accepting data loss");
    // The button names the reading it accepts: a later, different reading is not what was clicked.
    expect(text).toContain(`"value":"${run.id}|${run.plan.hash}|accept-${dataLossKey(run.rpoRisk!)}"`);
    expect(text).toContain("(accepted the data loss)");
    expect(text).not.toContain(`"value":"${run.id}|${run.plan.hash}"`);
  });

  it("lists recent backups with their times and marks the one the plan restores", () => {
    const now = Date.parse("2026-11-25T03:00:00Z");
    const hour = 3_600_000;
    const run: RunRecord = {
      ...runOf(3),
      restorePoints: [
        {
          source: "velero-daily",
          schedule: "daily-backup",
          backups: [
            {
              name: "daily-backup-20261125020000",
              dataAt: now - hour,
              phase: "PartiallyFailed",
              good: false,
            },
            { name: "daily-backup-20261124020000", dataAt: now - 25 * hour, phase: "Completed", good: true },
            { name: "daily-backup-20261123020000", dataAt: now - 49 * hour, phase: "Completed", good: true },
          ],
        },
      ],
    };
    const text = JSON.stringify(approvalCard(run, now).blocks);
    expect(text).toContain("Restore points");
    expect(text).toContain("daily-backup-20261125020000");
    expect(text).toContain("(1h ago) PartiallyFailed, not usable");
    expect(text).toMatch(
      /➡️ `daily-backup-20261124020000`[^\n]*\(1d 1h ago\) Completed \*← will be restored\*/,
    );
    const pinned = { ...run, plan: { ...run.plan, pins: { backup: "daily-backup-20261123020000" } } };
    expect(JSON.stringify(approvalCard(pinned, now).blocks)).toMatch(
      /➡️ `daily-backup-20261123020000`[^\n]*\*← pinned\*/,
    );
  });

  it("drops the buttons once the request is decided", () => {
    const run = { ...runOf(3), state: "rejected" as const, stateReason: "rejected by U0A1" };
    expect(JSON.stringify(approvalCard(run, Date.now()).blocks)).not.toContain("dr:approve");
  });

  it("escapes what people type so it cannot mention or format", () => {
    const evil = "<!channel> @here *bold* <https://evil|click> `code`";
    const escaped = escapeMrkdwn(evil);
    expect(escaped).not.toContain("<!channel>");
    expect(escaped).not.toContain("<https://");
    expect(escaped).not.toMatch(/@here\b/);
    expect(escaped).not.toContain("*bold*");
    const card = JSON.stringify(approvalCard(runOf(1, evil), Date.now()).blocks);
    expect(card).not.toContain("<!channel>");
  });
});

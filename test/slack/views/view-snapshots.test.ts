import { describe, expect, it } from "vitest";
import { statusText as cliStatusText } from "../../../src/cli/render-text.js";
import { tierRpo } from "../../../src/domain/rpo.js";
import { initialStepRecords, type RunRecord, type StepRecord } from "../../../src/domain/run.js";
import { approvalCard } from "../../../src/slack/views/approval-card.js";
import { progressMessage } from "../../../src/slack/views/progress-message.js";
import { summaryBlocks } from "../../../src/slack/views/run-summary.js";
import { statusText } from "../../../src/slack/views/status-view.js";
import { stepReply } from "../../../src/slack/views/step-reply.js";
import { testConfig } from "../../support/config-fixture.js";
import { plannedRun } from "../../support/planned-run.js";
import { reportWithUnknowns } from "../../support/status-fixture.js";

/**
 * What people see, byte for byte: the approval card, the progress message, the summary, a step's
 * thread reply and the status answers (Block Kit JSON with the text fallback Slack shows in
 * notifications), rendered at a fixed time from fixed records. A change to any of them shows up as
 * a diff of the files under snapshots/ to review (`npx vitest run -u` accepts it).
 */
const minute = 60_000;
const requestedAt = Date.parse("2025-01-10T03:00:00Z");
const now = requestedAt + 10 * minute;
const approvals = [
  { userId: "U0A1", at: requestedAt + 4 * minute + 5_000, planHash: "h" },
  { userId: "U0A2", at: requestedAt + 6 * minute + 7_000, planHash: "h" },
];

const STEPS = [
  {
    id: "fence",
    title: "Fence the primary",
    kind: "checklist",
    with: { items: ["DC1 load balancer drained", "Incident commander informed"] },
  },
  {
    id: "scale-up",
    title: "Scale up payments-api",
    kind: "k8s.scale",
    with: { site: "dc2", namespace: "production", name: "payments-api", replicas: 3 },
  },
  { id: "health", title: "Payments answers", kind: "http", with: { url: "http://127.0.0.1:9/healthz" } },
];

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return plannedRun(STEPS, {
    id: "failover-0110-0300-abcdef",
    requestedBy: "U0ONCALL",
    reason: "DC1 unreachable since 02:50",
    createdAt: requestedAt,
    updatedAt: requestedAt,
    expiresAt: requestedAt + 30 * minute,
    rto: { requestedAt, detectedAt: requestedAt - 5 * minute },
    ...overrides,
  });
}

function steps(r: RunRecord, status: Record<string, Partial<StepRecord>>): Map<string, StepRecord> {
  return new Map(initialStepRecords(r.plan).map((s) => [s.id, { ...s, ...status[s.id] }]));
}

const done = (startMin: number, endMin: number): Partial<StepRecord> => ({
  status: "succeeded",
  attempts: 1,
  startedAt: requestedAt + startMin * minute,
  endedAt: requestedAt + endMin * minute,
});

const asFile = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe("what people see in Slack and in the terminal", () => {
  it("the approval card of a pending failover, with the data at risk, restore points and a pinned backup", async () => {
    const config = testConfig();
    const [tier1] = tierRpo(
      config,
      [{ source: "pg", kind: "postgres", exposureMs: 4_000, at: now, detail: "replay lag 4s" }],
      now,
    );
    const card = run({
      approvals: [approvals[0]!],
      restorePoints: [
        {
          source: "velero",
          schedule: "daily",
          backups: [
            {
              name: "daily-20250110020000",
              dataAt: now - 70 * minute,
              phase: "PartiallyFailed",
              good: false,
            },
            { name: "daily-20250109020000", dataAt: now - 1510 * minute, phase: "Completed", good: true },
          ],
        },
      ],
    });
    await expect(asFile(approvalCard(card, now, tier1))).toMatchFileSnapshot(
      "snapshots/approval-card-pending.json",
    );
  });

  it("the approval card of a failover that loses data, and the same card once approved", async () => {
    const risky = run({
      rpoRisk: {
        exposureMs: 90 * minute,
        targetMs: 15 * minute,
        tier: "tier1",
        source: "velero",
        unknown: [],
      },
    });
    await expect(asFile(approvalCard(risky, now))).toMatchFileSnapshot(
      "snapshots/approval-card-data-loss.json",
    );
    const approved = run({ state: "running", approvals });
    await expect(asFile(approvalCard(approved, now))).toMatchFileSnapshot(
      "snapshots/approval-card-approved.json",
    );
  });

  it("the progress message of a run waiting on its checklist", async () => {
    const r = run({ state: "waiting_manual", approvals, rto: { requestedAt, approvedAt: now - 4 * minute } });
    const s = steps(r, {
      fence: {
        status: "waiting",
        attempts: 1,
        startedAt: now - 3 * minute,
        attestations: [{ item: "DC1 load balancer drained", userId: "U0A1", at: now - minute }],
      },
    });
    await expect(asFile(progressMessage(r, s, now))).toMatchFileSnapshot(
      "snapshots/progress-waiting-checklist.json",
    );
  });

  it("the progress message of a run paused on a failed step, with Resume, Skip and Abort", async () => {
    const r = run({
      state: "paused_failed_step",
      stateReason: "scale-up failed: deployments.apps payments-api not found",
      approvals,
      rto: { requestedAt, approvedAt: now - 4 * minute, activationStartedAt: now - 3 * minute },
    });
    const s = steps(r, {
      fence: done(6, 7),
      "scale-up": {
        status: "failed",
        attempts: 3,
        startedAt: now - 2 * minute,
        endedAt: now - minute,
        error: "deployments.apps payments-api not found",
      },
    });
    await expect(asFile(progressMessage(r, s, now))).toMatchFileSnapshot("snapshots/progress-paused.json");
  });

  it("the progress message of a run whose activation overran its budget, its checklist wait counted apart", async () => {
    const later = requestedAt + 110 * minute;
    const r = run({
      state: "running",
      approvals,
      rto: {
        requestedAt,
        detectedAt: requestedAt - 5 * minute,
        approvedAt: requestedAt + 8 * minute,
        activationStartedAt: requestedAt + 10 * minute,
      },
    });
    const s = steps(r, {
      fence: done(10, 15),
      "scale-up": { status: "running", attempts: 1, startedAt: requestedAt + 15 * minute },
    });
    const view = progressMessage(r, s, later);
    expect(JSON.stringify(view.blocks)).toContain(
      ":warning: *Over budget*: activation 1h 35m of its 1h 30m budget\\n:hourglass: Waiting for people 5m (apart from activation)",
    );
    await expect(asFile(view)).toMatchFileSnapshot("snapshots/progress-over-budget.json");
  });

  it("the summary of a completed run, alone and under its progress message", async () => {
    const r = run({
      state: "completed",
      approvals,
      rto: {
        requestedAt,
        detectedAt: requestedAt - 5 * minute,
        approvedAt: requestedAt + 6 * minute,
        activationStartedAt: requestedAt + 7 * minute,
        activationEndedAt: requestedAt + 9 * minute,
        validationEndedAt: now,
      },
    });
    const s = steps(r, { fence: done(6, 7), "scale-up": done(7, 9), health: done(9, 10) });
    await expect(asFile(summaryBlocks(r, s, now))).toMatchFileSnapshot("snapshots/summary.json");
    await expect(asFile(progressMessage(r, s, now))).toMatchFileSnapshot("snapshots/progress-completed.json");
  });

  it("a step's thread reply, with its error and output", async () => {
    const r = run();
    const failed: StepRecord = {
      id: "scale-up",
      status: "failed",
      attempts: 2,
      startedAt: now - minute,
      endedAt: now,
      error: "deployments.apps payments-api not found",
      output: "GET /apis/apps/v1/namespaces/production/deployments/payments-api 404",
    };
    await expect(asFile(stepReply(r.plan.steps[1]!, failed))).toMatchFileSnapshot(
      "snapshots/step-reply-failed.json",
    );
  });

  it("the status answer with DC1 down and a source unknown, in Slack and in the terminal", async () => {
    const report = reportWithUnknowns([
      {
        source: "pg",
        kind: "postgres",
        exposureMs: undefined,
        at: now,
        detail: "lag unknown: the replica did not answer (unreachable (ECONNREFUSED))",
      },
      { source: "velero", kind: "velero", exposureMs: 70 * minute, at: now, detail: "daily-20250110020000" },
    ]);
    const withRun = {
      ...report,
      activeRuns: [run({ state: "running", approvals })],
      warnings: ["drbot runs in the primary site dc1: it goes down with it"],
    };
    await expect(`${statusText(withRun)}\n`).toMatchFileSnapshot("snapshots/status-slack.txt");
    await expect(`${cliStatusText(withRun)}\n`).toMatchFileSnapshot("snapshots/status-cli.txt");
  });
});

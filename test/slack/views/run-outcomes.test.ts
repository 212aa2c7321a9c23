import { describe, expect, it } from "vitest";
import { buildPlan } from "../../../src/domain/plan.js";
import { initialStepRecords, type RunRecord, type StepRecord } from "../../../src/domain/run.js";
import { resolveScope } from "../../../src/domain/scope.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { approvalCard } from "../../../src/slack/views/approval-card.js";
import type { Block } from "../../../src/slack/views/block-kit.js";
import { progressMessage } from "../../../src/slack/views/progress-message.js";
import { testConfig, testRunbook } from "../../support/config-fixture.js";
import { runRecord } from "../../support/run-fixtures.js";

/**
 * The record a run leaves in the channel, one file per outcome: the progress message with its
 * summary, written as a person reads it (section text, fields, context, buttons), so a change of
 * wording is reviewed as a diff of snapshots/outcome-*.txt. Each says what the run changed and
 * whether it was undone; a request that never started says only that nothing changed.
 */
const minute = 60_000;
const requestedAt = Date.parse("2026-12-04T03:00:00Z");

const RUNBOOK = testRunbook({
  phases: [
    {
      name: "fence",
      steps: [
        {
          id: "suspend-cronjobs",
          title: "Suspend the primary's CronJobs",
          kind: "k8s.cronjobs",
          with: { site: "dc1", namespace: "payments", name: "nightly-settlement", suspend: true },
          undo: {
            kind: "k8s.cronjobs",
            with: { site: "dc1", namespace: "payments", name: "nightly-settlement", suspend: false },
          },
        },
      ],
    },
    {
      name: "activate",
      steps: [
        {
          id: "scale-up",
          title: "Scale up payments-api on DR",
          kind: "k8s.scale",
          with: { site: "dc2", namespace: "payments", name: "payments-api", replicas: 3 },
          undo: {
            kind: "k8s.scale",
            with: { site: "dc2", namespace: "payments", name: "payments-api", replicas: 0 },
          },
        },
        {
          id: "wait-ready",
          title: "payments-api ready on DR",
          kind: "k8s.wait-ready",
          with: { site: "dc2", namespace: "payments", name: "payments-api", replicas: 3 },
        },
      ],
    },
    {
      name: "traffic",
      steps: [
        {
          id: "switch-dns",
          title: "DNS weights to DR",
          kind: "dns.switch",
          with: { records: ["payments.example.com"], activeSite: "dc2" },
        },
      ],
    },
    {
      name: "validate",
      rtoPhase: "validation",
      steps: [
        { id: "health", title: "Payments answers", kind: "http", with: { url: "http://127.0.0.1:9/" } },
      ],
    },
  ],
});

function failover(overrides: Partial<RunRecord> = {}): RunRecord {
  const config = testConfig({
    dns: {
      provider: { kind: "external-dns", site: "dc2", namespace: "external-dns" },
      records: [{ name: "payments.example.com", applications: ["payments"], weights: { dc1: 100, dc2: 0 } }],
    },
  });
  const scope = resolveScope(config, ["payments"], "failover");
  const plan = buildPlan({
    runbook: RUNBOOK,
    config,
    scope,
    mode: "real",
    catalog: createStepKindRegistry(),
  });
  return runRecord({
    id: "failover-1204-0300-abcdef",
    runbook: "failover",
    scopeKey: "k",
    scope,
    plan,
    reason: "DC1 unreachable since 02:50",
    source: "slack",
    requestedBy: "U0ONCALL1",
    createdAt: requestedAt,
    updatedAt: requestedAt,
    expiresAt: requestedAt + 30 * minute,
    tierRtoMs: 2 * 60 * minute,
    tierRpoMs: 15 * minute,
    requiredApprovals: 2,
    rto: { requestedAt },
    ...overrides,
  });
}

const approved: Partial<RunRecord> = {
  approvals: [
    { userId: "U0LEAD2", at: requestedAt + 3 * minute, planHash: "h" },
    { userId: "U0SRE3", at: requestedAt + 5 * minute, planHash: "h" },
  ],
  rto: {
    requestedAt,
    approvedAt: requestedAt + 5 * minute,
    activationStartedAt: requestedAt + 5 * minute,
  },
};

function records(run: RunRecord, status: Record<string, Partial<StepRecord>>): Map<string, StepRecord> {
  return new Map(initialStepRecords(run.plan).map((s) => [s.id, { ...s, ...status[s.id] }]));
}

const ran = (from: number, to: number, more: Partial<StepRecord> = {}): Partial<StepRecord> => ({
  status: "succeeded",
  attempts: 1,
  startedAt: requestedAt + from * minute,
  endedAt: requestedAt + to * minute,
  ...more,
});

/** Blocks as a person reads them: one paragraph per block, buttons in brackets. */
function asText(blocks: readonly Block[]): string {
  const out = blocks.map((b) => {
    switch (b.type) {
      case "header":
        return `# ${b.text.text}`;
      case "divider":
        return "---";
      case "section":
        return [b.text?.text, ...(b.fields ?? []).map((f) => f.text.replace("\n", ": ").replace(/\n/g, " "))]
          .filter(Boolean)
          .join("\n");
      case "context":
        return b.elements.map((e) => `> ${e.text}`).join("\n");
      case "actions":
        return b.elements
          .map((e) => `[${e.text.text}]${e.confirm ? ` (asks: ${e.confirm.text.text})` : ""}`)
          .join(" ");
      default:
        return "";
    }
  });
  return `${out.join("\n\n")}\n`;
}

describe("the summary a run ends with", () => {
  it("a completed failover: the RTO phases against their budgets, each phase explained, no list of changes", async () => {
    const run = failover({
      ...approved,
      state: "completed",
      rto: {
        ...approved.rto!,
        activationEndedAt: requestedAt + 41 * minute,
        validationEndedAt: requestedAt + 44 * minute,
      },
    });
    const steps = records(run, {
      "suspend-cronjobs": ran(5, 6),
      "scale-up": ran(6, 9),
      "wait-ready": ran(9, 39),
      "switch-dns": ran(39, 41),
      health: ran(41, 44),
    });
    const text = asText(progressMessage(run, steps, requestedAt + 50 * minute).blocks);
    expect(text).toContain("*RTO*: 44m against 2h ✅");
    expect(text).toContain("0 (a person started this run)");
    expect(text).not.toContain("What changed");
    await expect(text).toMatchFileSnapshot("snapshots/outcome-completed.txt");
  });

  it("a failover completed with exceptions lists what it changed, kept since it completed", async () => {
    const run = failover({
      ...approved,
      state: "completed_with_exceptions",
      stateReason: "exceptions: health",
      rto: {
        ...approved.rto!,
        detectedAt: requestedAt - 4 * minute,
        activationEndedAt: requestedAt + 41 * minute,
        validationEndedAt: requestedAt + 52 * minute,
      },
    });
    const steps = records(run, {
      "suspend-cronjobs": ran(5, 6),
      "scale-up": ran(6, 9),
      "wait-ready": ran(9, 39),
      "switch-dns": ran(39, 41),
      health: ran(41, 52, { status: "failed", attempts: 3, error: "GET http://127.0.0.1:9/ → 503" }),
    });
    const text = asText(progressMessage(run, steps, requestedAt + 60 * minute).blocks);
    expect(text).toContain("✅ *switched*: DNS weights to DR: in effect");
    expect(text).toContain("*Detection*: 4m of 15m");
    await expect(text).toMatchFileSnapshot("snapshots/outcome-completed-with-exceptions.txt");
  });

  it("a failed failover: each change undone or not, the undo that failed said plainly", async () => {
    const run = failover({
      ...approved,
      state: "failed",
      stateReason: "wait-ready timed out: did not finish within 30m",
      updatedAt: requestedAt + 37 * minute,
    });
    const steps = records(run, {
      "suspend-cronjobs": ran(5, 6, { undone: true, output: "suspended\nundo: succeeded (resumed)" }),
      "scale-up": ran(6, 9, { output: "scaled to 3\nundo: failed (dc2: no answer within 30s)" }),
      "wait-ready": ran(9, 39, { status: "timed_out", error: "did not finish within 30m" }),
    });
    const text = asText(progressMessage(run, steps, requestedAt + 60 * minute).blocks);
    expect(text).toContain("↩️ *suspended*: Suspend the primary's CronJobs: undone");
    expect(text).toContain("⚠️ *scaled*: Scale up payments-api on DR: undo failed, still in place");
    expect(text).toContain("not restored: stopped after 37m of 2h");
    expect(text).not.toContain("left");
    await expect(text).toMatchFileSnapshot("snapshots/outcome-failed.txt");
  });

  it("an aborted failover whose changes were undone: by whom, what was undone, the waiting step shown stopped, not paused", async () => {
    const run = failover({
      ...approved,
      state: "aborted",
      stateReason: "aborted by U0LEAD2: wrong scope",
      updatedAt: requestedAt + 12 * minute,
      decisions: [
        { userId: "U0LEAD2", at: requestedAt + 11 * minute, decision: "aborted", note: "wrong scope" },
      ],
    });
    const steps = records(run, {
      "suspend-cronjobs": ran(5, 6, { undone: true }),
      "scale-up": ran(6, 9, { undone: true }),
      "wait-ready": { status: "running", attempts: 1, startedAt: requestedAt + 9 * minute },
    });
    const text = asText(progressMessage(run, steps, requestedAt + 20 * minute).blocks);
    expect(text).toContain("*Summary*: aborted: aborted by <@U0LEAD2>: wrong scope");
    expect(text).toContain("↩️ *scaled*: Scale up payments-api on DR: undone");
    expect(text).toContain("⏹️ payments-api ready on DR _(stopped when the run ended)_");
    expect(text).not.toContain("⏸️");
    await expect(text).toMatchFileSnapshot("snapshots/outcome-aborted-with-undo.txt");
  });

  it("an aborted failover past its DNS switch: the switch stays, since the runbook has no undo for it", async () => {
    const run = failover({
      ...approved,
      state: "aborted",
      stateReason: "aborted by U0ONCALL1",
      updatedAt: requestedAt + 42 * minute,
    });
    const steps = records(run, {
      "suspend-cronjobs": ran(5, 6, { undone: true }),
      "scale-up": ran(6, 9, { undone: true }),
      "wait-ready": ran(9, 39),
      "switch-dns": ran(39, 41),
    });
    const text = asText(progressMessage(run, steps, requestedAt + 50 * minute).blocks);
    expect(text).toContain("▪️ *switched*: DNS weights to DR: stays (the runbook has no undo for it)");
    expect(text).toContain("aborted by <@U0ONCALL1>");
    await expect(text).toMatchFileSnapshot("snapshots/outcome-aborted-without-undo.txt");
  });

  it("a paused failover lists what is in place and offers Abort and undo, under the same operator rights as /dr abort", async () => {
    const run = failover({
      ...approved,
      state: "paused_failed_step",
      stateReason: "wait-ready failed: 1/3 replicas ready",
    });
    const steps = records(run, {
      "suspend-cronjobs": ran(5, 6),
      "scale-up": ran(6, 9),
      "wait-ready": ran(9, 19, { status: "failed", error: "1/3 replicas ready" }),
    });
    const view = progressMessage(run, steps, requestedAt + 20 * minute);
    const text = asText(view.blocks);
    expect(text).toContain("▪️ *scaled*: Scale up payments-api on DR: in place; Abort undoes it");
    expect(text).toContain("[Abort and undo]");
    const abort = view.blocks.flatMap((b) => (b.type === "actions" ? b.elements : [])).at(-1);
    // The same action as /dr abort and the Abort of a running run: one control, one gate.
    expect(abort?.action_id).toBe("dr:abort");
    await expect(text).toMatchFileSnapshot("snapshots/outcome-paused.txt");
  });

  it("a request withdrawn before approval, one rejected and one expired: nothing changed, no RTO, no report", async () => {
    const decided = (userId: string, decision: "aborted" | "rejected", note: string) => ({
      decisions: [{ userId, at: requestedAt + minute, decision, note }],
      stateReason: `${decision} by ${userId}: ${note}`,
    });
    const withdrawn = failover({ state: "aborted", ...decided("U0ONCALL1", "aborted", "asked by mistake") });
    const rejected = failover({
      state: "rejected",
      ...decided("U0LEAD2", "rejected", "not during the freeze"),
    });
    const expired = failover({ state: "expired" });
    const none = records(withdrawn, {});
    const texts = [withdrawn, rejected, expired].map((r) =>
      asText(approvalCard(r, requestedAt + 40 * minute).blocks.slice(-1)),
    );
    expect(texts).toEqual([
      "> *Withdrawn* before it was approved: aborted by <@U0ONCALL1>: asked by mistake. Nothing was changed.\n",
      "> *Rejected*: rejected by <@U0LEAD2>: not during the freeze. Nothing was changed.\n",
      "> *Expired* at <!date^1796355000^{date_short_pretty} {time}|2026-12-04T03:30:00.000Z> without the approvals it needed. Nothing was changed.\n",
    ]);
    const progress = asText(progressMessage(withdrawn, none, requestedAt + 40 * minute).blocks);
    expect(progress).not.toMatch(/RTO|Detection|report/);
    await expect(`${texts.join("\n")}\n${progress}`).toMatchFileSnapshot(
      "snapshots/outcome-never-started.txt",
    );
  });
});

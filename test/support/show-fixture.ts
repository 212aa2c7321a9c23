/** A failover told by `show` on both surfaces: two approvals, a failed step skipped with a reason, its events. */
import type { RunEvent, RunRecord, StepRecord } from "../../src/domain/run.js";
import { planStep } from "./report-fixtures.js";
import { runRecord, stepRecord } from "./run-fixtures.js";

export const minute = 60_000;
export const T0 = Date.parse("2026-12-04T03:00:00Z");
const scope = { applications: ["payments", "core-api"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" };
export const plan = {
  runbook: "failover",
  runbookTitle: "Failover",
  kind: "failover" as const,
  mode: "real" as const,
  scope,
  steps: [
    planStep("scale-up", { title: "Scale up payments-api on DR", rtoPhase: "activation" }),
    planStep("fence-primary", { title: "Fence DC1's database", rtoPhase: "activation" }),
    planStep("switch-dns", { title: "DNS weights to DR", rtoPhase: "activation" }),
    planStep("health", { title: "Payments answers", rtoPhase: "validation" }),
  ],
  pins: {},
  hash: "9f2c0d1e".repeat(8),
};

export const event = (
  at: number,
  actor: string,
  type: RunEvent["type"],
  data: Record<string, unknown>,
  stepId?: string,
) =>
  ({
    type,
    at: T0 + at * minute,
    actor,
    runId: "failover-1204-0300-abcdef",
    data,
    ...(stepId ? { stepId } : {}),
  }) satisfies RunEvent;

export function completedFailover(): { run: RunRecord; steps: Map<string, StepRecord>; events: RunEvent[] } {
  const run = runRecord({
    id: "failover-1204-0300-abcdef",
    scope,
    plan,
    state: "completed_with_exceptions",
    requestedBy: "U0ONCALL1",
    reason: "DC1 unreachable since 02:50 <!channel>",
    source: "slack",
    createdAt: T0,
    updatedAt: T0 + 19 * minute,
    approvals: [
      { userId: "U0LEAD2", at: T0 + 3 * minute, planHash: plan.hash },
      { userId: "U0SRE3", at: T0 + 5 * minute, planHash: plan.hash, acceptedDataLoss: true },
    ],
    decisions: [
      { userId: "U0LEAD2", at: T0 + 3 * minute, decision: "approved" },
      { userId: "U0SRE3", at: T0 + 5 * minute, decision: "approved" },
      {
        userId: "U0LEAD2",
        at: T0 + 11 * minute,
        decision: "skipped",
        stepId: "fence-primary",
        note: "DC1 is powered off",
      },
    ],
    rto: {
      requestedAt: T0,
      approvedAt: T0 + 5 * minute,
      activationStartedAt: T0 + 5 * minute,
      activationEndedAt: T0 + 16 * minute,
      validationEndedAt: T0 + 18 * minute,
    },
  });
  const steps = new Map<string, StepRecord>([
    [
      "scale-up",
      stepRecord("scale-up", {
        status: "succeeded",
        attempts: 1,
        startedAt: T0 + 5 * minute,
        endedAt: T0 + 9 * minute,
      }),
    ],
    [
      "fence-primary",
      stepRecord("fence-primary", {
        status: "skipped",
        attempts: 1,
        startedAt: T0 + 9 * minute,
        endedAt: T0 + 11 * minute,
        error: "DC1 API server did not answer within 10s",
        skipped: { by: "U0LEAD2", at: T0 + 11 * minute, reason: "DC1 is powered off" },
      }),
    ],
    [
      "switch-dns",
      stepRecord("switch-dns", {
        status: "succeeded",
        attempts: 1,
        startedAt: T0 + 11 * minute,
        endedAt: T0 + 16 * minute,
      }),
    ],
    [
      "health",
      stepRecord("health", {
        status: "succeeded",
        attempts: 1,
        startedAt: T0 + 16 * minute,
        endedAt: T0 + 18 * minute,
      }),
    ],
  ]);
  const events: RunEvent[] = [
    event(0, "U0ONCALL1", "run.requested", {
      runbook: "failover",
      reason: "DC1 unreachable since 02:50",
      planHash: plan.hash,
      required: 2,
    }),
    event(1, "U0ONCALL1", "run.refusal", {
      code: "self_approval",
      message: "you cannot approve your own request",
    }),
    event(3, "U0LEAD2", "run.approval", { approvals: 1, required: 2, state: "pending_approval" }),
    event(5, "U0SRE3", "run.approval", { approvals: 2, required: 2, state: "approved" }),
    event(5, "engine", "run.state", { from: "approved", state: "running" }),
    event(5, "engine", "step.state", { status: "running", attempt: 1 }, "scale-up"),
    event(9, "engine", "step.output", { output: "scaled payments-api to 3" }, "scale-up"),
    event(9, "engine", "step.state", { status: "succeeded" }, "scale-up"),
    event(
      11,
      "engine",
      "step.state",
      { status: "failed", error: "DC1 API server did not answer within 10s" },
      "fence-primary",
    ),
    event(11, "U0LEAD2", "step.state", { status: "skipped" }, "fence-primary"),
    event(16, "engine", "step.state", { status: "succeeded" }, "switch-dns"),
    event(18, "engine", "step.state", { status: "succeeded" }, "health"),
    event(18, "engine", "run.state", { from: "running", state: "completed_with_exceptions" }),
  ];
  return { run, steps, events };
}

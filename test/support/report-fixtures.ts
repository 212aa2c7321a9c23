/** A finished drill as stored (run, steps, events, diff), for the report builder and its renderings. */
import type { PlanStep, RunEvent, StepRecord } from "../../src/domain/run.js";
import { runRecord, stepRecord } from "./run-fixtures.js";

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const S = 1_000;

export function planStep(id: string, overrides: Partial<PlanStep> = {}): PlanStep {
  return {
    id,
    runbookStepId: id,
    phase: "failover",
    rtoPhase: "activation",
    title: id,
    kind: "wait",
    params: {},
    timeoutMs: 60_000,
    retries: 0,
    retryDelayMs: 0,
    onFailure: "pause",
    needs: [],
    summary: id,
    ...overrides,
  };
}

/** A finished drill: checklist ticked by two people, a snapshot diff, isolation and a cleanup proof. */
export function finishedDrill() {
  const steps = [
    planStep("pre-test-checklist", {
      phase: "pre-test",
      title: "Pre-test checklist",
      kind: "checklist",
      params: { items: ["Stakeholders notified", "DR cluster ready"] },
    }),
    planStep("isolate", { phase: "capture", title: "Isolate DR", kind: "k8s.isolate" }),
    planStep("scale-up", { title: "Scale up on DR", kind: "k8s.scale" }),
    planStep("diff", {
      phase: "validate",
      rtoPhase: "validation",
      title: "Before/after diff",
      kind: "k8s.diff",
      params: { site: "dc2", before: "before", after: "after" },
    }),
    planStep("verify-clean", {
      phase: "failback",
      rtoPhase: "validation",
      title: "Nothing of this drill remains",
      kind: "k8s.verify-clean",
    }),
  ];
  const base = runRecord({ kind: "drill", mode: "drill", runbook: "drill", requiredApprovals: 1 });
  const run = {
    ...base,
    plan: {
      ...base.plan,
      runbook: "drill",
      runbookTitle: "DR drill",
      kind: "drill" as const,
      mode: "drill" as const,
      steps,
    },
    state: "completed" as const,
    createdAt: T0,
    approvals: [{ userId: "U0A1", at: T0 + 90 * S, planHash: "plan-hash-1" }],
    rto: {
      requestedAt: T0,
      approvedAt: T0 + 90 * S,
      // The engine starts activation with its first activation step: the pre-test checklist.
      activationStartedAt: T0 + 91 * S,
      activationEndedAt: T0 + 130 * S,
      validationEndedAt: T0 + 160 * S,
    },
    rpoExposureMs: 5 * 60 * S,
  };
  const records = new Map<string, StepRecord>([
    [
      "pre-test-checklist",
      stepRecord("pre-test-checklist", {
        status: "succeeded",
        attempts: 1,
        startedAt: T0 + 91 * S,
        endedAt: T0 + 99 * S,
        attestations: [
          { item: "DR cluster ready", userId: "U0A1", at: T0 + 98 * S },
          { item: "Stakeholders notified", userId: "U0ONCALL", at: T0 + 95 * S },
        ],
      }),
    ],
    [
      "isolate",
      stepRecord("isolate", {
        status: "succeeded",
        attempts: 1,
        startedAt: T0 + 100 * S,
        endedAt: T0 + 101 * S,
        output: "NetworkPolicies: production/drbot-isolate",
      }),
    ],
    [
      "scale-up",
      stepRecord("scale-up", {
        status: "succeeded",
        attempts: 2,
        startedAt: T0 + 101 * S,
        endedAt: T0 + 130 * S,
      }),
    ],
    [
      "diff",
      stepRecord("diff", {
        status: "succeeded",
        attempts: 1,
        startedAt: T0 + 131 * S,
        endedAt: T0 + 132 * S,
      }),
    ],
    [
      "verify-clean",
      stepRecord("verify-clean", {
        status: "succeeded",
        attempts: 1,
        startedAt: T0 + 150 * S,
        endedAt: T0 + 151 * S,
        output: `nothing labelled with ${run.id} remains on dc1, dc2`,
      }),
    ],
  ]);
  const events: RunEvent[] = [
    {
      type: "run.requested",
      at: T0,
      actor: "U0ONCALL",
      runId: run.id,
      data: { runbook: "drill", reason: "quarterly", planHash: "plan-hash-1", required: 1 },
    },
    {
      type: "run.approval",
      at: T0 + 90 * S,
      actor: "U0A1",
      runId: run.id,
      data: { approvals: 1, required: 1, state: "approved" },
    },
    {
      type: "step.attestation",
      at: T0 + 95 * S,
      actor: "U0ONCALL",
      runId: run.id,
      stepId: "pre-test-checklist",
      data: { item: "Stakeholders notified" },
    },
    {
      type: "step.state",
      at: T0 + 130 * S,
      actor: "engine:x",
      runId: run.id,
      stepId: "scale-up",
      data: { status: "succeeded", attempt: 2 },
    },
    {
      type: "run.state",
      at: T0 + 160 * S,
      actor: "engine:x",
      runId: run.id,
      data: { from: "running", state: "completed" },
    },
  ];
  const diffs = new Map([
    [
      "diff",
      {
        added: [],
        removed: [],
        changed: [
          {
            object: "Deployment production/payments-api" as const,
            field: "replicas",
            before: "0",
            after: "3",
          },
        ],
        runningPods: [{ namespace: "production", before: 0, after: 3 }],
      },
    ],
  ]);
  return { run, records, events, diffs };
}

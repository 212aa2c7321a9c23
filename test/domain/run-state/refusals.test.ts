import { describe, expect, it } from "vitest";
import { APPROVAL_GATE_ITEM } from "../../../src/domain/approval-gate.js";
import type { Actor } from "../../../src/domain/permissions.js";
import type { PlanStep, RunRecord, StepRecord } from "../../../src/domain/run.js";
import { abortRun, pauseRun, resumeRun } from "../../../src/domain/run-state/control.js";
import { approveRun, rejectRun } from "../../../src/domain/run-state/decide.js";
import { expireRun } from "../../../src/domain/run-state/request.js";
import { isRefused, type RunMove } from "../../../src/domain/run-state/run-change.js";
import { skipStep, tickStep } from "../../../src/domain/run-state/steps.js";
import { runRecord, stepRecord } from "../../support/run-fixtures.js";

const NOW = 1_700_000_100_000;
const approver: Actor = { userId: "U0A2", requester: false, approver: true };
const stranger: Actor = { userId: "U0X", requester: false, approver: false };
const requester: Actor = { userId: "U0ONCALL", requester: true, approver: false };

function planStep(id: string, kind: string, params: Record<string, unknown> = {}): PlanStep {
  return {
    id,
    runbookStepId: id,
    phase: "main",
    rtoPhase: "activation",
    title: id,
    kind,
    params,
    timeoutMs: 1000,
    retries: 0,
    retryDelayMs: 0,
    onFailure: "pause",
    needs: [],
    summary: id,
  };
}

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  const base = runRecord({ createdAt: NOW - 60_000, expiresAt: NOW + 60_000, ...overrides });
  return {
    ...base,
    plan: {
      ...base.plan,
      steps: [
        planStep("check", "checklist", { items: ["backups verified"] }),
        planStep("gate", "approval"),
        planStep("scale", "k8s.scale"),
        planStep("done", "k8s.scale"),
      ],
    },
  };
}

const steps: ReadonlyMap<string, StepRecord> = new Map([
  ["check", stepRecord("check", { status: "waiting" })],
  ["gate", stepRecord("gate", { status: "waiting" })],
  ["scale", stepRecord("scale", { status: "failed" })],
  ["done", stepRecord("done", { status: "succeeded" })],
]);

const code = (move: RunMove) => (isRefused(move) ? move.code : move.refusal ? move.refusal.code : "accepted");
const approval = (r: RunRecord, actor: Actor, extra: Record<string, unknown> = {}) =>
  approveRun(r, { actor, planHash: r.plan.hash, replan: () => r.plan, expiryMs: 1000, ...extra }, NOW);
const tick = (r: RunRecord, actor: Actor, stepId: string, item: string, records = steps) =>
  tickStep(r, { actor, stepId, item, steps: records }, NOW);

/** Each refusal a move gives for a reason other than the run's state, with its code. */
const REFUSALS: [string, () => RunMove, string][] = [
  ["approve by the requester", () => approval(run(), requester), "self_approval"],
  ["approve by a stranger", () => approval(run(), stranger), "not_eligible"],
  ["approve a plan not shown", () => approval(run(), approver, { planHash: "other" }), "plan_changed"],
  [
    "approve twice",
    () => approval(run({ approvals: [{ userId: "U0A2", at: 1, planHash: "plan-hash-1" }] }), approver),
    "already_approved",
  ],
  [
    "approve a data loss without accepting it",
    () => approval(run({ rpoRisk: { targetMs: 900_000, tier: "tier1", unknown: ["pg"] } }), approver),
    "data_loss_not_accepted",
  ],
  ["approve after the expiry time", () => approval(run({ expiresAt: NOW }), approver), "approval_expired"],
  [
    "approve last when the plan cannot be computed",
    () =>
      approval(run({ requiredApprovals: 1 }), approver, {
        replan: () => {
          throw new Error("no runbook named failover");
        },
      }),
    "plan_unavailable",
  ],
  ["reject by a stranger", () => rejectRun(run(), { actor: stranger }, NOW), "not_eligible"],
  [
    "reject after the expiry time",
    () => rejectRun(run({ expiresAt: NOW }), { actor: approver }, NOW),
    "approval_expired",
  ],
  ["abort by a stranger", () => abortRun(run(), { actor: stranger }, NOW), "not_permitted"],
  [
    "pause by a stranger",
    () => pauseRun(run({ state: "running" }), { actor: stranger }, NOW),
    "not_permitted",
  ],
  [
    "pause of a run whose abort is not yet carried out",
    () =>
      pauseRun(
        run({ state: "running", control: { action: "abort", userId: approver.userId, at: NOW } }),
        { actor: approver },
        NOW,
      ),
    "invalid_state",
  ],
  [
    "resume by the requester of a real run",
    () => resumeRun(run({ state: "paused_failed_step" }), { actor: requester, steps }, NOW),
    "self_approval",
  ],
  [
    "skip by a stranger",
    () =>
      skipStep(
        run({ state: "paused_failed_step" }),
        { actor: stranger, stepId: "scale", steps, reason: "checked by hand" },
        NOW,
      ),
    "not_permitted",
  ],
  [
    "skip a step the run does not have",
    () =>
      skipStep(
        run({ state: "paused_failed_step" }),
        { actor: approver, stepId: "nope", steps, reason: "checked by hand" },
        NOW,
      ),
    "invalid_input",
  ],
  [
    "skip a step that succeeded",
    () =>
      skipStep(
        run({ state: "paused_failed_step" }),
        { actor: approver, stepId: "done", steps, reason: "checked by hand" },
        NOW,
      ),
    "invalid_state",
  ],
  [
    "skip before the run starts (skipping is not approving)",
    () => skipStep(run(), { actor: approver, stepId: "scale", steps, reason: "in a hurry" }, NOW),
    "invalid_state",
  ],
  [
    "skip by the run's requester, even an approver",
    () =>
      skipStep(
        run({ state: "paused_failed_step" }),
        { actor: { ...requester, approver: true }, stepId: "scale", steps, reason: "mine" },
        NOW,
      ),
    "self_approval",
  ],
  [
    "skip without a reason",
    () =>
      skipStep(
        run({ state: "paused_failed_step" }),
        { actor: approver, stepId: "scale", steps, reason: " " },
        NOW,
      ),
    "invalid_input",
  ],
  [
    "skip of an approval gate",
    () =>
      skipStep(
        run({ state: "paused_by_operator" }),
        { actor: approver, stepId: "gate", steps, reason: "x" },
        NOW,
      ),
    "not_permitted",
  ],
  [
    "skip of a checklist that needs someone other than the requester",
    () => {
      const r = run({ state: "paused_by_operator" });
      r.plan.steps[0] = planStep("check", "checklist", {
        items: ["backups verified"],
        requireOtherThanRequester: true,
      });
      return skipStep(r, { actor: approver, stepId: "check", steps, reason: "x" }, NOW);
    },
    "not_permitted",
  ],
  [
    "skip of a step still running",
    () =>
      skipStep(
        run({ state: "running" }),
        {
          actor: approver,
          stepId: "scale",
          steps: new Map([["scale", stepRecord("scale", { status: "running" })]]),
          reason: "x",
        },
        NOW,
      ),
    "invalid_state",
  ],
  [
    "tick by the requester of a checklist that needs someone else",
    () => {
      const r = run({ state: "waiting_manual" });
      r.plan.steps[0] = planStep("check", "checklist", {
        items: ["backups verified"],
        requireOtherThanRequester: true,
      });
      return tickStep(r, { actor: requester, stepId: "check", item: "backups verified", steps }, NOW);
    },
    "self_approval",
  ],
  [
    "tick a step the run does not have",
    () => tick(run({ state: "waiting_manual" }), approver, "nope", "x"),
    "invalid_input",
  ],
  [
    "tick a step that is not waiting",
    () => tick(run({ state: "running" }), approver, "scale", "backups verified"),
    "invalid_state",
  ],
  [
    "tick an item not on the checklist",
    () => tick(run({ state: "waiting_manual" }), approver, "check", "coffee"),
    "invalid_input",
  ],
  [
    "tick a checklist as a stranger",
    () => tick(run({ state: "waiting_manual" }), stranger, "check", "backups verified"),
    "not_permitted",
  ],
  [
    "tick a gate instead of approving it",
    () => tick(run({ state: "waiting_manual" }), approver, "gate", "done"),
    "invalid_input",
  ],
  [
    "approve a gate as the requester",
    () => tick(run({ state: "waiting_manual" }), requester, "gate", APPROVAL_GATE_ITEM),
    "self_approval",
  ],
  [
    "approve a gate as a stranger",
    () => tick(run({ state: "waiting_manual" }), stranger, "gate", APPROVAL_GATE_ITEM),
    "not_eligible",
  ],
  [
    "tick a step that has nothing to tick",
    () =>
      tick(
        run({ state: "waiting_manual" }),
        approver,
        "scale",
        "x",
        new Map([["scale", stepRecord("scale", { status: "waiting" })]]),
      ),
    "invalid_input",
  ],
  ["expire a request before its expiry", () => expireRun(run(), NOW), "invalid_state"],
];

describe("refusals for reasons other than the run's state", () => {
  it.each(REFUSALS)("%s: %s", (_what, move, expected) => {
    expect(code(move())).toBe(expected);
  });

  it("accepts each of those moves once the reason is gone", () => {
    expect(code(approval(run(), approver))).toBe("accepted");
    expect(code(tick(run({ state: "waiting_manual" }), approver, "gate", APPROVAL_GATE_ITEM))).toBe(
      "accepted",
    );
    expect(
      code(
        skipStep(
          run({ state: "paused_failed_step" }),
          { actor: approver, stepId: "scale", steps, reason: "checked by hand" },
          NOW,
        ),
      ),
    ).toBe("accepted");
    expect(code(expireRun(run(), NOW + 60_000))).toBe("accepted");
  });
});

describe("what a resume, a skip and a tick write besides the run", () => {
  it("runs again the failed steps that paused the run, and leaves those allowed to fail", () => {
    const r = run({ state: "paused_failed_step" });
    r.plan.steps.push({ ...planStep("optional", "k8s.scale"), onFailure: "continue" });
    const records = new Map([...steps, ["optional", stepRecord("optional", { status: "failed" })]]);
    const move = resumeRun(r, { actor: approver, steps: records }, NOW);
    if (isRefused(move)) throw move;
    expect(move.steps?.map((s) => [s.record.id, s.record.status])).toEqual([["scale", "not_started"]]);
    expect(move.run).toMatchObject({ state: "running", stateReason: "resumed by U0A2", control: undefined });
  });

  it("records a skip as the operator's attestation and decision, and the step as skipped", () => {
    const move = skipStep(
      run({ state: "paused_failed_step" }),
      { actor: approver, stepId: "scale", steps, reason: "checked by hand" },
      NOW,
    );
    if (isRefused(move)) throw move;
    expect(move.attestations?.map((a) => a.attestation)).toEqual([
      { item: "skipped", userId: "U0A2", at: NOW },
    ]);
    expect(move.steps?.[0]?.record).toMatchObject({
      id: "scale",
      status: "skipped",
      resolvedBy: "operator",
      skipped: { by: "U0A2", at: NOW, reason: "checked by hand" },
    });
    expect(move.run.decisions.at(-1)).toEqual({
      userId: "U0A2",
      at: NOW,
      decision: "skipped",
      stepId: "scale",
      note: "checked by hand",
    });
  });

  it("records a tick as an attestation, written with the run only when it is new", () => {
    const move = tick(run({ state: "waiting_manual" }), approver, "check", "backups verified");
    if (isRefused(move)) throw move;
    expect(move.onlyIfAttested).toBe(true);
    expect(move.attestations?.map((a) => [a.stepId, a.attestation.item])).toEqual([
      ["check", "backups verified"],
    ]);
  });
});

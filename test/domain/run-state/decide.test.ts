import { describe, expect, it } from "vitest";
import { DrError } from "../../../src/domain/errors.js";
import type { Actor } from "../../../src/domain/permissions.js";
import type { Plan, RunRecord } from "../../../src/domain/run.js";
import { type ApproveInput, approveRun, rejectRun } from "../../../src/domain/run-state/decide.js";
import { isRefused, type RunChange } from "../../../src/domain/run-state/run-change.js";
import { runRecord } from "../../support/run-fixtures.js";

const approver = (userId: string): Actor => ({ userId, requester: false, approver: true });
const stranger = (userId: string): Actor => ({ userId, requester: false, approver: false });

function pending(overrides: Partial<RunRecord> = {}): RunRecord {
  return runRecord({ expiresAt: 1_000_000, createdAt: 0, ...overrides });
}

function approval(run: RunRecord, actor: Actor, extra: Partial<ApproveInput> & { now?: number } = {}) {
  const { now = 10, ...input } = extra;
  return approveRun(
    run,
    { actor, planHash: run.plan.hash, replan: () => run.plan, expiryMs: 1000, ...input },
    now,
  );
}

function accepted(move: ReturnType<typeof approveRun>): RunChange {
  if (isRefused(move)) throw new Error(`refused: ${move.code} ${move.message}`);
  return move;
}

describe("the two-person rule", () => {
  it("approves only after the required number of distinct approvers", () => {
    const first = accepted(approval(pending(), approver("U0A1")));
    expect(first.run.state).toBe("pending_approval");
    expect(first.events).toEqual([expect.objectContaining({ type: "run.approval", actor: "U0A1" })]);
    const second = accepted(approval(first.run, approver("U0A2")));
    expect(second.run.state).toBe("approved");
    expect(second.run.approvals.map((a) => a.userId)).toEqual(["U0A1", "U0A2"]);
    expect(second.run.rto.approvedAt).toBe(10);
    expect(second.events[0]?.data).toMatchObject({ approvals: 2, required: 2, state: "approved" });
  });

  it("never counts the requester, even one listed as an approver", () => {
    expect(approval(pending(), approver("U0ONCALL"))).toMatchObject({ code: "self_approval" });
  });

  it("refuses someone who is not an approver", () => {
    expect(approval(pending(), stranger("U0RANDOM"))).toMatchObject({ code: "not_eligible" });
  });

  it("refuses a second approval by the same person", () => {
    const first = accepted(approval(pending(), approver("U0A1")));
    expect(approval(first.run, approver("U0A1"))).toMatchObject({ code: "already_approved" });
  });

  it("refuses after expiry, before the supervisor has swept the request", () => {
    expect(approval(pending(), approver("U0A1"), { now: 1_000_000 })).toMatchObject({
      code: "approval_expired",
    });
  });

  it("refuses an approval of a plan other than the current one", () => {
    expect(approval(pending(), approver("U0A1"), { planHash: "plan-0" })).toMatchObject({
      code: "plan_changed",
    });
  });

  it("needs every approver to accept a data loss beyond the RPO, and records that they did", () => {
    const run = pending({
      rpoRisk: { exposureMs: 7_200_000, targetMs: 900_000, tier: "tier1", source: "pg", unknown: [] },
    });
    const refused = approval(run, approver("U0A1"));
    expect(refused).toMatchObject({ code: "data_loss_not_accepted" });
    expect((refused as DrError).message).toContain(
      "2h of data (newest recovery point of pg), beyond the tier1 RPO of 15m",
    );
    const ok = accepted(approval(run, approver("U0A1"), { acceptsDataLoss: true, now: 5 }));
    expect(ok.run.approvals).toEqual([
      { userId: "U0A1", at: 5, planHash: run.plan.hash, acceptedDataLoss: true },
    ]);
  });
});

describe("the last approval and a plan that drifted", () => {
  const oneMissing = () =>
    pending({ approvals: [{ userId: "U0A1", at: 1, planHash: "plan-hash-1" }], decisions: [] });

  it("computes the plan again only for the last approval", () => {
    let replans = 0;
    const replan = () => {
      replans++;
      return pending().plan;
    };
    accepted(approval(pending(), approver("U0A1"), { replan }));
    expect(replans).toBe(0);
    accepted(approval(oneMissing(), approver("U0A2"), { replan }));
    expect(replans).toBe(1);
  });

  it("voids the approvals instead of writing the last one when the plan changed", () => {
    const run = oneMissing();
    const added: Plan["steps"][number] = {
      id: "extra",
      runbookStepId: "extra",
      phase: "main",
      rtoPhase: "activation",
      title: "Extra",
      kind: "k8s.scale",
      params: {},
      timeoutMs: 1000,
      retries: 0,
      retryDelayMs: 0,
      onFailure: "pause",
      needs: [],
      summary: "extra",
    };
    const drifted: Plan = { ...run.plan, steps: [...run.plan.steps, added], hash: "plan-hash-2" };
    const change = accepted(approval(run, approver("U0A2"), { replan: () => drifted, now: 100 }));
    expect(change.run).toMatchObject({ state: "pending_approval", approvals: [], expiresAt: 1100 });
    expect(change.run.plan.hash).toBe("plan-hash-2");
    expect(change.run.stateReason).toContain("approvals voided");
    expect(change.run.rto.approvedAt).toBeUndefined();
    expect(change.events[0]).toMatchObject({
      type: "run.state",
      actor: "U0A2",
      data: { state: "pending_approval", reason: "plan drift", planHash: "plan-hash-2", voided: ["U0A1"] },
    });
    expect(change.refusal).toBeUndefined();
    // The step the new plan adds gets its record with the same change, waiting to start.
    expect(change.steps?.map((s) => s.record)).toEqual([{ id: "extra", status: "not_started", attempts: 0 }]);
  });

  it("keeps the request waiting, with the reason, when the plan cannot be computed, and tells the approver", () => {
    const run = oneMissing();
    const change = accepted(
      approval(run, approver("U0A2"), {
        replan: () => {
          throw new DrError("unknown_scope", 'no tier or application named "payments"');
        },
      }),
    );
    expect(change.run.state).toBe("pending_approval");
    expect(change.run.approvals).toEqual(run.approvals);
    expect(change.run.stateReason).toContain('no tier or application named "payments"');
    expect(change.refusal).toMatchObject({ code: "plan_unavailable" });
    expect(change.refusal?.message).toContain("Your approval was not recorded");
  });
});

describe("rejecting a request", () => {
  it("ends it, and no decision can follow", () => {
    const rejected = accepted(rejectRun(pending(), { actor: approver("U0A1"), note: "not yet" }, 5));
    expect(rejected.run).toMatchObject({ state: "rejected", stateReason: "rejected by U0A1: not yet" });
    expect(approval(rejected.run, approver("U0A2"))).toMatchObject({ code: "already_decided" });
  });

  it("lets the requester withdraw but not a stranger reject", () => {
    expect(isRefused(rejectRun(pending(), { actor: stranger("U0ONCALL") }, 5))).toBe(false);
    expect(rejectRun(pending(), { actor: stranger("U0RANDOM") }, 5)).toMatchObject({ code: "not_eligible" });
  });
});

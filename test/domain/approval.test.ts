import { describe, expect, it } from "vitest";
import { approve, isEligible, reject, voidApprovalsForDrift } from "../../src/domain/approval.js";
import type { RunRecord } from "../../src/domain/run.js";

function pendingRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: "failover-1125-0300-abcdef",
    kind: "failover",
    mode: "real",
    runbook: "failover",
    scopeKey: "sites:dc1+dc2:app:payments",
    scope: { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" },
    plan: {
      runbook: "failover",
      runbookTitle: "Failover",
      kind: "failover",
      mode: "real",
      scope: { applications: ["payments"], tiers: ["tier1"], fromSite: "dc1", toSite: "dc2" },
      steps: [],
      pins: {},
      hash: "plan-1",
    },
    state: "pending_approval",
    requestedBy: "U0ONCALL",
    reason: "DC1 down",
    source: "slack",
    requiredApprovals: 2,
    approvals: [],
    decisions: [],
    expiresAt: 1_000_000,
    createdAt: 0,
    updatedAt: 0,
    rto: { requestedAt: 0 },
    tierRtoMs: 7_200_000,
    tierRpoMs: 900_000,
    version: 1,
    annotations: {},
    ...overrides,
  };
}

const attempt = (
  run: RunRecord,
  userId: string,
  extra: { eligible?: boolean; planHash?: string; now?: number } = {},
) =>
  approve({
    run,
    userId,
    eligible: extra.eligible ?? true,
    planHash: extra.planHash ?? run.plan.hash,
    now: extra.now ?? 10,
  });

describe("two-person approval", () => {
  it("approves only after the required number of distinct approvers", () => {
    const first = attempt(pendingRun(), "U0A1");
    expect(first.ok && first.run.state).toBe("pending_approval");
    if (!first.ok) return;
    const second = attempt(first.run, "U0A2");
    expect(second.ok && second.nowApproved).toBe(true);
    if (second.ok) {
      expect(second.run.state).toBe("approved");
      expect(second.run.approvals.map((a) => a.userId)).toEqual(["U0A1", "U0A2"]);
      expect(second.run.rto.approvedAt).toBe(10);
    }
  });

  it("never counts the requester", () => {
    expect(attempt(pendingRun(), "U0ONCALL")).toMatchObject({ ok: false, code: "self_approval" });
  });

  it("refuses someone who is not eligible", () => {
    expect(attempt(pendingRun(), "U0RANDOM", { eligible: false })).toMatchObject({
      ok: false,
      code: "not_eligible",
    });
  });

  it("refuses a second approval by the same person", () => {
    const first = attempt(pendingRun(), "U0A1");
    if (!first.ok) throw new Error("first approval refused");
    expect(attempt(first.run, "U0A1")).toMatchObject({ ok: false, code: "already_approved" });
  });

  it("refuses after expiry", () => {
    expect(attempt(pendingRun(), "U0A1", { now: 1_000_000 })).toMatchObject({
      ok: false,
      code: "approval_expired",
    });
  });

  it("refuses an approval of a plan other than the current one", () => {
    expect(attempt(pendingRun(), "U0A1", { planHash: "plan-0" })).toMatchObject({
      ok: false,
      code: "plan_changed",
    });
  });

  it("refuses decisions on a rejected request", () => {
    const rejected = reject({ run: pendingRun(), userId: "U0A1", eligible: true, now: 5, note: "not yet" });
    expect(rejected.ok && rejected.run.state).toBe("rejected");
    if (rejected.ok)
      expect(attempt(rejected.run, "U0A2")).toMatchObject({ ok: false, code: "already_decided" });
  });

  it("lets the requester withdraw but not a stranger reject", () => {
    expect(reject({ run: pendingRun(), userId: "U0ONCALL", eligible: false, now: 5 }).ok).toBe(true);
    expect(reject({ run: pendingRun(), userId: "U0RANDOM", eligible: false, now: 5 })).toMatchObject({
      ok: false,
      code: "not_eligible",
    });
  });

  it("voids approvals when the plan drifts", () => {
    const run = pendingRun({ state: "approved", approvals: [{ userId: "U0A1", at: 1, planHash: "plan-1" }] });
    const next = voidApprovalsForDrift(run, { ...run.plan, hash: "plan-2" }, 100, 1000, "lag above RPO");
    expect(next).toMatchObject({ state: "pending_approval", approvals: [], expiresAt: 1100 });
    expect(next.plan.hash).toBe("plan-2");
  });

  it("denies by default: empty approver lists mean nobody", () => {
    expect(isEligible({ users: [], groups: [] }, "U0A1", ["S0CMD"])).toBe(false);
    expect(isEligible({ users: [], groups: ["S0CMD"] }, "U0X", ["S0CMD"])).toBe(true);
  });

  it("needs every approver to accept a data loss beyond the RPO, and records that they did", () => {
    const run = pendingRun({
      rpoRisk: { exposureMs: 7_200_000, targetMs: 900_000, tier: "tier1", source: "pg", unknown: [] },
    });
    const refused = attempt(run, "U0A1");
    expect(refused).toMatchObject({ ok: false, code: "data_loss_not_accepted" });
    expect(!refused.ok && refused.message).toContain(
      "2h of data (newest recovery point of pg), beyond the tier1 RPO of 15m",
    );
    const accepted = approve({
      run,
      userId: "U0A1",
      eligible: true,
      planHash: "plan-1",
      now: 5,
      acceptsDataLoss: true,
    });
    expect(accepted.ok && accepted.run.approvals).toEqual([
      { userId: "U0A1", at: 5, planHash: "plan-1", acceptedDataLoss: true },
    ]);
  });
});

import type { Principals } from "./config.js";
import { formatMs } from "./duration.js";
import type { DrErrorCode } from "./errors.js";
import type { RpoRisk, RunRecord } from "./run.js";

/**
 * The two-person rule (PRODUCT.md section 5) as a pure decision: given a run, who clicked, whether
 * they are eligible, the plan hash they saw and the time, either the next run record or a refusal.
 * Nothing here reads a clock, Slack or Redis.
 */

/** Deny by default: an empty list means nobody, never "anyone". */
export function isEligible(principals: Principals, userId: string, userGroups: readonly string[]): boolean {
  if (principals.users.includes(userId)) return true;
  return userGroups.some((g) => principals.groups.includes(g));
}

export type ApprovalRefusal = { ok: false; code: DrErrorCode; message: string };
export type ApprovalOutcome = { ok: true; run: RunRecord; nowApproved: boolean } | ApprovalRefusal;

export interface ApprovalAttempt {
  run: RunRecord;
  userId: string;
  eligible: boolean;
  /** The plan hash shown to the approver (on the card, or `--plan` in the CLI). */
  planHash: string;
  now: number;
  /** The approver saw the data-loss warning and accepted it (required when the run has an rpoRisk). */
  acceptsDataLoss?: boolean;
}

export function checkDecisionAllowed(run: RunRecord, now: number): ApprovalRefusal | undefined {
  if (run.state === "expired" || (run.state === "pending_approval" && now >= run.expiresAt)) {
    return {
      ok: false,
      code: "approval_expired",
      message: `request ${run.id} expired at ${new Date(run.expiresAt).toISOString()}; start a new request`,
    };
  }
  if (run.state !== "pending_approval") {
    return {
      ok: false,
      code: "already_decided",
      message: `request ${run.id} is no longer waiting for approval (it is ${run.state})`,
    };
  }
  return undefined;
}

export function approve({
  run,
  userId,
  eligible,
  planHash,
  now,
  acceptsDataLoss,
}: ApprovalAttempt): ApprovalOutcome {
  const closed = checkDecisionAllowed(run, now);
  if (closed) return closed;
  if (userId === run.requestedBy) {
    return {
      ok: false,
      code: "self_approval",
      message: "you requested this run; approval must come from someone else",
    };
  }
  if (!eligible) {
    return { ok: false, code: "not_eligible", message: `you are not an approver for ${run.kind} runs` };
  }
  if (planHash !== run.plan.hash) {
    return {
      ok: false,
      code: "plan_changed",
      message: "the plan changed since this card was shown; review the new plan and approve that",
    };
  }
  if (run.approvals.some((a) => a.userId === userId)) {
    return { ok: false, code: "already_approved", message: "you already approved this run" };
  }
  if (run.rpoRisk && !acceptsDataLoss) {
    return {
      ok: false,
      code: "data_loss_not_accepted",
      message: `this ${run.kind} would lose ${describeRpoRisk(run.rpoRisk)}; approve it with the button (or --accept-data-loss) that accepts this loss`,
    };
  }
  const approvals = [
    ...run.approvals,
    { userId, at: now, planHash, ...(run.rpoRisk ? { acceptedDataLoss: true } : {}) },
  ];
  const nowApproved = approvals.length >= run.requiredApprovals;
  return {
    ok: true,
    nowApproved,
    run: {
      ...run,
      approvals,
      decisions: [...run.decisions, { userId, at: now, decision: "approved" }],
      state: nowApproved ? "approved" : run.state,
      rto: nowApproved ? { ...run.rto, approvedAt: now } : run.rto,
      updatedAt: now,
      version: run.version + 1,
    },
  };
}

export function reject({
  run,
  userId,
  eligible,
  now,
  note,
}: Omit<ApprovalAttempt, "planHash"> & { note?: string }): ApprovalOutcome {
  const closed = checkDecisionAllowed(run, now);
  if (closed) return closed;
  // The requester may withdraw their own request; anyone else must be an approver.
  if (userId !== run.requestedBy && !eligible) {
    return { ok: false, code: "not_eligible", message: `you are not an approver for ${run.kind} runs` };
  }
  return {
    ok: true,
    nowApproved: false,
    run: {
      ...run,
      state: "rejected",
      stateReason: `rejected by ${userId}${note ? `: ${note}` : ""}`,
      decisions: [...run.decisions, { userId, at: now, decision: "rejected", ...(note ? { note } : {}) }],
      updatedAt: now,
      version: run.version + 1,
    },
  };
}

/** Approvals are void when the plan recomputed before start differs from the one approved. */
export function voidApprovalsForDrift(
  run: RunRecord,
  newPlan: RunRecord["plan"],
  now: number,
  expiryMs: number,
  reason: string,
): RunRecord {
  return {
    ...run,
    plan: newPlan,
    state: "pending_approval",
    stateReason: `approvals voided: ${reason}`,
    approvals: [],
    expiresAt: now + expiryMs,
    rto: { ...run.rto, approvedAt: undefined },
    updatedAt: now,
    version: run.version + 1,
  };
}

/** "2h 5m of data (source velero-daily), beyond the tier-1 RPO of 15m" in plain words. */
export function describeRpoRisk(risk: RpoRisk): string {
  const late = (risk.late ?? []).filter((entry) => !(risk.source && entry.startsWith(`${risk.source} (`)));
  const lateText = late.length > 0 ? `late: ${late.join("; ")}` : "";
  if (risk.exposureMs === undefined)
    return `an unknown amount of data (${risk.unknown.join(", ") || "a source"} could not be read)${lateText ? `; ${lateText}` : ""}`;
  if (risk.exposureMs > risk.targetMs || !risk.late?.length)
    return `${formatMs(risk.exposureMs)} of data${risk.source ? ` (newest recovery point of ${risk.source})` : ""}, beyond the ${risk.tier} RPO of ${formatMs(risk.targetMs)}${lateText ? `; ${lateText}` : ""}`;
  return `more than its design allows: late: ${risk.late.join("; ")}`;
}

export function approvalsMissing(run: RunRecord): number {
  return Math.max(0, run.requiredApprovals - run.approvals.length);
}

import { describeRpoRisk } from "../approval.js";
import { dataLossWorsened } from "../data-loss.js";
import { DrError, describeError } from "../errors.js";
import type { Proof } from "../evidence/proof.js";
import { type Actor, refusePermission } from "../permissions.js";
import {
  describeNotReady,
  needsReadinessAcceptance,
  type RunReadiness,
  readinessWorsened,
} from "../readiness/run-readiness.js";
import type { Approval, Plan, RpoRisk, RunRecord } from "../run.js";
import { enter, type MoveContext, note, type RunChange, type RunMove, runEvent } from "./run-change.js";

/**
 * The two-person rule (PRODUCT.md section 5) as moves: approve and reject a request. Who may decide
 * is src/domain/permissions.ts; whether the request can still be decided, and what the decision
 * does to it, is here.
 */

export interface ApproveInput {
  actor: Actor;
  /** The plan hash shown to the approver (on the card, or `--plan` in the CLI). */
  planHash: string;
  /** The approver saw the data-loss warning and accepted it (required when the run has an rpoRisk). */
  acceptsDataLoss?: boolean;
  /** The approver saw the not-ready findings and accepted them (required when the scope is not ready). */
  acceptsNotReady?: boolean;
  /**
   * Computes the plan again from today's configuration and runbooks; called only for the last
   * approval, which is written only if the plan is still the one approved. Throws when it cannot.
   */
  replan: () => Plan;
  /** A fresh approval window for a request whose approvals the drift voided. */
  expiryMs: number;
  /** Who approved, provably (src/domain/evidence/proof.ts): kept with the approval. */
  proof?: Proof;
  /**
   * The data at risk read again as this approval arrived: given only for the last approval needed of
   * a run that could lose data (undefined risk: within the RPO now). Worse than what was accepted, or
   * unknown, and the approvals are void (src/domain/data-loss.ts).
   */
  fresh?: { risk: RpoRisk | undefined };
  /**
   * The scope's readiness read again as the last approval arrived (undefined: not read). Not ready
   * where approvers did not accept it, or worse than accepted, and the approvals are void.
   */
  freshReadiness?: RunReadiness;
}

export interface RejectInput {
  actor: Actor;
  note?: string;
}

/** Refuses a decision on a request that expired or is no longer waiting for one. */
export function refuseClosedDecision(run: RunRecord, now: number): DrError | undefined {
  if (run.state === "expired" || (run.state === "pending_approval" && now >= run.expiresAt))
    return new DrError(
      "approval_expired",
      `request ${run.id} expired at ${new Date(run.expiresAt).toISOString()}; start a new request`,
    );
  if (run.state !== "pending_approval")
    return new DrError(
      "already_decided",
      `request ${run.id} is no longer waiting for approval (it is ${run.state})`,
    );
  return undefined;
}

/**
 * Records one approval. The last one needed approves the run, but only for the plan people saw:
 * the plan is computed again first, inside the same write. If it drifted, the approvals are void and
 * the new plan waits for fresh ones; if it cannot be computed, the run keeps waiting with the reason
 * and the approver is told why. Either way nothing can start the old plan.
 */
export function approveRun(run: RunRecord, input: ApproveInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const refusal =
    refuseClosedDecision(run, now) ??
    refusePermission("approve", input.actor, run) ??
    refuseApproval(run, input);
  if (refusal) return refusal;
  const approval: Approval = {
    userId: ctx.actor,
    at: now,
    planHash: input.planHash,
    ...(run.rpoRisk ? { acceptedDataLoss: true } : {}),
    ...(needsReadinessAcceptance(run) ? { acceptedNotReady: true } : {}),
    ...(input.proof ? { proof: input.proof } : {}),
  };
  const approvals = [...run.approvals, approval];
  const decisions = [...run.decisions, { userId: ctx.actor, at: now, decision: "approved" as const }];
  const counted = (state: RunRecord["state"]) => ({
    approvals: approvals.length,
    required: run.requiredApprovals,
    state,
    ...(run.rpoRisk ? { acceptedDataLoss: true } : {}),
    ...(needsReadinessAcceptance(run) ? { acceptedNotReady: true } : {}),
  });
  if (approvals.length < run.requiredApprovals)
    return note(run, ctx, { approvals, decisions }, "run.approval", counted(run.state));

  let fresh: Plan;
  try {
    fresh = input.replan();
  } catch (error) {
    const reason = `the plan cannot be computed again (${describeError(error)}); approvals wait until it can`;
    return {
      ...note(run, ctx, { stateReason: reason }, "run.state", { state: run.state, reason }),
      refusal: new DrError("plan_unavailable", `${reason}. Your approval was not recorded.`),
    };
  }
  if (fresh.hash !== run.plan.hash) return voidApprovals(run, ctx, input, { plan: fresh, why: "plan drift" });
  const worse = input.fresh ? dataLossWorsened(run.rpoRisk, input.fresh.risk) : undefined;
  if (worse && input.fresh)
    return voidApprovals(run, ctx, input, {
      risk: input.fresh.risk,
      why: `the data at risk changed: ${worse}`,
    });
  const notReady =
    input.freshReadiness && needsReadinessAcceptance({ ...run, readiness: input.freshReadiness })
      ? readinessWorsened(run.readiness, input.freshReadiness)
      : undefined;
  if (notReady && input.freshReadiness)
    return voidApprovals(run, ctx, input, {
      readiness: input.freshReadiness,
      why: `the readiness changed: ${notReady}`,
    });
  return enter(run, "approved", ctx, {
    patch: { approvals, decisions, rto: { ...run.rto, approvedAt: now } },
    type: "run.approval",
    data: counted("approved"),
  });
}

/**
 * Voids every approval of a request that changed under them (its plan drifted, or the data at risk
 * grew): the request waits, with a fresh window, for approvals of what it is now.
 */
function voidApprovals(
  run: RunRecord,
  ctx: MoveContext,
  input: ApproveInput,
  change: { plan?: Plan; risk?: RpoRisk | undefined; readiness?: RunReadiness; why: string },
): RunChange {
  const plan = change.plan ?? run.plan;
  const reason = change.plan
    ? "approvals voided: the plan changed before the run started"
    : `approvals voided: ${change.why}`;
  // Steps a new plan adds get their records now: nothing has run, every step is yet to start.
  const known = new Set(run.plan.steps.map((s) => s.id));
  const added = plan.steps
    .filter((s) => !known.has(s.id))
    .map((s) => ({
      record: { id: s.id, status: "not_started" as const, attempts: 0 },
      event: runEvent(run, ctx, "step.state", { status: "not_started", planHash: plan.hash }, s.id),
    }));
  const risk = "risk" in change ? change.risk : run.rpoRisk;
  const voided = note(
    run,
    ctx,
    {
      plan,
      stateReason: reason,
      approvals: [],
      rpoRisk: risk,
      ...(change.readiness ? { readiness: change.readiness } : {}),
      expiresAt: ctx.now + input.expiryMs,
      rto: { ...run.rto, approvedAt: undefined },
    },
    "run.state",
    {
      state: run.state,
      reason: change.plan ? "plan drift" : change.why,
      planHash: plan.hash,
      voided: run.approvals.map((a) => a.userId),
    },
  );
  return { ...voided, steps: added };
}

function refuseApproval(run: RunRecord, input: ApproveInput): DrError | undefined {
  if (input.planHash !== run.plan.hash)
    return new DrError(
      "plan_changed",
      "the plan changed since this card was shown; review the new plan and approve that",
    );
  if (run.approvals.some((a) => a.userId === input.actor.userId))
    return new DrError("already_approved", "you already approved this run");
  if (run.rpoRisk && input.acceptsDataLoss !== true)
    return new DrError(
      "data_loss_not_accepted",
      `this ${run.kind} would lose ${describeRpoRisk(run.rpoRisk)}, and an approval must accept that loss explicitly`,
    );
  if (needsReadinessAcceptance(run) && run.readiness && input.acceptsNotReady !== true)
    return new DrError(
      "not_ready_not_accepted",
      `the DR site is not ready to serve this scope (${describeNotReady(run.readiness)}), and an approval must accept that explicitly`,
    );
  return undefined;
}

/** Ends a request: by an approver, or withdrawn by its requester. */
export function rejectRun(run: RunRecord, input: RejectInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const refusal = refuseClosedDecision(run, now) ?? refusePermission("reject", input.actor, run);
  if (refusal) return refusal;
  return enter(run, "rejected", ctx, {
    reason: `rejected by ${ctx.actor}${input.note ? `: ${input.note}` : ""}`,
    patch: {
      decisions: [
        ...run.decisions,
        { userId: ctx.actor, at: now, decision: "rejected", ...(input.note ? { note: input.note } : {}) },
      ],
    },
    data: { by: ctx.actor },
  });
}

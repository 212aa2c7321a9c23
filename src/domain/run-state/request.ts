import { DrError } from "../errors.js";
import type { RunRecord } from "../run.js";
import { enter, type MoveContext, type RunChange, type RunMove, runEvent } from "./run-change.js";
import type { INITIAL_STATES } from "./states.js";

/** A request before it has a state: everything the request use case gathered (plan, scope, RPO). */
export type RunDraft = Omit<RunRecord, "state" | "stateReason">;

/**
 * A new run: waiting for its approvals, or approved at once when its runbook needs none (the
 * calendar's backup verifications). Who may request is checked before the draft is built
 * (src/domain/permissions.ts, action "request").
 */
export function openRun(draft: RunDraft, ctx: MoveContext): RunChange {
  const state: (typeof INITIAL_STATES)[number] =
    draft.requiredApprovals > 0 ? "pending_approval" : "approved";
  const run: RunRecord = {
    ...draft,
    state,
    rto: { ...draft.rto, ...(state === "approved" ? { approvedAt: ctx.now } : {}) },
  };
  return {
    run,
    events: [
      runEvent(run, ctx, "run.requested", {
        runbook: run.runbook,
        scope: run.scope,
        planHash: run.plan.hash,
        reason: run.reason,
        source: run.source,
        required: run.requiredApprovals,
      }),
    ],
  };
}

/** A request nobody decided before its expiry ends; drbot's supervisor sweeps them. */
export function expireRun(run: RunRecord, now: number): RunMove {
  if (run.state !== "pending_approval")
    return new DrError(
      "already_decided",
      `request ${run.id} is no longer waiting for approval (${run.state})`,
    );
  if (now < run.expiresAt)
    return new DrError(
      "invalid_state",
      `request ${run.id} does not expire before ${new Date(run.expiresAt).toISOString()}`,
    );
  return enter(run, "expired", { actor: "drbot", now }, { reason: "no decision before the approval expiry" });
}

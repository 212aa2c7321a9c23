import { dataLossKey } from "../domain/data-loss.js";
import { refusePermission } from "../domain/permissions.js";
import { needsReadinessAcceptance, readinessKey } from "../domain/readiness/run-readiness.js";
import type { RunRecord } from "../domain/run.js";
import { approveRun, refuseClosedDecision, rejectRun } from "../domain/run-state/decide.js";
import { requestedTargets } from "../domain/scope.js";
import type { Witness } from "../ports/evidence.js";
import type { AppContext } from "./app-context.js";
import { releaseScopeOf } from "./claim-scope.js";
import type { ControlRequest } from "./control-run.js";
import { proveAction } from "./prove-action.js";
import { readDataLoss } from "./read-data-loss.js";
import { readRunReadiness } from "./read-readiness.js";
import { readServing } from "./read-serving.js";
import { cleanReason } from "./request-run.js";

export interface ApproveInput {
  actor: string;
  runId: string;
  planHash: string;
  /** The approver accepts a data loss beyond the tier's RPO (required when the run has an rpoRisk). */
  acceptsDataLoss?: boolean;
  /** The approver accepts approving a scope that is not ready (required when the run's readiness is). */
  acceptsNotReady?: boolean;
  /** The approver's proof: Slack's signed click, or a signer of their SSH key (the CLI). */
  witness?: Witness;
}

/**
 * An approver approves a request, proven (src/ports/evidence.ts): the proof names the run, the plan
 * and the data-loss reading accepted, and is kept with the approval. The last approval needed is
 * written only for the plan people saw and the data they accepted to lose: the exposure is read
 * again first, and the plan computed again inside the same compare-and-set
 * (src/domain/run-state/decide.ts), so a drifted plan or a worse (or unknown) exposure voids the
 * approvals, and a plan that cannot be computed keeps the request waiting. A scope that is not ready
 * is accepted the same way: its readiness is read again at the last approval, and not ready where
 * approvers did not accept it voids the approvals.
 */
export async function approveRequest(
  ctx: AppContext,
  input: ApproveInput,
): Promise<{ run: RunRecord; started: boolean }> {
  const current = await ctx.writer.load(input.runId);
  // A request no longer waiting is refused as such, whatever the proof: that is what the person needs to hear.
  const closed = refuseClosedDecision(current, ctx.clock.now());
  if (closed) throw await ctx.writer.refuse(current.id, input.actor, closed);
  const proof = await proveAction(
    ctx,
    current.id,
    {
      actor: input.actor,
      action: "approve",
      run: current,
      ...(input.acceptsDataLoss && current.rpoRisk ? { acceptsDataLoss: dataLossKey(current.rpoRisk) } : {}),
      ...(input.acceptsNotReady && current.readiness && needsReadinessAcceptance(current)
        ? { acceptsNotReady: readinessKey(current.readiness) }
        : {}),
    },
    input.witness,
  );
  const actor = await ctx.actors.of(input.actor, current.kind, { role: "approver" });
  // The plan is computed again as the request computed it: from where its applications are served.
  const serving = await readServing(ctx);
  const last =
    current.state === "pending_approval" && current.approvals.length + 1 >= current.requiredApprovals;
  const [fresh, freshReadiness] = last
    ? await Promise.all([
        readDataLoss(ctx, current, "approve.rpo"),
        readRunReadiness(ctx, current.scope.applications, "approve.readiness"),
      ])
    : [undefined, undefined];
  const couldLoseData = ctx.readRpo !== undefined && current.kind === "failover" && current.mode === "real";
  const run = await ctx.writer.apply(input.runId, input.actor, (r, now) =>
    approveRun(
      r,
      {
        actor,
        planHash: input.planHash,
        acceptsDataLoss: input.acceptsDataLoss === true,
        acceptsNotReady: input.acceptsNotReady === true,
        replan: () =>
          ctx.plans.plan({
            runbook: r.runbook,
            targets: requestedTargets(r.scope),
            withShared: r.scope.shared !== undefined,
            mode: r.mode,
            pins: r.plan.pins,
            serving,
          }),
        expiryMs: ctx.plans.expiryMs(r.runbook),
        ...(proof ? { proof } : {}),
        ...(fresh && couldLoseData ? { fresh: { risk: fresh.risk } } : {}),
        ...(freshReadiness ? { freshReadiness } : {}),
      },
      now,
    ),
  );
  if (run.state !== "approved") return { run, started: false };
  ctx.driver.start(run.id, "approve.start");
  return { run, started: true };
}

/** An approver rejects a request, or its requester withdraws it, proven; the scope is free again. */
export async function rejectRequest(
  ctx: AppContext,
  input: ControlRequest & { note?: string },
): Promise<RunRecord> {
  const current = await ctx.writer.load(input.runId);
  const note = input.note ? cleanReason(input.note) : undefined;
  await proveAction(
    ctx,
    current.id,
    { actor: input.actor, action: "reject", run: current, ...(note ? { reason: note } : {}) },
    input.witness,
  );
  const actor = await ctx.actors.of(input.actor, current.kind, { role: "approver" });
  const run = await ctx.writer.apply(input.runId, input.actor, (r, now) =>
    rejectRun(r, { actor, ...(note ? { note } : {}) }, now),
  );
  await releaseScopeOf(ctx, run);
  return run;
}

/**
 * Whether `actor` may reject the run now (it still waits for approvals, and they are an approver or
 * its requester), before they are asked why: a refusal is audited and thrown, nothing else changes.
 */
export async function checkReject(
  ctx: AppContext,
  input: { actor: string; runId: string },
): Promise<RunRecord> {
  const run = await ctx.writer.load(input.runId);
  const actor = await ctx.actors.of(input.actor, run.kind, { role: "approver" });
  const refusal = refuseClosedDecision(run, ctx.clock.now()) ?? refusePermission("reject", actor, run);
  if (refusal) throw await ctx.writer.refuse(run.id, input.actor, refusal);
  return run;
}

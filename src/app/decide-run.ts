import type { RunRecord } from "../domain/run.js";
import { approveRun, rejectRun } from "../domain/run-state/decide.js";
import { requestedTargets } from "../domain/scope.js";
import type { AppContext } from "./app-context.js";
import { releaseScopeOf } from "./claim-scope.js";
import { readServing } from "./read-serving.js";
import { cleanReason } from "./request-run.js";

export interface ApproveInput {
  actor: string;
  runId: string;
  planHash: string;
  /** The approver accepts a data loss beyond the tier's RPO (required when the run has an rpoRisk). */
  acceptsDataLoss?: boolean;
}

/**
 * An approver approves a request. The last approval needed is written only for the plan people saw:
 * the plan is computed again inside the same compare-and-set (src/domain/run-state/decide.ts), so a
 * drifted plan voids the approvals and a plan that cannot be computed keeps the request waiting.
 */
export async function approveRequest(
  ctx: AppContext,
  input: ApproveInput,
): Promise<{ run: RunRecord; started: boolean }> {
  const current = await ctx.writer.load(input.runId);
  const actor = await ctx.actors.of(input.actor, current.kind, { role: "approver" });
  // The plan is computed again as the request computed it: from where its applications are served.
  const serving = await readServing(ctx);
  const run = await ctx.writer.apply(input.runId, input.actor, (r, now) =>
    approveRun(
      r,
      {
        actor,
        planHash: input.planHash,
        acceptsDataLoss: input.acceptsDataLoss === true,
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
      },
      now,
    ),
  );
  if (run.state !== "approved") return { run, started: false };
  ctx.driver.start(run.id, "approve.start");
  return { run, started: true };
}

/** An approver rejects a request, or its requester withdraws it; the scope is free again. */
export async function rejectRequest(
  ctx: AppContext,
  input: { actor: string; runId: string; note?: string },
): Promise<RunRecord> {
  const current = await ctx.writer.load(input.runId);
  const actor = await ctx.actors.of(input.actor, current.kind, { role: "approver" });
  const note = input.note ? cleanReason(input.note) : undefined;
  const run = await ctx.writer.apply(input.runId, input.actor, (r, now) =>
    rejectRun(r, { actor, ...(note ? { note } : {}) }, now),
  );
  await releaseScopeOf(ctx, run);
  return run;
}

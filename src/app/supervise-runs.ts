import { isDrError } from "../domain/errors.js";
import type { RunRecord } from "../domain/run.js";
import { expireRun } from "../domain/run-state/request.js";
import { isExecuting } from "../domain/run-state/states.js";
import type { AppContext } from "./app-context.js";
import { releaseScopeOf } from "./claim-scope.js";
import { activeRuns } from "./read-runs.js";
import { passRequestKey } from "./run-driver.js";

/** Who sweeps expired requests: drbot itself. */
const SUPERVISOR = "drbot";

/**
 * Housekeeping every drbot process runs periodically: requests past their expiry become `expired`,
 * executing runs with no live executor (it died, its lease lapsed) are taken over, and a run parked
 * for a person whose act reached a draining process is judged here.
 */
export async function supervise(ctx: AppContext): Promise<{ expired: string[]; driven: string[] }> {
  const expired: string[] = [];
  const driven: string[] = [];
  for (const run of await activeRuns(ctx)) {
    if (run.state === "pending_approval" && ctx.clock.now() >= run.expiresAt) {
      if (await expire(ctx, run)) expired.push(run.id);
    } else if (isExecuting(run.state) && !(await ctx.store.leaseHolder(run.id))) {
      driven.push(run.id);
      ctx.driver.start(run.id, "supervise.take-over");
    } else if (run.state === "waiting_manual" && (await passRequested(ctx, run.id))) {
      driven.push(run.id);
      ctx.driver.start(run.id, "supervise.requested-pass");
    }
  }
  return { expired, driven };
}

/**
 * A run parked for a person is driven only when a person acts; when the process that took the act
 * was draining, it asked here instead (src/app/run-driver.ts). Taken once, by whoever sees it first.
 */
async function passRequested(ctx: AppContext, runId: string): Promise<boolean> {
  if (!(await ctx.store.kvGet(passRequestKey(runId)))) return false;
  if (await ctx.store.leaseHolder(runId)) return false;
  await ctx.store.kvDelete(passRequestKey(runId));
  return true;
}

/** Expires one request; false when someone decided it first (the expiry is then not needed). */
async function expire(ctx: AppContext, run: RunRecord): Promise<boolean> {
  try {
    const done = await ctx.writer.apply(run.id, SUPERVISOR, (r, now) => expireRun(r, now));
    await releaseScopeOf(ctx, done);
    return true;
  } catch (err) {
    // A decision that landed first is the normal race; anything else is worth a line in the log.
    if (!isDrError(err, "already_decided") && !isDrError(err, "invalid_state"))
      ctx.log.warn("could not expire a request; the next pass tries again", {
        operation: "supervise.expire",
        runId: run.id,
        err,
      });
    return false;
  }
}

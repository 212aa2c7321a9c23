import { shownRun } from "../domain/evidence/shown-proof.js";
import { isTerminal, type RunEvent, type RunRecord, type StepRecord } from "../domain/run.js";
import type { AppContext } from "./app-context.js";

/**
 * The reads of runs every surface shows: one run, recent runs, active runs, the audit trail. A run
 * shown to people carries its proofs without Slack's response_url and trigger_id (shownRun); the
 * store keeps them whole, for the engine's check.
 */

export async function showRun(
  ctx: AppContext,
  runId: string,
): Promise<{ run: RunRecord; steps: Map<string, StepRecord>; events: RunEvent[] }> {
  const run = await ctx.writer.load(runId);
  const [steps, events] = await Promise.all([ctx.store.getSteps(runId), ctx.store.readEvents(runId)]);
  return { run: shownRun(run), steps, events };
}

export async function recentRuns(ctx: AppContext, limit = 20): Promise<RunRecord[]> {
  return (await ctx.store.listRuns({ limit })).map(shownRun);
}

/** The runs not yet ended, as stored (the supervisor drives them; status shows them through shownRun). */
export async function activeRuns(ctx: AppContext): Promise<RunRecord[]> {
  const ids = await ctx.store.listActiveRunIds();
  const runs = await Promise.all(ids.map((id) => ctx.store.getRun(id)));
  return runs.filter((r): r is RunRecord => r !== undefined && !isTerminal(r.state));
}

/** The newest refusals that belong to no run's trail (bad input, people with no role on the run). */
export async function auditTrail(ctx: AppContext, limit = 100): Promise<RunEvent[]> {
  return ctx.store.readAudit({ limit });
}

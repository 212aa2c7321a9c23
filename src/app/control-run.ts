import type { Actor } from "../domain/permissions.js";
import type { RunRecord } from "../domain/run.js";
import { abortRun, pauseRun, resumeRun } from "../domain/run-state/control.js";
import { isTerminal } from "../domain/run-state/states.js";
import { skipStep } from "../domain/run-state/steps.js";
import type { ExpectedAction, Witness } from "../ports/evidence.js";
import type { AppContext } from "./app-context.js";
import { releaseScopeOf } from "./claim-scope.js";
import { proveAction } from "./prove-action.js";
import { cleanReason } from "./request-run.js";
import type { Decide } from "./run-writer.js";

/**
 * An operator's controls of a run: abort, pause, resume, skip. The rules are the state machine's
 * (src/domain/run-state/control.ts and steps.ts); here the run is read, changed through the run
 * writer, and driven again so the executor acts on the change.
 */

export interface ControlRequest {
  actor: string;
  runId: string;
  /** The person's proof: Slack's signed request, or a signer of their SSH key (the CLI). */
  witness?: Witness;
}

/**
 * Aborts a run. A request still waiting for approval is withdrawn at once; an executing run is
 * asked to stop (its executor acts within a second) and, if nobody executes it, driven here to stop.
 */
export async function abort(ctx: AppContext, input: ControlRequest & { note?: string }): Promise<RunRecord> {
  const note = input.note ? cleanReason(input.note) : undefined;
  const run = await change(
    ctx,
    input,
    (actor) => (r, now) => abortRun(r, { actor, ...(note ? { note } : {}) }, now),
    { proves: { action: "abort", ...(note ? { reason: note } : {}) } },
  );
  if (isTerminal(run.state)) {
    await releaseScopeOf(ctx, run);
    return run;
  }
  return driveAndRead(ctx, run, "abort.drive");
}

/** Asks the executor of a running run to pause at the next step boundary. */
export async function pause(ctx: AppContext, input: ControlRequest): Promise<RunRecord> {
  return change(ctx, input, (actor) => (r, now) => pauseRun(r, { actor }, now), {
    proves: { action: "pause" },
  });
}

/** Resumes a paused run: failed steps that paused it run again. Changing production needs an approver. */
export async function resume(ctx: AppContext, input: ControlRequest): Promise<RunRecord> {
  const run = await change(ctx, input, (actor) => (r, now, steps) => resumeRun(r, { actor, steps }, now), {
    withSteps: true,
    proves: { action: "resume" },
  });
  return driveAndRead(ctx, run, "resume.drive");
}

/**
 * Skips a failed step, or a step of a paused run, as a decision with its reason by an approver other
 * than the requester (src/domain/run-state/steps.ts); a run paused on it goes on.
 */
export async function skip(
  ctx: AppContext,
  input: ControlRequest & { stepId: string; reason: string },
): Promise<RunRecord> {
  const reason = cleanReason(input.reason);
  const run = await change(
    ctx,
    input,
    (actor) => (r, now, steps) => skipStep(r, { actor, stepId: input.stepId, steps, reason }, now),
    { withSteps: true, proves: { action: "skip", step: input.stepId, reason } },
  );
  return driveAndRead(ctx, run, "skip.drive");
}

/**
 * Reads the run, proves who is acting (`proves`: the action as they sign it), resolves their roles
 * for the run's kind, and applies the state machine's move.
 */
export async function change(
  ctx: AppContext,
  input: ControlRequest,
  decide: (actor: Actor) => Decide,
  options: { withSteps?: boolean; proves: Omit<ExpectedAction, "actor" | "run"> },
): Promise<RunRecord> {
  const current = await ctx.writer.load(input.runId);
  await proveAction(ctx, current.id, { ...options.proves, actor: input.actor, run: current }, input.witness);
  const actor = await ctx.actors.of(input.actor, current.kind, { role: "approver" });
  return ctx.writer.apply(input.runId, input.actor, decide(actor), options);
}

/** Drives the run so its executor acts on the change, and answers with the run as it is now. */
export async function driveAndRead(ctx: AppContext, run: RunRecord, operation: string): Promise<RunRecord> {
  ctx.driver.soon(run.id, operation);
  return (await ctx.store.getRun(run.id)) ?? run;
}

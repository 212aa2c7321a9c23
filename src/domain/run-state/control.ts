import { DrError } from "../errors.js";
import { type Actor, refusePermission } from "../permissions.js";
import type { Decision, RunRecord, StepRecord } from "../run.js";
import { enter, type MoveContext, note, type RunMove, runEvent, type StepWrite } from "./run-change.js";
import { isDrivable, isTerminal, PAUSED_STATES } from "./states.js";

/**
 * An operator's controls of a run: abort, pause and resume. A run an executor holds is asked (its
 * executor acts within a second, src/domain/run-state/execute.ts); any other run is changed here.
 */

export interface ControlInput {
  actor: Actor;
  note?: string;
}

/**
 * Aborts a run. A request still waiting for approval is aborted at once; a run an executor holds is
 * asked to stop, and its executor undoes what the run did (src/engine/compensate-run.ts) and aborts
 * it. A paused run whose runbook says how to undo or clean up (undo clauses, `always` steps) goes
 * back to an executor to do that before it ends; one with nothing to undo is aborted at once. A run
 * waiting for a person goes back to running with the abort on it: no executor holds a waiting run,
 * so the abort must not wait on it for a person's tick; running, any executor takes it over (the
 * supervisor drives a running run nobody holds) and carries the abort out, and one judging the
 * waiting step at that moment sees the abort when it settles.
 */
export function abortRun(run: RunRecord, input: ControlInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const refusal = refusePermission("abort", input.actor, run) ?? refuseEnded(run);
  if (refusal) return refusal;
  const withNote = input.note ? { note: input.note } : {};
  const decisions: Decision[] = [
    ...run.decisions,
    { userId: ctx.actor, at: now, decision: "aborted", ...withNote },
  ];
  const waiting = run.state === "waiting_manual";
  if (waiting || (PAUSED_STATES.has(run.state) && hasCompensation(run))) {
    const control = { action: "abort" as const, userId: ctx.actor, at: now, ...withNote };
    const then = hasCompensation(run) ? "undoing what the run did" : "ending it";
    return enter(run, "running", ctx, {
      reason: `aborted by ${ctx.actor}${input.note ? `: ${input.note}` : ""}; ${then}`,
      patch: { control, decisions },
      data: { by: ctx.actor, control: "abort" },
    });
  }
  if (isDrivable(run.state))
    return note(
      run,
      ctx,
      { control: { action: "abort", userId: ctx.actor, at: now, ...withNote }, decisions },
      "run.state",
      { state: run.state, control: "abort", by: ctx.actor },
    );
  return enter(run, "aborted", ctx, {
    reason: `aborted by ${ctx.actor}${input.note ? `: ${input.note}` : ""}`,
    patch: { decisions },
    data: { by: ctx.actor },
  });
}

/** Asks the executor of a running run to pause at the next step boundary. */
export function pauseRun(run: RunRecord, input: ControlInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const refusal = refusePermission("pause", input.actor, run);
  if (refusal) return refusal;
  if (run.state !== "running" && run.state !== "waiting_manual")
    return new DrError("invalid_state", `run ${run.id} is ${run.state}; only a running run can be paused`);
  // A pause written over an abort not yet carried out would replace it, and the abort be lost.
  if (run.control?.action === "abort")
    return new DrError("invalid_state", `run ${run.id} is being aborted; it cannot be paused`);
  return note(
    run,
    ctx,
    {
      control: { action: "pause", userId: ctx.actor, at: now },
      decisions: [...run.decisions, { userId: ctx.actor, at: now, decision: "paused" }],
    },
    "run.note",
    { control: "pause", by: ctx.actor },
  );
}

export interface ResumeInput {
  actor: Actor;
  /** The run's step records as stored now. */
  steps: ReadonlyMap<string, StepRecord>;
}

/**
 * Resumes a paused run. The failed steps that paused it run again (those allowed to fail stay as
 * they are). Changing production needs an approver (src/domain/permissions.ts, action "resume").
 */
export function resumeRun(run: RunRecord, input: ResumeInput, now: number): RunMove {
  const ctx: MoveContext = { actor: input.actor.userId, now };
  const refusal = refusePermission("resume", input.actor, run);
  if (refusal) return refusal;
  if (!PAUSED_STATES.has(run.state))
    return new DrError("invalid_state", `run ${run.id} is ${run.state}; only a paused run can be resumed`);
  const steps: StepWrite[] = [];
  for (const step of run.plan.steps) {
    const record = input.steps.get(step.id);
    if (!record || (record.status !== "failed" && record.status !== "timed_out")) continue;
    if (step.onFailure === "continue") continue;
    steps.push({
      record: { ...record, status: "not_started", error: undefined },
      event: runEvent(run, ctx, "step.state", { status: "not_started", resumedBy: ctx.actor }, step.id),
    });
  }
  const change = enter(run, "running", ctx, {
    reason: `resumed by ${ctx.actor}`,
    patch: {
      control: undefined,
      decisions: [...run.decisions, { userId: ctx.actor, at: now, decision: "resumed" }],
    },
    data: { by: ctx.actor },
  });
  return change instanceof DrError ? change : { ...change, steps };
}

/** Whether ending the run early has work to do: a step with an undo clause, or one that always runs. */
export function hasCompensation(run: RunRecord): boolean {
  return run.plan.steps.some((s) => s.undo !== undefined || s.always === true);
}

/** Refuses an action on a run that already ended. */
export function refuseEnded(run: RunRecord): DrError | undefined {
  return isTerminal(run.state)
    ? new DrError("already_decided", `run ${run.id} already ended (${run.state})`)
    : undefined;
}

import { isStepFinished, type RunRecord } from "../domain/run.js";
import {
  abortByOperator,
  completeRun,
  completeWithExceptions,
  failRun,
  pauseByOperator,
  pauseOnFailedStep,
  waitForPerson,
} from "../domain/run-state/execute.js";
import type { MoveContext, RunMove } from "../domain/run-state/run-change.js";
import { isTerminal } from "../domain/run-state/states.js";
import { scopeLockKeys } from "../domain/scope.js";
import { compensateRun } from "./compensate-run.js";
import { refuseRun } from "./evidence-gate.js";
import type { RunExecution } from "./run-execution.js";

/**
 * Decides where the run stands once nothing is in flight, and persists it: aborted for an operator
 * or failed, each after compensation (the undo, then the `always` steps), paused on a failed step or for an operator, waiting for a person,
 * completed (with exceptions), or paused because steps cannot start. "again" when a person changed
 * the run while the executor was deciding to wait: it reads the run again and makes another pass.
 */
export async function settleRun(x: RunExecution): Promise<"settled" | "again"> {
  const { recorder } = x;
  if (x.evidenceRefusal) {
    await settleRefusal(x);
    return "settled";
  }
  // Ticks may have landed while we ran: read the steps again before deciding.
  const steps = await recorder.reloadSteps();
  const now = x.o.clock.now();
  // Decide from what is persisted, not only from this pass: a failure recorded by a previous
  // executor that died before acting on it still pauses or aborts the run.
  for (const step of recorder.run.plan.steps) {
    const record = steps.get(step.id);
    if (!record || (record.status !== "failed" && record.status !== "timed_out")) continue;
    const reason = `${step.id} ${record.status === "timed_out" ? "timed out" : "failed"}: ${record.error ?? "no detail"}`;
    if (step.onFailure === "abort") x.failReason ??= reason;
    else if (step.onFailure === "pause") x.pauseReason ??= reason;
  }
  const abort = x.controls.abort;
  if (abort) {
    const undone = await compensateRun(x);
    if (undone === "refused") await refuseRun(x);
    // "stopped": stopped half-way, the next executor carries on.
    if (undone === "done") await finish(x, (run, ctx) => abortByOperator(run, { control: abort }, ctx));
    return "settled";
  }
  const failReason = x.failReason;
  if (failReason) {
    const undone = await compensateRun(x);
    if (undone === "refused") await refuseRun(x);
    if (undone === "done") await finish(x, (run, ctx) => failRun(run, { reason: failReason }, ctx));
    return "settled";
  }
  const pauseReason = x.pauseReason;
  if (pauseReason) {
    await recorder.move((run, ctx) => pauseOnFailedStep(run, { reason: pauseReason }, ctx));
    return "settled";
  }
  const pause = x.controls.pause;
  if (pause) {
    await recorder.move((run, ctx) => pauseByOperator(run, { control: pause }, ctx));
    return "settled";
  }
  const records = recorder.run.plan.steps.map((s) => steps.get(s.id)!);
  const waitingOn = records.filter((r) => r.status === "waiting").map((r) => r.id);
  if (waitingOn.length > 0) {
    if (recorder.run.state === "waiting_manual") return (await changedSinceRead(x)) ? "again" : "settled";
    // One compare-and-set, no blind retry: if anything changed since we read (a tick bumps the
    // run's version), judge the manual steps again instead of going to sleep on stale data.
    const written = await recorder.moveOnce((run, ctx) => waitForPerson(run, { waitingOn }, ctx));
    return written === "changed" ? "again" : "settled";
  }
  if (records.every((r) => isStepFinished(r.status))) {
    const exceptions = records
      .filter((r) => r.status === "failed" || r.status === "timed_out")
      .map((r) => r.id);
    const rto: RunRecord["rto"] = {
      ...recorder.run.rto,
      activationStartedAt: recorder.run.rto.activationStartedAt ?? now,
      activationEndedAt: recorder.run.rto.activationEndedAt ?? now,
      validationEndedAt: now,
    };
    await finish(x, (run, ctx) =>
      exceptions.length > 0
        ? completeWithExceptions(run, { rto, exceptions }, ctx)
        : completeRun(run, { rto }, ctx),
    );
    return "settled";
  }
  const stuck = records.filter((r) => r.status === "not_started").map((r) => r.id);
  const reason = `steps cannot start because what they need did not succeed: ${stuck.slice(0, 10).join(", ")}`;
  await recorder.move((run, ctx) => pauseOnFailedStep(run, { reason }, ctx));
  return "settled";
}

/**
 * Whether a person changed the run since this pass read it (an abort, a tick): a run already waiting
 * is not written again, so nothing else would tell, and the executor would let go of the lease with
 * the change unseen.
 */
async function changedSinceRead(x: RunExecution): Promise<boolean> {
  const stored = await x.lease.read(() => x.o.store.getRun(x.runId));
  return stored !== undefined && stored.version !== x.recorder.run.version;
}

/**
 * A run whose evidence did not hold is refused: aborted and announced, nothing more of it runs. One
 * an operator asked to abort that is refused as no longer approved enough (paused past
 * approvals.validFor, an approver removed) is first taken back as the abort asked: its undo reverses
 * only what its approved plan did. A tampered run's undo never runs.
 */
export async function settleRefusal(x: RunExecution): Promise<void> {
  if (x.evidenceRefusal?.problem === "unapproved" && x.controls.abort) {
    const undone = await compensateRun(x);
    if (undone === "stopped") return; // the next executor carries on
  }
  await refuseRun(x);
}

/** A terminal move; a run that ended frees its scope for the next request. */
async function finish(x: RunExecution, decide: (run: RunRecord, ctx: MoveContext) => RunMove): Promise<void> {
  await x.recorder.move(decide);
  const run = x.recorder.run;
  if (isTerminal(run.state))
    await x.lease.fenced(() => x.o.store.releaseScope(scopeLockKeys(run.scope, run.kind), x.runId));
}

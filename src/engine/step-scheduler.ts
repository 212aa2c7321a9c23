import { describeError, isDrError } from "../domain/errors.js";
import type { PlanStep, StepRecord } from "../domain/run.js";
import { continueAfterManualStep } from "../domain/run-state/execute.js";
import { stepDependencies } from "../domain/step-condition.js";
import { unconfirmedRunningMark } from "./durable-mark.js";
import { checkEvidence, checkedStep } from "./evidence-gate.js";
import type { RunExecution } from "./run-execution.js";
import { skipUnmetCondition } from "./skip-unmet-condition.js";
import { abortableDelay } from "./step-kind.js";
import { nextAttempt, runStepAttempt, StepAbort } from "./step-runner.js";

/**
 * Starts every step that is ready: its needs are met, the run is not stopping, and there is room
 * (the engine's parallel limit, the step's group limit). Each runs in the background; a failure
 * of the engine itself (not of the step) fails the run with what happened.
 */
export function launchReadySteps(x: RunExecution): void {
  if (
    x.pauseReason ||
    x.failReason ||
    x.evidenceRefusal ||
    x.controls.pause ||
    x.abort.signal.aborted ||
    x.draining.aborted
  )
    return;
  for (const step of x.recorder.run.plan.steps) {
    if (x.inflight.size >= x.o.maxParallelSteps) return;
    if (x.inflight.has(step.id) || !isReady(x, step) || !groupHasRoom(x, step)) continue;
    const work = runStep(x, step)
      .catch((error: unknown) => {
        // A lost lease stops the pass by itself (the next executor re-observes the step).
        if (!isDrError(error, "lost_lease"))
          x.failReason = `engine error in ${step.id}: ${describeError(error)}`;
      })
      .finally(() => x.inflight.delete(step.id));
    x.inflight.set(step.id, work);
  }
}

function isReady(x: RunExecution, step: PlanStep): boolean {
  const record = x.recorder.steps.get(step.id);
  if (!record) return false;
  const runnable =
    record.status === "not_started" || (record.status === "waiting" && !x.reevaluated.has(step.id));
  if (!runnable) return false;
  return stepDependencies(step).every((need) => {
    const dep = x.recorder.steps.get(need);
    if (!dep) return false;
    if (dep.status === "succeeded" || dep.status === "skipped") return true;
    return (
      (dep.status === "failed" || dep.status === "timed_out") &&
      x.planSteps.get(need)?.onFailure === "continue"
    );
  });
}

function groupHasRoom(x: RunExecution, step: PlanStep): boolean {
  if (!step.group || !step.concurrency) return true;
  let running = 0;
  for (const id of x.inflight.keys()) if (x.planSteps.get(id)?.group === step.group) running++;
  return running < step.concurrency;
}

/** Runs a step's attempts (retrying as its runbook says) and records each before and after. */
async function runStep(x: RunExecution, planned: PlanStep): Promise<void> {
  const { recorder, o } = x;
  let record = recorder.steps.get(planned.id)!;
  if (record.status === "waiting") {
    await reevaluateWaiting(x, planned, record);
    return;
  }
  // Nothing runs unless the run as stored still proves it may, and the step's params parse again to
  // the stored ones (it runs with what they parse to); a refusal stops every step in flight.
  const step =
    x.evidenceRefusal || (await checkEvidence(x, planned.id)) !== "ok"
      ? undefined
      : checkedStep(x, planned, planned.id);
  if (!step) {
    x.abort.abort(new StepAbort("shutdown"));
    return;
  }
  if (recorder.run.state === "waiting_manual") await recorder.move(continueAfterManualStep);
  const save = (r: StepRecord, data: Record<string, unknown>) => recorder.saveStep(r, "step.state", data);
  if ((await skipUnmetCondition(step, recorder.steps, o.clock.now(), save)) !== "holds") return;
  await markRtoPhase(x, step);
  const kind = o.registry.get(step.kind);
  if (!kind) {
    const error = `unknown step kind ${step.kind}`;
    await recorder.saveStep({ ...record, status: "failed", endedAt: o.clock.now(), error });
    x.stepFailed(step, error);
    return;
  }
  for (;;) {
    record = nextAttempt(record, o.clock.now());
    await recorder.saveStep(record);
    const outcome =
      (await unconfirmedRunningMark(x, kind, step)) ??
      (await runStepAttempt(x.deps, kind, recorder.run, step, record, x.abort.signal));
    if (outcome.cause === "lost_lease" || outcome.cause === "shutdown") return; // another executor re-observes it
    const finished: StepRecord = {
      ...record,
      status: outcome.status,
      output: outcome.output,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.outcome !== undefined ? { outcome: outcome.outcome } : {}),
      endedAt: o.clock.now(),
    };
    if (outcome.status === "succeeded" || outcome.status === "waiting") {
      await recorder.saveStep(outcome.status === "waiting" ? { ...finished, endedAt: undefined } : finished);
      return;
    }
    const retryable = outcome.cause === undefined || outcome.cause === "deadline";
    if (retryable && record.attempts <= step.retries && !x.controls.abort) {
      const error = `attempt ${record.attempts} ${outcome.status}: ${outcome.error}; retrying`;
      // What this attempt decided is its own: kept in its event, not on the record the next attempt starts.
      const decided = outcome.outcome !== undefined ? { outcome: outcome.outcome } : {};
      await recorder.saveStep({ ...record, output: outcome.output, error }, "step.state", {
        retrying: true,
        ...decided,
      });
      try {
        await abortableDelay(step.retryDelayMs, AbortSignal.any([x.abort.signal, x.draining]));
      } catch {
        // The run was stopped while waiting to retry (abort, lost lease, shutdown): settle decides.
        if (x.abort.signal.aborted || !x.draining.aborted) return;
      }
      // Draining: nothing is in flight between two attempts, so the step is handed over not started
      // (its attempts counted) at once: the next executor makes the next attempt, with nothing to
      // re-observe (a step that cannot be observed would otherwise pause the run).
      if (x.draining.aborted) {
        await recorder.saveStep(
          {
            ...record,
            status: "not_started",
            output: outcome.output,
            error: `${error} by the next executor`,
          },
          "step.state",
          { handedOver: true },
        );
        return;
      }
      continue;
    }
    await recorder.saveStep(finished);
    const verb = outcome.status === "timed_out" ? "timed out" : "failed";
    x.stepFailed(step, `${step.id} ${verb}: ${outcome.error ?? "no detail"}`);
    return;
  }
}

/**
 * Manual steps (checklists, gates) are judged again on every pass. They have no side effects, so
 * nothing is written unless the answer changed: no "running" noise in the timeline per tick.
 */
async function reevaluateWaiting(x: RunExecution, planned: PlanStep, stale: StepRecord): Promise<void> {
  const { recorder, o } = x;
  x.reevaluated.add(planned.id);
  const step = checkedStep(x, planned, planned.id);
  if (!step) {
    x.abort.abort(new StepAbort("shutdown"));
    return;
  }
  // People tick while we run: judge the step on the attestations stored now.
  const record = (await x.lease.read(() => o.store.getSteps(x.runId))).get(step.id) ?? stale;
  const kind = o.registry.get(step.kind);
  if (!kind) return;
  const outcome = await runStepAttempt(x.deps, kind, recorder.run, step, record, x.abort.signal);
  if (outcome.status === "waiting") {
    if (outcome.output !== record.output) await recorder.saveStep({ ...record, output: outcome.output });
    return;
  }
  if (recorder.run.state === "waiting_manual") await recorder.move(continueAfterManualStep);
  await recorder.saveStep({
    ...record,
    status: outcome.status,
    output: outcome.output,
    endedAt: o.clock.now(),
    ...(outcome.error ? { error: outcome.error } : {}),
  });
  if (outcome.status !== "succeeded")
    x.stepFailed(step, `${step.id} failed: ${outcome.error ?? "no detail"}`);
}

/** RTO bookkeeping: activation starts with the first activation step, validation with the first validation step. */
async function markRtoPhase(x: RunExecution, step: PlanStep): Promise<void> {
  const { recorder } = x;
  const now = x.o.clock.now();
  if (step.rtoPhase === "activation" && recorder.run.rto.activationStartedAt === undefined)
    await recorder.note(
      (run) =>
        run.rto.activationStartedAt === undefined
          ? { ...run, rto: { ...run.rto, activationStartedAt: now } }
          : undefined,
      { rto: "activation_started" },
    );
  if (step.rtoPhase === "validation" && recorder.run.rto.activationEndedAt === undefined)
    await recorder.note(
      (run) =>
        run.rto.activationEndedAt === undefined
          ? {
              ...run,
              rto: {
                ...run.rto,
                activationStartedAt: run.rto.activationStartedAt ?? now,
                activationEndedAt: now,
              },
            }
          : undefined,
      { rto: "validation_started" },
    );
}

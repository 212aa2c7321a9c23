import { LEGACY_PLAN } from "../domain/plan-params.js";
import type { PlanStep, StepRecord } from "../domain/run.js";
import { undoWithheldBecause } from "../domain/undo-rule.js";
import { checkBeforeUndo, checkedStep } from "./evidence-gate.js";
import type { RunExecution } from "./run-execution.js";
import { skipUnmetCondition } from "./skip-unmet-condition.js";
import { abortableDelay } from "./step-kind.js";
import { nextAttempt, observeStep, runStepAttempt } from "./step-runner.js";

/**
 * When a run ends early (an operator's abort, at any step and in any state, or a failure that aborts
 * it), takes back what it did: the undo of every step that had an attempt start, whatever its status
 * now (succeeded, failed, cut short by the abort, skipped by an operator after a failed attempt, set
 * to run again by a resume: an attempt stopped half-way may have done part of its work, and undo
 * kinds are idempotent), newest first. A step no attempt of which started (not reached, skipped
 * before it ran, its condition not met) has nothing to undo. Then the steps marked `always` that have
 * not succeeded (the proof of cleanup). Each undo is observed first when its kind can be (already in
 * effect: recorded as observed, nothing run), runs to its own deadline with the step's retries even
 * though the run is stopping, and is written on the step it undoes (`undone`) with a `step.undo`
 * event, so the timeline, the Slack thread and the report show it. A step already undone is not
 * undone again, so a process taking over a run stopped half-way through its compensation carries on
 * where it stopped. A failed undo does not stop the others: each is recorded, and the run ends with
 * them.
 *
 * An undo with a point of no return (`until`: the failover's promotion) is withheld once any attempt
 * of that step started: recorded on the step (`undoWithheld`) with a `step.undo` event saying why,
 * never run, whoever asks and whatever the evidence.
 *
 * Before each undo and each `always` step the run's evidence is checked as before every step
 * (src/engine/evidence-gate.ts): a tampered run stops here ("refused": nothing of the tampered plan
 * runs, its undo included; the caller refuses and announces it), while a run merely no longer
 * approved enough is still taken back. Each runs with its params parsed again from the raw ones.
 * "stopped": this executor stopped half-way (lease lost, shutdown, evidence it cannot check here);
 * the next one carries on.
 */
export async function compensateRun(x: RunExecution): Promise<"done" | "stopped" | "refused"> {
  const steps = x.recorder.steps;
  const toUndo = x.recorder.run.plan.steps
    .map((step, index) => ({ step, index, record: steps.get(step.id) }))
    .filter(
      ({ step, record }) =>
        step.undo && record && record.attempts > 0 && !record.undone && !record.undoWithheld,
    )
    .sort(
      (a, b) =>
        (b.record?.endedAt ?? b.record?.startedAt ?? 0) - (a.record?.endedAt ?? a.record?.startedAt ?? 0) ||
        b.index - a.index,
    )
    .map(({ step }) => step);
  for (const planned of toUndo) {
    // Past its point of no return (the promotion started): never taken back, whatever the evidence.
    const withheld = undoWithheldBecause(planned, x.recorder.run.plan.steps, steps);
    if (withheld) {
      await saveUndo(x, steps.get(planned.id)!, { undo: "withheld", evidence: withheld }, false, true);
      continue;
    }
    const gate = await beforeEach(x, planned, "undo");
    if (gate !== "ok") return gate;
    const step = checkedStep(x, planned, `${planned.id}.undo`);
    if (step) await undoStep(x, step);
    else if (x.evidenceRefusal?.problem === "tampered") return "refused";
    else await saveUndo(x, steps.get(planned.id)!, { undo: "not run", error: LEGACY_PLAN });
  }
  for (const planned of x.recorder.run.plan.steps) {
    const record = x.recorder.steps.get(planned.id);
    if (!planned.always || !record || record.status === "succeeded" || record.status === "skipped") continue;
    const gate = await beforeEach(x, planned, "always");
    if (gate !== "ok") return gate;
    const step = checkedStep(x, planned, planned.id);
    if (!step) {
      if (x.evidenceRefusal?.problem === "tampered") return "refused";
      continue;
    }
    await runAlways(x, step, record);
  }
  return x.ending.signal.aborted ? "stopped" : "done";
}

/** Whether the next undo or `always` step may run: not once stopping, nor for a tampered run. */
async function beforeEach(
  x: RunExecution,
  step: PlanStep,
  what: "undo" | "always",
): Promise<"ok" | "refused" | "stopped"> {
  if (x.ending.signal.aborted) return "stopped";
  return checkBeforeUndo(x, `${step.id} (${what})`, what);
}

async function undoStep(x: RunExecution, step: PlanStep): Promise<void> {
  const { recorder, o } = x;
  const undo = step.undo!;
  const record = recorder.steps.get(step.id)!;
  const kind = o.registry.get(undo.kind);
  const undoStep: PlanStep = {
    ...step,
    id: `${step.id}.undo`,
    kind: undo.kind,
    params: undo.params,
    timeoutMs: undo.timeoutMs,
  };
  if (!kind) {
    await saveUndo(x, record, { undo: "failed", error: `unknown step kind ${undo.kind}` });
    return;
  }
  await recorder.saveStep(record, "step.undo", { undo: "running", kind: undo.kind, error: undefined });
  if (kind.observe) {
    const observed = await observeUndo(x, undoStep, record);
    if (observed !== undefined) {
      await saveUndo(x, record, { undo: "observed", evidence: observed }, true);
      return;
    }
  }
  let attempt = 0;
  for (;;) {
    attempt++;
    const outcome = await runStepAttempt(x.deps, kind, recorder.run, undoStep, record, x.ending.signal);
    if (outcome.status === "succeeded" || outcome.status === "waiting") {
      await saveUndo(x, record, { undo: "succeeded", output: outcome.output }, true);
      return;
    }
    if (outcome.cause === "lost_lease" || outcome.cause === "shutdown") return; // the next executor undoes it
    if (attempt <= step.retries && (await waitToRetry(x, step))) continue;
    await saveUndo(x, record, {
      undo: outcome.status,
      error: outcome.error ?? "no detail",
      output: outcome.output,
    });
    return;
  }
}

/** The undo's effect already holds: its evidence; otherwise (or when it cannot tell) undefined. */
async function observeUndo(x: RunExecution, undoStep: PlanStep, record: StepRecord) {
  const kind = x.o.registry.get(undoStep.kind)!;
  const observation = await observeStep(x.deps, kind, x.recorder.run, undoStep, record, x.ending.signal);
  return observation.holds === true ? observation.evidence : undefined;
}

async function saveUndo(
  x: RunExecution,
  record: StepRecord,
  result: { undo: string; error?: string; evidence?: string; output?: string },
  undone = false,
  withheld = false,
): Promise<void> {
  const said = result.error ?? result.evidence ?? result.output?.split("\n").at(-1) ?? "";
  await x.recorder.saveStep(
    {
      ...record,
      ...(undone ? { undone: true } : {}),
      ...(withheld ? { undoWithheld: true } : {}),
      output: `${record.output ? `${record.output}\n` : ""}undo: ${result.undo}${said ? ` (${said})` : ""}`,
    },
    "step.undo",
    {
      undo: result.undo,
      kind: x.recorder.run.plan.steps.find((s) => s.id === record.id)?.undo?.kind,
      // The undo's own error, never the step's (saveStep would carry that).
      error: result.error,
      ...(result.evidence ? { evidence: result.evidence } : {}),
    },
  );
}

/** A step marked `always` that had not run (or not succeeded) when the run ended early. */
async function runAlways(x: RunExecution, step: PlanStep, before: StepRecord): Promise<void> {
  const { recorder, o } = x;
  const kind = o.registry.get(step.kind);
  if (!kind) {
    const error = `unknown step kind ${step.kind}`;
    await recorder.saveStep({ ...before, status: "failed", endedAt: o.clock.now(), error });
    return;
  }
  // A conditional always step runs only on the path its deciding step chose, decided or not.
  const save = (r: StepRecord, data: Record<string, unknown>) =>
    recorder.saveStep(r, "step.state", { always: true, ...data });
  const condition = await skipUnmetCondition(step, recorder.steps, o.clock.now(), save, {
    undecided: "skip",
  });
  if (condition !== "holds") return;
  let record = before;
  for (;;) {
    record = nextAttempt(record, o.clock.now());
    await recorder.saveStep(record, "step.state", { always: true });
    const outcome = await runStepAttempt(x.deps, kind, recorder.run, step, record, x.ending.signal);
    if (outcome.cause === "lost_lease" || outcome.cause === "shutdown") return; // re-observed by the next executor
    const done = outcome.status === "succeeded" || outcome.status === "waiting";
    if (!done && record.attempts <= step.retries && (await waitToRetry(x, step))) continue;
    await recorder.saveStep({
      ...record,
      status: done ? "succeeded" : outcome.status === "timed_out" ? "timed_out" : "failed",
      output: outcome.output,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.outcome !== undefined ? { outcome: outcome.outcome } : {}),
      endedAt: o.clock.now(),
    });
    return;
  }
}

/** Waits out a step's retry delay; false when the run's executor stops meanwhile (lease lost, shutdown). */
async function waitToRetry(x: RunExecution, step: PlanStep): Promise<boolean> {
  try {
    await abortableDelay(step.retryDelayMs, x.ending.signal);
    return true;
  } catch {
    // Stopped by a lost lease or a shutdown: the next executor carries on the compensation.
    return false;
  }
}

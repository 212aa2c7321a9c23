import type { PlanStep } from "../domain/run.js";
import type { RunExecution } from "./run-execution.js";
import { runStepAttempt } from "./step-runner.js";

/**
 * On a failure that aborts the run, undoes what succeeded (newest first) where the runbook says how.
 * Each undo runs once, to its own deadline, even though the run is stopping; its outcome is written
 * on the step it undoes.
 */
export async function compensateRun(x: RunExecution): Promise<void> {
  const { recorder, o } = x;
  const steps = recorder.steps;
  const done = recorder.run.plan.steps
    .filter((s) => s.undo && steps.get(s.id)?.status === "succeeded" && !steps.get(s.id)?.undone)
    .map((step, index) => ({ step, index }))
    .sort(
      (a, b) =>
        (steps.get(b.step.id)?.endedAt ?? 0) - (steps.get(a.step.id)?.endedAt ?? 0) || b.index - a.index,
    )
    .map(({ step }) => step);
  for (const step of done) {
    const undo = step.undo!;
    const kind = o.registry.get(undo.kind);
    const record = steps.get(step.id)!;
    if (!kind) continue;
    const undoStep: PlanStep = {
      ...step,
      id: `${step.id}.undo`,
      kind: undo.kind,
      params: undo.params,
      timeoutMs: undo.timeoutMs,
    };
    const outcome = await runStepAttempt(
      x.deps,
      kind,
      recorder.run,
      undoStep,
      record,
      new AbortController().signal,
    );
    await recorder.saveStep(
      {
        ...record,
        undone: outcome.status === "succeeded",
        output: `${record.output ?? ""}\nundo: ${outcome.status}${outcome.error ? ` (${outcome.error})` : ""}`,
      },
      "step.state",
      { undo: outcome.status },
    );
  }
}

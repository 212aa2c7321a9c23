import type { PlanStep, StepRecord } from "../domain/run.js";
import { judgeCondition, undecidedReason } from "../domain/step-condition.js";

/**
 * What became of a conditional step's condition: it holds (the step runs), it did not hold (the step
 * was recorded as skipped), or its deciding step has not decided yet.
 */
export type ConditionCheck = "holds" | "skipped" | "undecided";

/**
 * The engine's one hook for conditional steps: a step whose `when` does not hold is recorded as
 * skipped, without running, with the reason (its condition and what was decided instead) on its
 * record and in its event, so progress, status and the report show why that path was not taken.
 * The scheduler starts a step only once its deciding step has finished (stepDependencies), so
 * "undecided" there means the step must not run yet, and nothing is written. When the run ends
 * early (`undecided: "skip"`), a deciding step that never decided skips the step, saying so: no path
 * is taken that nobody chose.
 */
export async function skipUnmetCondition(
  step: PlanStep,
  steps: ReadonlyMap<string, StepRecord>,
  now: number,
  save: (record: StepRecord, data: Record<string, unknown>) => Promise<void>,
  options: { undecided: "wait" | "skip" } = { undecided: "wait" },
): Promise<ConditionCheck> {
  const verdict = judgeCondition(step, steps);
  if (verdict.holds === true) return "holds";
  if (verdict.holds === "pending" && options.undecided === "wait") return "undecided";
  const record = steps.get(step.id);
  if (!record || !step.when) return "undecided";
  const reason = verdict.holds === false ? verdict.reason : undecidedReason(step.when, steps);
  await save(
    {
      ...record,
      status: "skipped",
      startedAt: now,
      endedAt: now,
      resolvedBy: "condition",
      skipReason: reason,
      output: `skipped: ${reason}`,
    },
    { skipReason: reason },
  );
  return "skipped";
}

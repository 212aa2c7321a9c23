import type { PlanStep, StepRecord } from "../domain/run.js";
import { judgeCondition } from "../domain/step-condition.js";

/**
 * The engine's one hook for conditional steps: a step whose `when` does not hold is recorded as
 * skipped, without running, with the reason (its condition and what was decided instead) on its
 * record and in its event, so progress, status and the report show why that path was not taken.
 * Returns true when it skipped the step. The deciding step is one of the step's needs, so it has
 * finished by the time the step is ready; one that has not ("pending") runs nothing here.
 */
export async function skipUnmetCondition(
  step: PlanStep,
  steps: ReadonlyMap<string, StepRecord>,
  now: number,
  save: (record: StepRecord, data: Record<string, unknown>) => Promise<void>,
): Promise<boolean> {
  const verdict = judgeCondition(step, steps);
  if (verdict.holds !== false) return false;
  const record = steps.get(step.id);
  if (!record) return false;
  await save(
    {
      ...record,
      status: "skipped",
      startedAt: now,
      endedAt: now,
      resolvedBy: "condition",
      skipReason: verdict.reason,
      output: `skipped: ${verdict.reason}`,
    },
    { skipReason: verdict.reason },
  );
  return true;
}

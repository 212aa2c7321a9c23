import type { PlanStep, StepRecord } from "./run.js";

/**
 * A step's undo may carry a point of no return (`undo: { ..., until: promote-database }` in the
 * runbook): once any attempt of that step started, the undo never runs. The failover's planned path
 * stops the primary's writes, batch jobs and backups before DR is promoted; a run that stops before
 * the promotion gives them back, but after the promotion started (even an attempt that failed, or
 * one cut short: the replica may have left recovery) writes back on the old primary would make two
 * writable primaries.
 */

/** Whether an attempt of the runbook step `runbookStepId` started: any of its instances in the plan. */
export function stepStarted(
  runbookStepId: string,
  plan: readonly PlanStep[],
  records: ReadonlyMap<string, StepRecord>,
): boolean {
  return plan.some((s) => {
    if (s.runbookStepId !== runbookStepId) return false;
    const r = records.get(s.id);
    return r !== undefined && (r.attempts > 0 || (r.status !== "not_started" && r.status !== "skipped"));
  });
}

/**
 * Why the undo of `step` must not run: its point of no return started. Undefined when it may run
 * (no point of no return, or that step never started).
 */
export function undoWithheldBecause(
  step: PlanStep,
  plan: readonly PlanStep[],
  records: ReadonlyMap<string, StepRecord>,
): string | undefined {
  const until = step.undo?.until;
  if (until === undefined || !stepStarted(until, plan, records)) return undefined;
  const title = plan.find((s) => s.runbookStepId === until)?.title ?? until;
  return `kept: ${until} (${title}) has started, and this step is not taken back past it`;
}

/**
 * The steps whose undo was withheld when the run ended early (compensation marks them
 * `undoWithheld`): what stays as the run left it, for the report's outcome.
 */
export function withheldUndos(
  plan: readonly PlanStep[],
  records: ReadonlyMap<string, StepRecord>,
): { stepId: string; title: string; until: string }[] {
  return plan.flatMap((step) =>
    records.get(step.id)?.undoWithheld && step.undo?.until
      ? [{ stepId: step.id, title: step.title, until: step.undo.until }]
      : [],
  );
}

/** The undo as the plan shows it: "undone if the run ends early", and before which step. */
export function describeUndo(step: PlanStep): string | undefined {
  if (!step.undo) return undefined;
  const what = step.undo.summary ?? step.undo.kind;
  return step.undo.until
    ? `undone (${what}) if the run ends before ${step.undo.until} starts, never after`
    : `undone (${what}) if the run ends early`;
}

/** The same, short, for the approval card's step line. */
export function undoNote(step: PlanStep): string | undefined {
  if (!step.undo) return undefined;
  return step.undo.until
    ? `undone if the run stops before ${step.undo.until}`
    : "undone if the run stops early";
}

import type { PlanStep, StepRecord } from "./run.js";
import { stepDependencies } from "./step-condition.js";

/**
 * A step's undo may carry a point of no return (`undo: { ..., until: promote-database }` in the
 * runbook): once the run went past that step, the undo never runs. The failover's planned path
 * stops the primary's writes, batch jobs and backups before DR is promoted; a run that stops before
 * the promotion gives them back, but after the promotion started (even an attempt that failed, or
 * one cut short: the replica may have left recovery) writes back on the old primary would make two
 * writable primaries.
 *
 * The run is past the point of no return once any step at or past it started an attempt or was
 * skipped by an operator: the `until` step itself (any of its instances), a step sharing its group
 * (they run side by side), a step after it in the plan (the scheduler runs those only once it is
 * done or skipped), or one depending on it. A promotion skipped by a person and a DNS switch run
 * after it leave DR serving: giving the primary its writes back then would be split brain too.
 * Steps marked `always` change no site (the plan refuses any other) and do not count, nor do the
 * steps whose own undo stops at the same point.
 */

/** The plan steps at or past the point of no return `until` (a runbook step id). */
export function stepsPastPointOfNoReturn(until: string, plan: readonly PlanStep[]): Set<string> {
  const first = plan.findIndex((s) => s.runbookStepId === until);
  if (first < 0) return new Set();
  const groups = new Set(plan.flatMap((s) => (s.runbookStepId === until && s.group ? [s.group] : [])));
  const past = new Set(
    plan
      .filter(
        (s, index) =>
          index >= first || s.runbookStepId === until || (s.group !== undefined && groups.has(s.group)),
      )
      .map((s) => s.id),
  );
  // Whatever depends on one of them, directly or not (an explicit need may name a later step).
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of plan)
      if (!past.has(s.id) && stepDependencies(s).some((need) => past.has(need))) {
        past.add(s.id);
        grew = true;
      }
  }
  for (const s of plan) if (s.always || s.undo?.until === until) past.delete(s.id);
  return past;
}

/** How a step took the run past a point of no return, or undefined when it did not. */
function howPassed(record: StepRecord | undefined): "started" | "skipped by an operator" | undefined {
  if (!record) return undefined;
  if (record.attempts > 0 || (record.status !== "not_started" && record.status !== "skipped"))
    return "started";
  if (record.status === "skipped" && (record.skipped !== undefined || record.resolvedBy === "operator"))
    return "skipped by an operator";
  return undefined;
}

/**
 * The first step (in plan order) that took the run past the point of no return `until`, and how;
 * undefined while the run is before it.
 */
export function passedPointOfNoReturn(
  until: string,
  plan: readonly PlanStep[],
  records: ReadonlyMap<string, StepRecord>,
): { step: PlanStep; how: "started" | "skipped by an operator" } | undefined {
  const past = stepsPastPointOfNoReturn(until, plan);
  for (const step of plan) {
    if (!past.has(step.id)) continue;
    const how = howPassed(records.get(step.id));
    if (how) return { step, how };
  }
  return undefined;
}

/**
 * Why the undo of `step` must not run: the run went past its point of no return. Undefined when it
 * may run (no point of no return, or the run stopped before it).
 */
export function undoWithheldBecause(
  step: PlanStep,
  plan: readonly PlanStep[],
  records: ReadonlyMap<string, StepRecord>,
): string | undefined {
  const until = step.undo?.until;
  if (until === undefined) return undefined;
  const passed = passedPointOfNoReturn(until, plan, records);
  if (!passed) return undefined;
  const title = plan.find((s) => s.runbookStepId === until)?.title ?? until;
  if (passed.step.runbookStepId === until && passed.how === "started")
    return `kept: ${until} (${title}) has started, and this step is not taken back past it`;
  return `kept: ${passed.step.id} (${passed.step.title}) was ${passed.how}, at or past ${until} (${title}), and this step is not taken back past it`;
}

/**
 * Why an operator may not skip `stepId` now: a step at or past some undo's point of no return that
 * has not started, while the run is still before that point. Skipping it would take the run past
 * the point without doing what it does (the promotion), so the undo would then be withheld with the
 * old primary stopped and DR not promoted. Undefined when the skip is no such thing.
 */
export function skipPassesPointOfNoReturn(
  stepId: string,
  plan: readonly PlanStep[],
  records: ReadonlyMap<string, StepRecord>,
): string | undefined {
  const record = records.get(stepId);
  if (!record || howPassed(record)) return undefined;
  const untils = [...new Set(plan.flatMap((s) => (s.undo?.until ? [s.undo.until] : [])))];
  for (const until of untils) {
    if (!stepsPastPointOfNoReturn(until, plan).has(stepId)) continue;
    if (passedPointOfNoReturn(until, plan, records)) continue;
    const kept = plan.filter((s) => s.undo?.until === until).map((s) => s.runbookStepId);
    const names = [...new Set(kept)].join(", ");
    const at = plan.find((s) => s.id === stepId)?.runbookStepId === until;
    return `${stepId} ${at ? "is" : "comes at or after"} ${until}, the point of no return of the undo of ${names}, and has not started: skipping it would keep what those steps did with ${until} never run. Abort the run instead (their undo gives it back), or resume it`;
  }
  return undefined;
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

import { isTerminal, type RunEvent, type RunRecord, type StepRecord } from "./run.js";
import { describeEvent } from "./run-report.js";

/**
 * A run told as people follow it, for `show` and `runs` on every surface: who approved and when,
 * which steps were skipped by whom and why, a timeline of what happened in words, and how long the
 * run took. Each surface writes people and times its own way (Slack mentions and dates, the
 * terminal IDs and UTC). Pure: `now` is passed in.
 */

export interface TimelineEntry {
  at: number;
  actor: string;
  text: string;
}

export interface StepSkip {
  stepId: string;
  title: string;
  by: string;
  at: number;
  reason: string;
}

/**
 * The run's events in words, oldest first, the newest `max` of them. A step's output is left out
 * (it is the step's own record, shown with the step and in the report), so the timeline reads as
 * what people and the engine did.
 */
export function readableTimeline(
  events: readonly RunEvent[],
  max: number,
): { entries: TimelineEntry[]; omitted: number } {
  const told = events.filter((e) => e.type !== "step.output");
  const shown = told.slice(-max);
  return {
    entries: shown.map((e) => ({ at: e.at, actor: e.actor, text: describeEvent(e) })),
    omitted: told.length - shown.length,
  };
}

/** The steps a person skipped, in plan order: a skip is a decision, with who, when and why. */
export function skipsOf(run: RunRecord, steps: ReadonlyMap<string, StepRecord>): StepSkip[] {
  return run.plan.steps.flatMap((step) => {
    const skipped = steps.get(step.id)?.skipped;
    return skipped
      ? [{ stepId: step.id, title: step.title, by: skipped.by, at: skipped.at, reason: skipped.reason }]
      : [];
  });
}

/**
 * When the run was asked for and how long it has lasted: to its end once it ended (the last
 * validation, else its last change), else to `now`.
 */
export function runSpan(
  run: RunRecord,
  now: number,
): { startedAt: number; durationMs: number; ended: boolean } {
  const ended = isTerminal(run.state);
  const end = ended ? (run.rto.validationEndedAt ?? run.updatedAt) : now;
  return { startedAt: run.createdAt, durationMs: Math.max(0, end - run.createdAt), ended };
}

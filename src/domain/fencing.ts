import type { PlanStep, StepRecord } from "./run.js";

/**
 * What a step that stops a site (scales it to 0, makes its database read-only, suspends its
 * CronJobs) decided: `confirmed` when it saw the effect, `unconfirmed` when the site did not answer
 * and the runbook let the run go on (the emergency path), `drill` when a drill only read.
 */
export const FENCING_OUTCOMES = ["confirmed", "unconfirmed", "drill"] as const;

/** The steps of a run whose fencing was not confirmed, by title, for the report and the summary. */
export function unconfirmedFencing(
  plan: readonly Pick<PlanStep, "id" | "title">[],
  steps: ReadonlyMap<string, Pick<StepRecord, "outcome" | "status">>,
): string[] {
  return plan.filter((p) => steps.get(p.id)?.outcome === "unconfirmed").map((p) => p.title);
}

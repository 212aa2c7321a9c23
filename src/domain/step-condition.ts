import type { PlanIssue } from "./plan.js";
import type { PlanStep, StepCondition, StepRecord } from "./run.js";
import type { RunbookStep } from "./runbook.js";

/** What the plan knows of an earlier runbook step a `when` may name. */
export interface Decider {
  /** Its plan steps (one, unless it has forEach; none when it does not run in the run's mode). */
  instances: string[];
  /** The outcomes its kind decides; absent when the kind decides none. */
  outcomes?: readonly string[];
}

/**
 * A runbook step's `when` as the plan stores it: the deciding step's plan id and the outcomes that
 * let this step run. The deciding step must come earlier, run once (no forEach) in this mode, be of
 * a kind that decides outcomes, and `is` must name outcomes it can decide, so a typo (`reachble`) is
 * refused when the runbook is loaded instead of silently skipping a path.
 */
export function resolveCondition(
  when: NonNullable<RunbookStep["when"]>,
  path: (string | number)[],
  deciders: ReadonlyMap<string, Decider>,
): { condition: StepCondition } | { issue: PlanIssue } {
  const issue = (message: string) => ({ issue: { path: [...path, "when", "step"], message } });
  const decider = deciders.get(when.step);
  if (!decider) return issue(`when names step "${when.step}", which is not an earlier step of the runbook`);
  if (!decider.outcomes || decider.outcomes.length === 0)
    return issue(`when names step "${when.step}", whose kind decides no outcome`);
  if (decider.instances.length !== 1)
    return issue(
      decider.instances.length === 0
        ? `when names step "${when.step}", which does not run in this mode`
        : `when names step "${when.step}", which runs ${decider.instances.length} times (forEach); a condition needs one decision`,
    );
  const unknown = when.is.filter((o) => !decider.outcomes?.includes(o));
  if (unknown.length > 0)
    return {
      issue: {
        path: [...path, "when", "is"],
        message: `step "${when.step}" decides ${decider.outcomes.join(" or ")}, never ${unknown.join(", ")}`,
      },
    };
  return { condition: { step: decider.instances[0]!, is: [...when.is] } };
}

export type ConditionVerdict =
  | { holds: true }
  | { holds: false; reason: string }
  /** The deciding step has not decided yet (it has not finished). */
  | { holds: "pending" };

/**
 * Whether a planned step's condition holds, from the deciding step's record. A deciding step that
 * finished without an outcome (it failed and its runbook let the run go on) decides nothing: the
 * step is skipped, saying so, rather than run on a path nobody chose.
 */
export function judgeCondition(
  step: Pick<PlanStep, "when">,
  records: ReadonlyMap<string, StepRecord>,
): ConditionVerdict {
  const when = step.when;
  if (!when) return { holds: true };
  const decided = records.get(when.step);
  const wanted = when.is.join(" or ");
  if (!decided || !["succeeded", "failed", "timed_out", "skipped"].includes(decided.status))
    return { holds: "pending" };
  if (decided.outcome === undefined)
    return {
      holds: false,
      reason: `runs only when ${when.step} decides ${wanted}; it ${decided.status === "succeeded" ? "decided nothing" : `ended ${decided.status.replace("_", " ")} without a decision`}`,
    };
  if (when.is.includes(decided.outcome)) return { holds: true };
  return {
    holds: false,
    reason: `runs only when ${when.step} decides ${wanted}; it decided ${decided.outcome}`,
  };
}

/**
 * The steps a step waits for: its needs and, when it has a condition, the step that decides it. The
 * plan lists the deciding step among the needs already; the engine waits for it in any case, so a
 * condition is never judged on a decision not yet made, whatever plan it is given.
 */
export function stepDependencies(step: Pick<PlanStep, "needs" | "when">): readonly string[] {
  const decider = step.when?.step;
  return decider === undefined || step.needs.includes(decider) ? step.needs : [...step.needs, decider];
}

/** Why a condition could not be judged when the run ended: its deciding step never decided. */
export function undecidedReason(when: StepCondition, records: ReadonlyMap<string, StepRecord>): string {
  const status = records.get(when.step)?.status ?? "not_started";
  return `runs only when ${when.step} decides ${when.is.join(" or ")}; it never decided (it is ${status.replace(/_/g, " ")})`;
}

/** "only if probe-primary: reachable", as plans and cards show a conditional step. */
export function describeCondition(when: StepCondition): string {
  return `only if ${when.step}: ${when.is.join(" or ")}`;
}

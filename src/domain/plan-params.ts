import { formatPath, type StepCatalog } from "./plan.js";
import { canonicalJson } from "./plan-hash.js";
import type { Plan, PlanStep } from "./run.js";

/**
 * A step's parameters are kept twice in the plan: as the runbook gave them (placeholders expanded,
 * before the kind's schema: `rawParams`) and as the schema made them (`params`: defaults filled in,
 * durations in milliseconds). Both are covered by the plan hash. Before the engine runs a step (or
 * its undo) it parses the raw parameters again with the kind's schema and runs with that result,
 * and only when it equals what the plan stores: parameters the schema would not produce from what
 * the runbook gave (written into the store, or made by another parser) never reach a kind.
 *
 * Plans made before drbot kept the raw parameters have none; their parameters cannot be checked
 * again, so nothing of such a run executes (see LEGACY_PLAN).
 */

/** What an unfinished run planned by an earlier drbot, without its steps' raw parameters, is told. */
export const LEGACY_PLAN =
  "it was planned by an earlier version of drbot, which did not keep its steps' parameters as the runbook gave them, so they cannot be parsed again before they run: check what its steps did, then request the run again";

export type ParamsCheck =
  | { ok: true; params: Record<string, unknown> }
  | { ok: false; legacy?: true; reason: string };

/** The part of a step (itself or its undo) whose parameters are parsed again. */
interface ParamsPart {
  kind: string;
  params: Record<string, unknown>;
  rawParams?: Record<string, unknown>;
}

/**
 * Parses one part's raw parameters again as the plan builder did (the kind's schema, then the plan's
 * pins for the step itself, never for an undo) and compares the result with the stored parameters.
 */
export function reparseParams(
  part: ParamsPart,
  catalog: StepCatalog,
  pins: Readonly<Record<string, string>> | undefined,
  name: string,
): ParamsCheck {
  if (part.rawParams === undefined)
    return { ok: false, legacy: true, reason: `${name} keeps no parameters as the runbook gave them` };
  const kind = catalog.describe(part.kind);
  if (!kind) return { ok: false, reason: `${name}: unknown step kind ${part.kind}` };
  const parsed = kind.parse(part.rawParams);
  if (!parsed.ok)
    return {
      ok: false,
      reason: `${name}: its parameters as given do not parse with the ${part.kind} schema (${parsed.issues.map((i) => `${formatPath(i.path) || "params"}: ${i.message}`).join("; ")})`,
    };
  let value = parsed.value;
  if (pins && kind.applyPins && Object.keys(pins).length > 0) value = kind.applyPins(value, pins);
  // As stored: what JSON keeps of it, in canonical form (the same as the plan hash sees).
  if (canonicalJson(JSON.parse(JSON.stringify(value))) !== canonicalJson(part.params))
    return {
      ok: false,
      reason: `${name}: its stored parameters are not what the ${part.kind} schema makes of its parameters as given`,
    };
  return { ok: true, params: value };
}

/**
 * The step as it runs: its params (and its undo's) parsed again from the raw ones. Fails, saying
 * why, when a part has no raw parameters (legacy), they no longer parse, or they give other values
 * than the stored ones.
 */
export function reparsedStep(
  step: PlanStep,
  catalog: StepCatalog,
  pins: Readonly<Record<string, string>>,
): { ok: true; step: PlanStep } | { ok: false; legacy?: true; reason: string } {
  const own = reparseParams(step, catalog, pins, `step ${step.id}`);
  if (!own.ok) return own;
  if (!step.undo) return { ok: true, step: { ...step, params: own.params } };
  const undo = reparseParams(step.undo, catalog, undefined, `the undo of step ${step.id}`);
  if (!undo.ok) return undo;
  return { ok: true, step: { ...step, params: own.params, undo: { ...step.undo, params: undo.params } } };
}

/**
 * Every step of a plan checked as the engine will check it before running it. A plan in which no
 * part has raw parameters is legacy (planned before drbot kept them); one in which some have and
 * some not was not written by drbot, and is a problem like parameters that do not match.
 */
export function planParamsProblems(
  plan: Plan,
  catalog: StepCatalog,
): { legacy: boolean; problems: string[] } {
  const parts = plan.steps.flatMap((s) => [s, ...(s.undo ? [s.undo] : [])]);
  if (parts.length > 0 && parts.every((p) => p.rawParams === undefined))
    return { legacy: true, problems: [] };
  const problems: string[] = [];
  for (const step of plan.steps) {
    const checked = reparsedStep(step, catalog, plan.pins);
    if (!checked.ok) problems.push(checked.legacy ? `${checked.reason}, though others do` : checked.reason);
  }
  return { legacy: false, problems };
}

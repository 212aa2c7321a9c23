import { z } from "zod";
import { nameSchema, RUN_KINDS } from "./config.js";
import { durationSchema } from "./duration.js";

/**
 * Runbooks are data: YAML files under runbooks/, parsed with these schemas at load time. Step
 * parameters are checked against the step kind's own schema (see src/engine/step-kinds), after
 * placeholders like `{{app.name}}` are expanded for every application the runbook could touch.
 */

export const stepIdSchema = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "step ids are kebab-case: lowercase letters, digits and '-'",
  );

export const ON_FAILURE = ["pause", "continue", "abort"] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

/** Real runs, drills, or both. A drill never runs a `real`-only step (for example fencing the primary). */
export const RUNS_IN = ["real", "drill", "both"] as const;
export type RunsIn = (typeof RUNS_IN)[number];

/**
 * What a step is repeated over; its parameters may use the matching placeholders. `sandboxWorkload`
 * is a workload of an application whose restore test starts its workloads
 * (applications[].restoreTest.replicas above 0), with `{{replicas}}`: the restore test's readiness.
 */
export const FOR_EACH = [
  "application",
  "namespace",
  "workload",
  "sandboxWorkload",
  "cronJob",
  "healthCheck",
  "tier",
] as const;
export type ForEach = (typeof FOR_EACH)[number];

export const RTO_PHASES = ["activation", "validation"] as const;
export type RunbookRtoPhase = (typeof RTO_PHASES)[number];

const paramsSchema = z.record(z.string(), z.unknown()).default({});

export const undoSchema = z
  .object({
    kind: z.string().min(1),
    with: paramsSchema,
    timeout: durationSchema.optional(),
    /**
     * The point of no return for this undo: a later step of the runbook (`until: promote-database`).
     * Once any attempt of that step started, the undo never runs, whatever ends the run: giving the
     * primary its writes back after DR was promoted would be split brain.
     */
    until: stepIdSchema.optional(),
  })
  .strict();

/**
 * A step that runs on one path only: `when: { step: probe-primary, is: reachable }` runs it when
 * the step `probe-primary` decided `reachable`, and skips it with that reason otherwise. The named
 * step comes earlier in the runbook and is of a kind that decides outcomes (site.probe decides
 * reachable or unreachable); its outcome is recorded on the run.
 */
export const whenSchema = z
  .object({
    step: stepIdSchema,
    is: z
      .union([z.string().min(1).max(63), z.array(z.string().min(1).max(63)).min(1)])
      .transform((v) => (typeof v === "string" ? [v] : v)),
  })
  .strict();

export const stepSchema = z
  .object({
    id: stepIdSchema,
    title: z.string().min(1).max(120),
    kind: z.string().min(1),
    with: paramsSchema,
    timeout: durationSchema.optional(),
    retries: z.number().int().min(0).max(50).default(0),
    retryDelay: durationSchema.default(2_000),
    onFailure: z.enum(ON_FAILURE).default("pause"),
    runsIn: z.enum(RUNS_IN).default("both"),
    forEach: z.enum(FOR_EACH).optional(),
    /** Consecutive steps with the same group run side by side, at most `concurrency` at a time. */
    group: stepIdSchema.optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
    /** Extra steps that must have finished first (by default a step waits for the one before it). */
    needs: z.array(stepIdSchema).default([]),
    /**
     * How to take back what the step did, run when the run ends early: on an operator's abort (of a
     * running, waiting or paused run) or a failure that aborts it, for every step that started, newest
     * first. Its kind must be idempotent: it may run after a step that did only part of its work, and
     * again after a crash.
     */
    undo: undoSchema.optional(),
    when: whenSchema.optional(),
    /**
     * Runs whatever happens: in its place like any step, and when the run ends early, after the undo
     * (proof of cleanup: k8s.verify-clean).
     */
    always: z.boolean().default(false),
  })
  .strict();

export const phaseSchema = z
  .object({
    name: stepIdSchema,
    title: z.string().min(1).max(120).optional(),
    /** Which part of the RTO this phase's time counts toward. */
    rtoPhase: z.enum(RTO_PHASES).default("activation"),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

const runbookObject = z
  .object({
    name: nameSchema,
    title: z.string().min(1).max(120),
    description: z.string().max(2000).optional(),
    kind: z.enum(RUN_KINDS),
    /** Overrides the configured default number of approvers for this runbook. */
    approvals: z
      .object({ required: z.number().int().min(0).max(50).optional(), expiry: durationSchema.optional() })
      .strict()
      .prefault({}),
    defaultTimeout: durationSchema.default(10 * 60_000),
    phases: z.array(phaseSchema).min(1),
  })
  .strict();

export const runbookSchema = runbookObject.superRefine((runbook, ctx) => {
  const order = new Map<string, number>();
  runbook.phases.forEach((phase) => {
    for (const step of phase.steps) if (!order.has(step.id)) order.set(step.id, order.size);
  });
  runbook.phases.forEach((phase, phaseIndex) => {
    phase.steps.forEach((step, stepIndex) => {
      const until = step.undo?.until;
      if (until === undefined) return;
      const path = ["phases", phaseIndex, "steps", stepIndex, "undo", "until"];
      const at = order.get(until);
      if (at === undefined)
        ctx.addIssue({ code: "custom", path, message: `until names no step of this runbook: "${until}"` });
      else if (at <= order.get(step.id)!)
        ctx.addIssue({
          code: "custom",
          path,
          message: `until must name a step after ${step.id} (the point past which its undo must not run); "${until}" comes ${until === step.id ? "as the step itself" : "before it"}`,
        });
      else if (!waitsFor(runbook.phases, until, step.id))
        ctx.addIssue({
          code: "custom",
          path,
          message: `until must name a step that starts only once ${step.id} is done; "${until}" may run beside it (group "${step.group}")`,
        });
    });
  });
});

/**
 * Whether the step `later` starts only once `earlier` is done in every mode both run in, as the
 * plan orders steps (src/domain/plan.ts): each step needs the block before it (a step, or
 * consecutive steps of one group, which run side by side), its explicit needs and its `when` step.
 */
function waitsFor(phases: z.output<typeof phaseSchema>[], later: string, earlier: string): boolean {
  const all = phases.flatMap((phase) => phase.steps);
  return (["real", "drill"] as const).every((mode) => {
    const steps = all.filter((s) => s.runsIn === "both" || s.runsIn === mode);
    if (!steps.some((s) => s.id === later) || !steps.some((s) => s.id === earlier)) return true;
    const needs = new Map<string, string[]>();
    let previous: string[] = [];
    let current: string[] = [];
    let group: string | undefined;
    for (const s of steps) {
      if (!(s.group && s.group === group)) {
        if (current.length > 0) previous = current;
        current = [];
      }
      group = s.group;
      needs.set(s.id, [...previous, ...s.needs, ...(s.when ? [s.when.step] : [])]);
      current.push(s.id);
    }
    const seen = new Set<string>();
    const stack = [later];
    while (stack.length > 0) {
      const id = stack.pop()!;
      for (const need of needs.get(id) ?? []) {
        if (need === earlier) return true;
        if (!seen.has(need)) {
          seen.add(need);
          stack.push(need);
        }
      }
    }
    return false;
  });
}

export type Runbook = z.output<typeof runbookSchema>;
export type RunbookPhase = Runbook["phases"][number];
export type RunbookStep = RunbookPhase["steps"][number];
export type RunbookUndo = NonNullable<RunbookStep["undo"]>;

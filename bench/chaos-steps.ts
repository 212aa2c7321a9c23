import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { type Config, configSchema } from "../src/domain/config.js";
import { buildPlan } from "../src/domain/plan.js";
import type { Plan, RunScope } from "../src/domain/run.js";
import { runbookSchema } from "../src/domain/runbook.js";
import { resolveScope } from "../src/domain/scope.js";
import {
  type AnyStepKind,
  abortableDelay,
  defineStepKind,
  type StepContext,
} from "../src/engine/step-kind.js";
import { createStepKindRegistry, type StepKindRegistry } from "../src/engine/step-kinds/registry.js";

/**
 * The chaos benchmark's runbook and its step kinds. Every execution of a step is written OUTSIDE
 * Redis, to an append-only file per run (one JSON line per write, O_APPEND, so lines from several
 * processes never mix): when it started, when its effect took place, when it ended or was stopped,
 * by which process. The benchmark counts effects done twice and executions that overlapped from
 * these files alone, whatever Redis says.
 *
 * Three kinds, as the engine supports them:
 * - `chaos.set`: idempotent and observable (a scale to N): repeating it after a takeover is allowed.
 * - `chaos.once`: not idempotent, observable (a database promotion): after a takeover the engine
 *   must read the file (observe) instead of doing it again.
 * - `chaos.blind`: not idempotent and not observable (a call whose effect nothing can read back):
 *   after a takeover in the middle of it the engine must pause the run for a person.
 */
export const STEPS = 30;

export type EffectEvent = "start" | "effect" | "end" | "stopped";

export interface EffectLine {
  run: string;
  step: string;
  kind: string;
  pid: number;
  owner: string;
  ev: EffectEvent;
  /** Wall-clock milliseconds with sub-millisecond precision (comparable across processes). */
  t: number;
}

export function effectFile(dir: string, runId: string): string {
  return join(dir, `${runId}.log`);
}

/** Milliseconds since the epoch, to the microsecond: the same clock in every process. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function readEffects(dir: string, runId: string): EffectLine[] {
  let text: string;
  try {
    text = readFileSync(effectFile(dir, runId), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as EffectLine);
}

const paramsSchema = z.object({ holdMs: z.number().int().min(0) }).strict();

function recorder(dir: string, owner: string, kind: string) {
  return (ctx: StepContext, ev: EffectEvent) => {
    const line: EffectLine = {
      run: ctx.run.id,
      step: ctx.step.id,
      kind,
      pid: process.pid,
      owner,
      ev,
      t: wallNow(),
    };
    appendFileSync(effectFile(dir, ctx.run.id), `${JSON.stringify(line)}\n`, { flag: "a" });
  };
}

function chaosKind(dir: string, owner: string, kind: string, idempotent: boolean, observable: boolean) {
  const record = recorder(dir, owner, kind);
  return defineStepKind({
    kind,
    description: `chaos benchmark step (${idempotent ? "idempotent" : "not idempotent"}, ${observable ? "observable" : "not observable"})`,
    params: paramsSchema,
    siteParams: [],
    idempotent,
    summarize: (p) => `${kind} for ${p.holdMs} ms`,
    async execute(ctx, p) {
      record(ctx, "start");
      let stopped = true;
      try {
        await abortableDelay(p.holdMs, ctx.signal);
        // The effect happens in one write, and only while the step has not been stopped.
        ctx.signal.throwIfAborted();
        record(ctx, "effect");
        stopped = false;
        return { status: "succeeded", output: "done" };
      } finally {
        record(ctx, stopped ? "stopped" : "end");
      }
    },
    ...(observable
      ? {
          async observe(ctx: StepContext) {
            const done = readEffects(dir, ctx.run.id).some(
              (l) => l.step === ctx.step.id && l.ev === "effect",
            );
            return done
              ? { holds: true as const, evidence: `${ctx.step.id}'s effect is in the file` }
              : { holds: false as const, evidence: `${ctx.step.id}'s effect is not in the file` };
          },
        }
      : {}),
  });
}

export function chaosKinds(dir: string, owner: string): AnyStepKind[] {
  return [
    chaosKind(dir, owner, "chaos.set", true, true),
    chaosKind(dir, owner, "chaos.once", false, true),
    chaosKind(dir, owner, "chaos.blind", false, false),
  ];
}

export function chaosRegistry(dir: string, owner: string): StepKindRegistry {
  return createStepKindRegistry(...chaosKinds(dir, owner));
}

/** Which kind step `i` of the 30 is: mostly repeatable or observable, three that are neither. */
export function kindOf(i: number): string {
  if (i % 10 === 7) return "chaos.blind";
  return i % 3 === 1 ? "chaos.once" : "chaos.set";
}

export function chaosConfig(leaseTtlMs: number): Config {
  return configSchema.parse({
    sites: [
      { name: "dc1", role: "primary", kubeconfig: { context: "a" } },
      { name: "dc2", role: "dr", kubeconfig: { context: "b" } },
    ],
    tiers: [{ name: "tier1", rto: "2h", rpo: "15m" }],
    applications: [{ name: "app", tier: "tier1", namespaces: ["prod"] }],
    // Durations as text: a bare number in the configuration is seconds.
    engine: { leaseTtl: `${leaseTtlMs}ms`, maxParallelSteps: 4, drainGrace: "2s" },
    // Who may decide about a paused run: an approver other than the requester (bench/chaos-person.ts).
    slack: {
      permissions: {
        failover: { requesters: { users: ["U0ONCALL"] }, approvers: { users: ["U0BOSS"] } },
      },
    },
  });
}

/** The 30-step plan every run of the benchmark executes, steps one after another. */
export function chaosPlan(
  config: Config,
  registry: StepKindRegistry,
  stepMs: number,
): { plan: Plan; scope: RunScope } {
  const runbook = runbookSchema.parse({
    name: "chaos",
    title: "Chaos",
    kind: "failover",
    phases: [
      {
        name: "main",
        steps: Array.from({ length: STEPS }, (_, i) => ({
          id: `s${String(i).padStart(2, "0")}`,
          title: `Step ${i}`,
          kind: kindOf(i),
          with: { holdMs: kindOf(i) === "chaos.blind" ? Math.ceil(stepMs / 2) : stepMs },
          // As a runbook would for a step that cannot be repeated: an attempt refused before it
          // started (its running mark not yet on a replica, during a failover) is tried again.
          ...(kindOf(i) === "chaos.set" ? {} : { retries: 5, retryDelay: "1s" }),
        })),
      },
    ],
  });
  const scope = resolveScope(config, ["app"], "failover");
  return { plan: buildPlan({ runbook, config, scope, mode: "real", catalog: registry }), scope };
}

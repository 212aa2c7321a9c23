import type { z } from "zod";
import type { Config } from "../domain/config.js";
import type { ConfigNeed } from "../domain/plan.js";
import type { PlanStep, RunMode, RunRecord, RunScope } from "../domain/run.js";
import type { Clock } from "../ports/clock.js";
import type { CommandRunner } from "../ports/command-runner.js";
import type { NoticeSink } from "../ports/notices.js";

/**
 * A step kind: one file under src/engine/step-kinds each, with its parameter schema, what it does,
 * whether repeating it is harmless, and how to observe whether its effect already holds (used after a
 * crash, so a non-idempotent action is never repeated blindly).
 *
 * Contract for `execute`: honour `ctx.signal` (aborted on deadline, operator abort or lost lease);
 * return a result rather than throw for expected failures; anything thrown counts as a failure with
 * the error's message as evidence.
 */
export interface StepKind<P extends Record<string, unknown> = Record<string, unknown>> {
  kind: string;
  description: string;
  params: z.ZodType<P>;
  /** True when running it twice has the same effect as once (scale to N, wait, check). */
  idempotent: boolean | ((params: P) => boolean);
  summarize(params: P): string;
  execute(ctx: StepContext, params: P): Promise<StepResult>;
  /** Does the effect already hold? Required for non-idempotent kinds to be resumed safely. */
  observe?(ctx: StepContext, params: P): Promise<Observation>;
  /**
   * Applies the plan's pins (`/dr failover --backup NAME` pins `backup`) to parsed params when the
   * plan is built, so the plan, its hash and the approval card show what the step will really do.
   */
  applyPins?(params: P, pins: Readonly<Record<string, string>>): P;
  /**
   * What the step needs from the configuration beyond its parameters (a DNS provider, a data source
   * of the right kind). Pure: checked offline by `drbot validate` for every runbook, and again when a
   * plan is built, so a missing piece refuses the request instead of failing the run halfway.
   */
  checkConfig?(params: P, config: Config): ConfigNeed[];
}

export type StepResult =
  | { status: "succeeded"; output?: string }
  | { status: "waiting"; output?: string }
  | { status: "failed"; error: string; output?: string };

export type Observation =
  | { holds: true; evidence: string }
  | { holds: false; evidence: string }
  | { holds: "unknown"; evidence: string };

export interface StepContext {
  run: Pick<RunRecord, "id" | "kind" | "mode" | "requestedBy" | "reason" | "channel">;
  step: PlanStep;
  attempt: number;
  mode: RunMode;
  scope: RunScope;
  config: Config;
  signal: AbortSignal;
  deadline: number;
  clock: Clock;
  services: StepServices;
  /** Appends a line to the step's captured output (redacted and truncated before it is stored). */
  log(line: string): void;
  /** Checklist ticks and similar attestations recorded on the step so far. */
  attestations: readonly { item: string; userId: string; at: number }[];
}

/** What step kinds may call. Adapters fill it in; kinds whose services are absent fail clearly. */
export interface StepServices {
  commands: CommandRunner;
  /**
   * Messages to people (the run's incident channel). Resolves false when the notice had nowhere to
   * go (no Slack in this process); throws when delivery failed. Absent: no notifier at all.
   */
  notify?: NoticeSink;
  /** Known secret values to redact from output. */
  secrets: readonly string[];
  /** Extension point for later step families (Kubernetes sites, Velero, DNS…). */
  [service: string]: unknown;
}

export function defineStepKind<P extends Record<string, unknown>>(kind: StepKind<P>): StepKind<P> {
  return kind;
}

export function isIdempotent<P extends Record<string, unknown>>(kind: StepKind<P>, params: P): boolean {
  return typeof kind.idempotent === "function" ? kind.idempotent(params) : kind.idempotent;
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. Timers never outlive the step. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A step kind of any parameter type, as the registry holds them; params are parsed by the kind's schema. */
// biome-ignore lint/suspicious/noExplicitAny: kinds are stored side by side and called with their own parsed params
export type AnyStepKind = StepKind<any>;

import type { z } from "zod";
import type { Config } from "../domain/config.js";
import type { ConfigNeed, ParamsParse, SiteReference, StepKindDescription } from "../domain/plan.js";
import type { PlanStep, RunMode, RunRecord, RunScope } from "../domain/run.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { StepServices } from "./step-services.js";

export type { StepServices } from "./step-services.js";

/**
 * A kind's parameter schema. What a runbook writes goes in (`z.input`); what the kind runs with
 * comes out (`z.output`: defaults filled in, durations in milliseconds). Kinds only ever see the
 * output.
 */
export type ParamsSchema = z.ZodType<Record<string, unknown>>;

/** The params of a kind whose value is a site name or a list of them. */
export type SiteParam<P> = {
  [K in keyof P]-?: NonNullable<P[K]> extends string | readonly string[] ? K : never;
}[keyof P] &
  string;

/**
 * A step kind as its file writes it: one file under src/engine/step-kinds each, with its parameter
 * schema, what it does, whether repeating it is harmless, and how to observe whether its effect
 * already holds (used after a crash, so a non-idempotent action is never repeated blindly). Every
 * function gets the schema's output type; nothing is cast.
 *
 * Contract for `execute`: honour `ctx.signal` (aborted on deadline, operator abort or lost lease);
 * return a result rather than throw for expected failures; anything thrown counts as a failure with
 * the error's message as evidence.
 */
export interface StepKindDefinition<S extends ParamsSchema> {
  kind: string;
  description: string;
  params: S;
  /**
   * Which params name a site. The plan checks each against the configuration, so a runbook naming
   * a site that does not exist (`site: dc3`) is refused when it is loaded, not when the step runs.
   */
  siteParams: readonly SiteParam<z.output<S>>[];
  /** True when running it twice has the same effect as once (scale to N, wait, check). */
  idempotent: boolean | ((params: z.output<S>) => boolean);
  /**
   * True when the kind changes nothing at any site: it reads, checks, waits or records (in drbot's
   * own store or in Slack). Only such a step may be marked `always`, since it runs after an abort
   * even where the steps before it did not.
   */
  readOnly?: true;
  /**
   * True when, with these params, the step only takes away what the run itself made at a site (a
   * scratch namespace carrying the run's label): like a read-only step, it may be marked `always`.
   */
  onlyOwnCleanup?(params: z.output<S>): boolean;
  summarize(params: z.output<S>): string;
  execute(ctx: StepContext, params: z.output<S>): Promise<StepResult>;
  /** Does the effect already hold? Required for non-idempotent kinds to be resumed safely. */
  observe?(ctx: StepContext, params: z.output<S>): Promise<Observation>;
  /**
   * Applies the plan's pins (`/dr failover --backup NAME` pins `backup`) to parsed params when the
   * plan is built, so the plan, its hash and the approval card show what the step will really do.
   */
  applyPins?(params: z.output<S>, pins: Readonly<Record<string, string>>): z.output<S>;
  /**
   * What the step needs from the configuration beyond its parameters (a DNS provider, a data source
   * of the right kind). Pure: checked offline by `drbot validate` for every runbook, and again when a
   * plan is built (with the run's scope), so a missing piece refuses the request instead of failing
   * the run halfway.
   */
  checkConfig?(params: z.output<S>, config: Config, scope: RunScope): ConfigNeed[];
  /**
   * The outcomes the kind decides (site.probe: reachable, unreachable), which a later step's `when`
   * may name. A kind that has them returns one in every result it gives (StepResult.outcome).
   */
  outcomes?: readonly string[];
}

/**
 * A step kind as the registry, the plan builder and the engine hold them side by side, whatever its
 * params: `parse` checks a runbook's params against the kind's schema when the plan is built, and
 * the other functions take the params that parse produced, as the plan stores them.
 */
export interface AnyStepKind extends StepKindDescription {
  readonly kind: string;
  readonly description: string;
  readonly params: ParamsSchema;
  readonly siteParams: readonly string[];
  isIdempotent(params: Record<string, unknown>): boolean;
  execute(ctx: StepContext, params: Record<string, unknown>): Promise<StepResult>;
  observe?(ctx: StepContext, params: Record<string, unknown>): Promise<Observation>;
}

/** A defined step kind: callable with plain params like any kind, typed by its schema in `definition`. */
export interface StepKind<S extends ParamsSchema> extends AnyStepKind {
  readonly params: S;
  readonly definition: StepKindDefinition<S>;
}

export type StepResult =
  | { status: "succeeded"; output?: string; outcome?: string }
  | { status: "waiting"; output?: string }
  | { status: "failed"; error: string; output?: string; outcome?: string };

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
  /**
   * Where a kind logs an error it handles but cannot put in the step's output (a failure after it
   * gave up waiting, say); every line carries the run and step.
   */
  logger: Logger;
  /** Appends a line to the step's captured output (redacted and truncated before it is stored). */
  log(line: string): void;
  /** Checklist ticks and similar attestations recorded on the step so far. */
  attestations: readonly { item: string; userId: string; at: number }[];
  /**
   * The output recorded on the step so far (an earlier attempt's); for an undo, what the step it
   * takes back recorded (db.read-only notes there what it found before the run changed anything).
   */
  recordedOutput?: string;
}

/**
 * Defines a step kind; its params type is inferred from the schema (its output: defaults filled in),
 * so a kind writes `params: z.object({...})` and its functions are typed by it.
 */
export function defineStepKind<S extends ParamsSchema>(definition: StepKindDefinition<S>): StepKind<S> {
  // The one place params are taken as typed. They are what this kind's schema produced: the engine
  // parses a step's raw params again before it runs it and hands over that result
  // (src/domain/plan-params.ts); an output is not always an input (a duration "30d" comes out as
  // milliseconds, and a number goes in as seconds), so the output is never parsed again itself.
  const planned = (params: Record<string, unknown>) => params as z.output<S>;
  const { idempotent, observe, applyPins, checkConfig, outcomes } = definition;
  return {
    kind: definition.kind,
    description: definition.description,
    params: definition.params,
    siteParams: definition.siteParams,
    definition,
    parse: (params) => parseParams(definition.params, params),
    summarize: (params) => definition.summarize(planned(params)),
    namedSites: (params) => namedSites(definition.siteParams, planned(params)),
    isIdempotent: (params) => (typeof idempotent === "function" ? idempotent(planned(params)) : idempotent),
    execute: (ctx, params) => definition.execute(ctx, planned(params)),
    ...(observe
      ? { observe: (ctx: StepContext, params: Record<string, unknown>) => observe(ctx, planned(params)) }
      : {}),
    ...(applyPins
      ? {
          applyPins: (params: Record<string, unknown>, pins: Readonly<Record<string, string>>) =>
            applyPins(planned(params), pins),
        }
      : {}),
    ...(checkConfig
      ? {
          checkConfig: (params: Record<string, unknown>, config: Config, scope: RunScope) =>
            checkConfig(planned(params), config, scope),
        }
      : {}),
    ...(outcomes ? { outcomes } : {}),
    ...(definition.readOnly ? { readOnly: true } : {}),
    ...(definition.onlyOwnCleanup
      ? { onlyOwnCleanup: (params: Record<string, unknown>) => definition.onlyOwnCleanup!(planned(params)) }
      : {}),
  };
}

export function isIdempotent(kind: AnyStepKind, params: Record<string, unknown>): boolean {
  return kind.isIdempotent(params);
}

function parseParams(schema: ParamsSchema, params: unknown): ParamsParse {
  const result = schema.safeParse(params);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({
      path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
      message: i.message,
    })),
  };
}

function namedSites<P>(keys: readonly SiteParam<P>[], params: P): SiteReference[] {
  return keys.flatMap((key) => {
    const value: unknown = params[key];
    if (typeof value === "string") return [{ path: [key], site: value }];
    if (Array.isArray(value))
      return value.flatMap((v, i) => (typeof v === "string" ? [{ path: [key, i], site: v }] : []));
    return [];
  });
}

/** The shared abortable sleep (src/ports/abortable-delay.ts), as step kinds wait with it. */
export { abortableDelay } from "../ports/abortable-delay.js";

import type { Config } from "../domain/config.js";
import { formatMs } from "../domain/duration.js";
import { DrError, describeError } from "../domain/errors.js";
import { redact, truncateOutput } from "../domain/redact.js";
import type { PlanStep, RunRecord, StepRecord } from "../domain/run.js";
import type { Clock } from "../ports/clock.js";
import { type Logger, silentLogger } from "../ports/logger.js";
import type { AnyStepKind, Observation, StepContext, StepResult, StepServices } from "./step-kind.js";

/** Why a step's signal was aborted, so the outcome can be told apart (deadline, operator, lost lease). */
export type AbortCause = "deadline" | "operator_abort" | "lost_lease" | "shutdown";

export class StepAbort extends Error {
  constructor(readonly abortCause: AbortCause) {
    super(`step stopped: ${abortCause}`);
    this.name = "StepAbort";
  }
}

export interface StepRunnerDeps {
  config: Config;
  clock: Clock;
  services: StepServices;
  outputLimit: number;
}

export interface StepAttemptOutcome {
  status: "succeeded" | "waiting" | "failed" | "timed_out";
  output: string;
  error?: string;
  cause?: AbortCause;
  /** What a deciding kind decided (see StepKindDefinition.outcomes). */
  outcome?: string;
}

/**
 * The step's record as its next attempt starts: running, counted, with the last attempt's end,
 * error and decision cleared. Each attempt decides for itself: an outcome an earlier attempt
 * decided stays in that attempt's events, never on the record of the next (which a `when` or the
 * report would read as the new attempt's decision).
 */
export function nextAttempt(record: StepRecord, now: number): StepRecord {
  return {
    ...record,
    status: "running",
    attempts: record.attempts + 1,
    startedAt: now,
    endedAt: undefined,
    error: undefined,
    outcome: undefined,
    resolvedBy: "executed",
  };
}

/**
 * Runs one attempt of a step: deadline through an abort signal, output captured and redacted. A kind
 * that ignores its signal still cannot hold the engine: the attempt settles when the signal fires.
 */
export async function runStepAttempt(
  deps: StepRunnerDeps,
  kind: AnyStepKind,
  run: RunRecord,
  step: PlanStep,
  record: StepRecord,
  runSignal: AbortSignal,
): Promise<StepAttemptOutcome> {
  const deadline = deps.clock.now() + step.timeoutMs;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new StepAbort("deadline")), step.timeoutMs);
  const signal = AbortSignal.any([runSignal, timeout.signal]);
  const lines: string[] = [];
  const ctx = stepContext(deps, run, step, record, signal, deadline, lines);
  let result: StepResult;
  try {
    result = await settleOnAbort(kind.execute(ctx, step.params), signal, ctx.logger, "step.execute");
  } catch (error) {
    const cause = abortCause(signal);
    const output = finishOutput(deps, lines, undefined);
    // A DrError is a failure the kind or its adapter described; anything else is a bug, kept with its stack.
    if (!cause && !(error instanceof DrError))
      ctx.logger.error("step failed with an unexpected error", { operation: "step.execute", err: error });
    // Stopped: the record says why. What the kind threw as it stopped (usually its calls cut short)
    // goes to the debug log, in case it was something else.
    if (cause && error !== signal.reason)
      ctx.logger.debug("a step threw as it was stopped", { operation: "step.execute", cause, err: error });
    if (cause === "deadline")
      return {
        status: "timed_out",
        output,
        error: `did not finish within ${formatMs(step.timeoutMs)}`,
        cause,
      };
    if (cause)
      return {
        status: "failed",
        output,
        error: cause === "operator_abort" ? "stopped by an operator's abort" : `stopped: ${cause}`,
        cause,
      };
    return { status: "failed", output, error: redact(describeError(error), deps.services.secrets) };
  } finally {
    clearTimeout(timer);
  }
  const output = finishOutput(deps, lines, result.output);
  const outcome =
    result.status !== "waiting" && result.outcome !== undefined ? { outcome: result.outcome } : {};
  if (result.status === "failed")
    return { status: "failed", output, error: redact(result.error, deps.services.secrets), ...outcome };
  return { status: result.status, output, ...outcome };
}

/** Asks a kind whether the effect of an interrupted step already holds. */
export async function observeStep(
  deps: StepRunnerDeps,
  kind: AnyStepKind,
  run: RunRecord,
  step: PlanStep,
  record: StepRecord,
  runSignal: AbortSignal,
): Promise<Observation> {
  if (!kind.observe) return { holds: "unknown", evidence: `${step.kind} steps cannot be observed` };
  const timeoutMs = Math.min(step.timeoutMs, 60_000);
  const signal = AbortSignal.any([runSignal, AbortSignal.timeout(timeoutMs)]);
  const ctx = stepContext(deps, run, step, record, signal, deps.clock.now() + timeoutMs, []);
  try {
    return await settleOnAbort(kind.observe(ctx, step.params), signal, ctx.logger, "step.observe");
  } catch (error) {
    if (!signal.aborted && !(error instanceof DrError))
      ctx.logger.error("observing a step failed with an unexpected error", {
        operation: "step.observe",
        err: error,
      });
    return {
      holds: "unknown",
      evidence: `observation failed: ${redact(describeError(error), deps.services.secrets)}`,
    };
  }
}

function stepContext(
  deps: StepRunnerDeps,
  run: RunRecord,
  step: PlanStep,
  record: StepRecord,
  signal: AbortSignal,
  deadline: number,
  lines: string[],
): StepContext {
  return {
    run: {
      id: run.id,
      kind: run.kind,
      mode: run.mode,
      requestedBy: run.requestedBy,
      reason: run.reason,
      ...(run.channel ? { channel: run.channel } : {}),
    },
    step,
    attempt: record.attempts,
    ...(record.output !== undefined ? { recordedOutput: record.output } : {}),
    mode: run.mode,
    scope: run.scope,
    config: deps.config,
    signal,
    deadline,
    clock: deps.clock,
    services: deps.services,
    logger: (deps.services.logger ?? silentLogger).child({ runId: run.id, stepId: step.id }),
    log: (line) => {
      if (lines.length < 2000) lines.push(line);
    },
    attestations: record.attestations ?? [],
  };
}

function finishOutput(deps: StepRunnerDeps, lines: string[], resultOutput: string | undefined): string {
  const text = [...lines, ...(resultOutput ? [resultOutput] : [])].join("\n");
  return truncateOutput(redact(text, deps.services.secrets), deps.outputLimit);
}

function abortCause(signal: AbortSignal): AbortCause | undefined {
  if (!signal.aborted) return undefined;
  return signal.reason instanceof StepAbort ? signal.reason.abortCause : "shutdown";
}

/**
 * Settles with `work`, or rejects as soon as the signal fires. A kind that ignored its signal may
 * still fail afterwards; nobody waits for it any more, so that late failure is logged.
 */
function settleOnAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
  logger: Logger,
  operation: string,
): Promise<T> {
  const logLate = (error: unknown) =>
    logger.warn("a step failed after it was stopped", { operation, err: error, cause: abortCause(signal) });
  if (signal.aborted) {
    work.catch(logLate);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) logLate(error);
        reject(error);
      },
    );
  });
}

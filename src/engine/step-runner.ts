import type { Config } from "../domain/config.js";
import { describeError } from "../domain/errors.js";
import { redact, truncateOutput } from "../domain/redact.js";
import type { PlanStep, RunRecord, StepRecord } from "../domain/run.js";
import type { Clock } from "../ports/clock.js";
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
    result = await settleOnAbort(kind.execute(ctx, step.params), signal);
  } catch (error) {
    const cause = abortCause(signal);
    const output = finishOutput(deps, lines, undefined);
    if (cause === "deadline")
      return { status: "timed_out", output, error: `did not finish within ${step.timeoutMs} ms`, cause };
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
  if (result.status === "failed")
    return { status: "failed", output, error: redact(result.error, deps.services.secrets) };
  return { status: result.status, output };
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
  try {
    const ctx = stepContext(deps, run, step, record, signal, deps.clock.now() + timeoutMs, []);
    return await settleOnAbort(kind.observe(ctx, step.params), signal);
  } catch (error) {
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
    mode: run.mode,
    scope: run.scope,
    config: deps.config,
    signal,
    deadline,
    clock: deps.clock,
    services: deps.services,
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

function settleOnAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
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
        reject(error);
      },
    );
  });
}

import { createHash } from "node:crypto";
import { DrError, describeError } from "../../domain/errors.js";
import { isPartiallyFailing, type PhaseVerdict } from "../../domain/velero-phases.js";
import { RUN_ID_LABEL } from "../../ports/site.js";
import { ATTEMPT_LABEL, STEP_LABEL } from "../../ports/velero.js";
import { abortableDelay, type StepContext } from "../step-kind.js";

/**
 * Labels of an object a step creates: the run, the step and the attempt. After a crash the step
 * finds its object by run and step, so a takeover never creates a second one.
 */
export function stepLabels(ctx: StepContext): Record<string, string> {
  return {
    [RUN_ID_LABEL]: labelValue(ctx.run.id),
    [STEP_LABEL]: labelValue(ctx.step.id),
    [ATTEMPT_LABEL]: String(ctx.attempt),
    "app.kubernetes.io/managed-by": "drbot",
  };
}

export function stepSelector(ctx: StepContext, stepId: string = ctx.step.id): string {
  return `${RUN_ID_LABEL}=${labelValue(ctx.run.id)},${STEP_LABEL}=${labelValue(stepId)}`;
}

/** Every object of the run, whichever step made it. */
export function runSelector(ctx: StepContext): string {
  return `${RUN_ID_LABEL}=${labelValue(ctx.run.id)}`;
}

/**
 * A name fixed by run, step and attempt, so creating it again (a retried request, a takeover) meets
 * the object already there instead of making a twin. At most 63 characters: Velero copies backup
 * and restore names into label values.
 */
export function stepObjectName(ctx: StepContext): string {
  const base = `drbot-${ctx.run.id}-${ctx.step.id}-${ctx.attempt}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  if (base.length <= 63) return base;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 10);
  return `${base.slice(0, 52).replace(/-+$/, "")}-${hash}`;
}

export function attemptOf(labels: Record<string, string>): number {
  return Number(labels[ATTEMPT_LABEL] ?? 0);
}

function labelValue(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9_.-]+/g, "-");
  if (clean.length <= 63 && /^[A-Za-z0-9]/.test(clean) && /[A-Za-z0-9]$/.test(clean)) return clean;
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 10);
  return `${clean.replace(/^[^A-Za-z0-9]+/, "").slice(0, 52)}-${hash}`;
}

/**
 * Repeats a request that timed out or found the API server unreachable until it answers or the
 * step's signal fires. Only for requests that are safe to repeat: reads, and creates of objects
 * with a fixed name (a second create meets the first object, see VeleroPort).
 */
export async function untilAnswered<T>(
  ctx: StepContext,
  what: string,
  request: () => Promise<T>,
): Promise<T> {
  let delay = 200;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (!isTransient(error)) throw error;
      ctx.log(`${what}: ${describeError(error)}; trying again`);
    }
    await abortableDelay(delay, ctx.signal);
    delay = Math.min(delay * 2, 2_000);
  }
}

function isTransient(error: unknown): boolean {
  const reason = (error as { details?: { reason?: string } } | undefined)?.details?.reason;
  return reason === "timeout" || reason === "unreachable" || reason === "unknown";
}

/**
 * Polls a Velero object until its phase is terminal or the step's signal fires. Polling, not a
 * watch: a watch can stall silently after an API server restart, and a restore can run for the
 * step's whole timeout. Failed reads (timeout, unreachable) are logged and retried; the step's
 * deadline bounds the wait. Every phase change is logged, with the PartiallyFailed variants
 * flagged as soon as they appear.
 */
export async function watchPhases<T extends { phase: string; warnings: number; errors: number }>(
  ctx: StepContext,
  what: string,
  read: (signal: AbortSignal) => Promise<T | undefined>,
  verdictOf: (object: T) => PhaseVerdict,
  progress: (object: T) => string = () => "",
): Promise<{ object: T; verdict: PhaseVerdict }> {
  let lastPhase: string | undefined;
  let delay = 100;
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    try {
      const object = await read(ctx.signal);
      if (!object) throw new DrError("not_found", `${what} disappeared while being watched`);
      const verdict = verdictOf(object);
      const phase = object.phase || "New";
      if (phase !== lastPhase) {
        ctx.log(
          `${what}: ${phase}${progress(object)} (${object.errors} error(s), ${object.warnings} warning(s))` +
            (isPartiallyFailing(phase) ? " — some items failed; this will not end Completed" : ""),
        );
        lastPhase = phase;
      }
      if (verdict.state !== "running") return { object, verdict };
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (!isTransient(error)) throw error;
      ctx.log(`${what}: could not read it (${describeError(error)}); trying again`);
    }
    await abortableDelay(delay, ctx.signal);
    delay = Math.min(delay * 1.5, 2_000);
  }
}

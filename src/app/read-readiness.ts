import { formatMs } from "../domain/duration.js";
import { describeError } from "../domain/errors.js";
import { type KeptRound, keptRound } from "../domain/readiness/kept-round.js";
import type { ReadinessReport } from "../domain/readiness/readiness.js";
import { type RunReadiness, runReadiness } from "../domain/readiness/run-readiness.js";
import { answerWithin } from "./answer-within.js";
import type { AppContext } from "./app-context.js";

/** How often the watch leader keeps a round (watch.readiness.interval); staleness is counted in these. */
export function readinessIntervalMs(ctx: Pick<AppContext, "config">): number {
  return ctx.config.watch.readiness.interval;
}

/**
 * The kept readiness round, read within `deadlineMs` and never waited on longer: what status and the
 * approval card show. Undefined when this process reads no readiness at all. A store that fails or
 * does not answer in time gives `unread` with why, never "not assessed" and never a hang.
 */
export async function readKeptRound(
  ctx: Pick<AppContext, "readiness" | "clock" | "config" | "log">,
  deadlineMs: number,
  operation: string,
): Promise<KeptRound | undefined> {
  const source = ctx.readiness;
  if (!source) return undefined;
  const late = Symbol("late");
  const reading: Promise<{ report: ReadinessReport | undefined } | { detail: string }> = source.latest().then(
    (report) => ({ report }),
    (error: unknown) => {
      ctx.log.warn("could not read the kept readiness round", { operation, err: error });
      return { detail: `could not be read: ${describeError(error)}` };
    },
  );
  const read = await answerWithin<Awaited<typeof reading> | typeof late>(reading, deadlineMs, late);
  if (read === late)
    return { state: "unread", detail: `could not be read: no answer within ${formatMs(deadlineMs)}` };
  if ("detail" in read) return { state: "unread", detail: read.detail };
  return keptRound(read.report, ctx.clock.now(), readinessIntervalMs(ctx));
}

/**
 * The readiness of a run's scope for its card (and, at the last approval, to compare with what was
 * accepted): read within the status deadline, so a request or an approval never waits on the store.
 * Undefined when this process reads no readiness.
 */
export async function readRunReadiness(
  ctx: Pick<AppContext, "readiness" | "clock" | "config" | "log" | "statusDeadlineMs">,
  applications: readonly string[],
  operation: string,
): Promise<RunReadiness | undefined> {
  const kept = await readKeptRound(ctx, ctx.statusDeadlineMs, operation);
  return kept ? runReadiness(kept, applications) : undefined;
}

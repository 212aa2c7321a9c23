import { describeError } from "../domain/errors.js";
import { type KeptRound, keptRound } from "../domain/readiness/kept-round.js";
import type { ReadinessReport } from "../domain/readiness/readiness.js";
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
    return { state: "unread", detail: `could not be read: no answer within ${deadlineMs} ms` };
  if ("detail" in read) return { state: "unread", detail: read.detail };
  return keptRound(read.report, ctx.clock.now(), readinessIntervalMs(ctx));
}

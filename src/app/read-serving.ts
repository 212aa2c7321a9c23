import { formatMs } from "../domain/duration.js";
import { describeError } from "../domain/errors.js";
import { type Serving, type ServingReading, servingSites } from "../domain/site-state.js";
import { answerWithin } from "./answer-within.js";
import type { AppContext } from "./app-context.js";

/**
 * Which site serves each configured application now, from the site state. Throws what the store
 * throws (DrError unavailable): a request that cannot know the direction of its run is refused rather
 * than planned on a guess.
 */
export async function readServing(ctx: Pick<AppContext, "config" | "siteState">): Promise<Serving[]> {
  return servingSites(ctx.config, await ctx.siteState.current());
}

/** For `status`: the reading within the deadline, or why there is none (status answers anyway). */
export async function readServingWithin(ctx: AppContext, deadlineMs: number): Promise<ServingReading> {
  const reading = readServing(ctx).then(
    (applications): ServingReading => ({ read: true, applications }),
    (error: unknown): ServingReading => ({
      read: false,
      detail: `could not be read: ${describeError(error)}`,
    }),
  );
  return answerWithin(reading, deadlineMs, {
    read: false,
    detail: `no answer within ${formatMs(deadlineMs)}`,
  });
}

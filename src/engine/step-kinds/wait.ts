import { z } from "zod";
import { durationSchema, formatMs } from "../../domain/duration.js";
import { abortableDelay, defineStepKind } from "../step-kind.js";

/**
 * Waits a fixed time (for example to let caches and DNS TTLs run out): at least that long by the
 * wall clock, which timers can undercut by a millisecond. Idempotent.
 */
const waitParams = z.object({ duration: durationSchema }).strict();

export const waitStep = defineStepKind({
  kind: "wait",
  description: "Waits for a fixed duration, cut short by an abort.",
  params: waitParams,
  siteParams: [],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `wait ${formatMs(p.duration)}`,
  async execute(ctx, p) {
    const started = Date.now();
    await abortableDelay(p.duration, ctx.signal);
    const short = p.duration - (Date.now() - started);
    if (short > 0) await abortableDelay(short, ctx.signal);
    return { status: "succeeded", output: `waited ${formatMs(p.duration)}` };
  },
});

import { z } from "zod";
import { defineStepKind } from "../step-kind.js";

/**
 * Posts a notice to the run's channel (in the run's thread, broadcast to the channel). Repeating it
 * after a crash only repeats a notice. A process without Slack, or whose Slack refuses the run's
 * channel for good (it is gone, archived, the bot removed), records the text as the step's output
 * and says it was not posted; a passing failure fails the step (retries and onFailure apply).
 */
const notifyParams = z
  .object({ text: z.string().min(1).max(2000), level: z.enum(["info", "warning"]).default("info") })
  .strict();

export const notifyStep = defineStepKind({
  kind: "notify",
  description: "Posts a message to the incident channel.",
  params: notifyParams,
  siteParams: [],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `notify: ${p.text.slice(0, 80)}`,
  async execute(ctx, p) {
    const delivered = ctx.services.notify
      ? await ctx.services.notify({ runId: ctx.run.id, text: p.text, level: p.level })
      : false;
    return {
      status: "succeeded",
      output: delivered ? p.text : `(not posted: no Slack channel, or Slack refuses it) ${p.text}`,
    };
  },
});

import { z } from "zod";
import { defineStepKind } from "../step-kind.js";

/** Posts a notice to the run's channel. Repeating it after a crash only repeats a notice. */
const notifyParams = z
  .object({ text: z.string().min(1).max(2000), level: z.enum(["info", "warning"]).default("info") })
  .strict();
type NotifyParams = z.output<typeof notifyParams>;

export const notifyStep = defineStepKind<NotifyParams>({
  kind: "notify",
  description: "Posts a message to the incident channel.",
  params: notifyParams as z.ZodType<NotifyParams>,
  idempotent: true,
  summarize: (p) => `notify: ${p.text.slice(0, 80)}`,
  async execute(ctx, p) {
    if (!ctx.services.notify) return { status: "succeeded", output: `(no channel configured) ${p.text}` };
    await ctx.services.notify({ runId: ctx.run.id, text: p.text, level: p.level });
    return { status: "succeeded", output: p.text };
  },
});

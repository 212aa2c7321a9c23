import { z } from "zod";
import { defineStepKind } from "../../src/engine/step-kind.js";

/** Decides what its params say, like site.probe decides what the site answers. */
export const decideKind = defineStepKind({
  kind: "test.decide",
  description: "Decides the outcome it is given.",
  params: z.object({ answer: z.enum(["yes", "no"]) }).strict(),
  siteParams: [],
  outcomes: ["yes", "no"],
  idempotent: true,
  summarize: (p) => `decide ${p.answer}`,
  execute: async (_ctx, p) => ({ status: "succeeded", outcome: p.answer, output: `decided ${p.answer}` }),
});

/**
 * A deciding kind scripted per attempt: attempt N does what `attempts[N-1]` says (the last entry for
 * any later attempt): fails or succeeds, deciding `outcome` or nothing; `throws` fails it with an
 * error, so that attempt decides nothing.
 */
export const scriptedDecideKind = defineStepKind({
  kind: "test.decide-per-attempt",
  description: "Decides, per attempt, what its script says.",
  params: z
    .object({
      attempts: z
        .array(
          z
            .object({
              outcome: z.enum(["yes", "no"]).optional(),
              fail: z.boolean().default(false),
              throws: z.boolean().default(false),
            })
            .strict(),
        )
        .min(1),
    })
    .strict(),
  siteParams: [],
  outcomes: ["yes", "no"],
  idempotent: true,
  summarize: (p) => `decide per attempt (${p.attempts.length})`,
  async execute(ctx, p) {
    const script = p.attempts[Math.min(ctx.attempt, p.attempts.length) - 1]!;
    if (script.throws) throw new Error(`attempt ${ctx.attempt} could not decide`);
    const outcome = script.outcome !== undefined ? { outcome: script.outcome } : {};
    return script.fail
      ? { status: "failed", error: `attempt ${ctx.attempt} failed`, ...outcome }
      : { status: "succeeded", output: `attempt ${ctx.attempt} decided ${script.outcome}`, ...outcome };
  },
});

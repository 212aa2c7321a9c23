import { z } from "zod";
import { defineStepKind } from "../step-kind.js";

/**
 * Manual items a person ticks (the seed's pre-test checklist). The step waits until every item is
 * ticked; ticks are attestations recorded with who and when. Re-evaluating it is harmless.
 */
const checklistParams = z
  .object({
    items: z.array(z.string().min(1).max(150)).min(1).max(20),
    /** When true, the requester's own ticks do not count (a second pair of eyes). */
    requireOtherThanRequester: z.boolean().default(false),
  })
  .strict();

export const checklistStep = defineStepKind({
  kind: "checklist",
  description: "Waits until a person has ticked every item; records who ticked what and when.",
  params: checklistParams,
  siteParams: [],
  idempotent: true,
  summarize: (p) => `checklist of ${p.items.length} item${p.items.length === 1 ? "" : "s"}`,
  async execute(ctx, p) {
    const counted = ctx.attestations.filter(
      (a) => !p.requireOtherThanRequester || a.userId !== ctx.run.requestedBy,
    );
    const missing = p.items.filter((item) => !counted.some((a) => a.item === item));
    if (missing.length > 0) return { status: "waiting", output: `waiting for: ${missing.join("; ")}` };
    const lines = p.items.map((item) => {
      const tick = counted.find((a) => a.item === item)!;
      return `✓ ${item}: ${tick.userId} at ${new Date(tick.at).toISOString()}`;
    });
    return { status: "succeeded", output: lines.join("\n") };
  },
});

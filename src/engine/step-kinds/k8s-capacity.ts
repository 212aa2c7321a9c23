import { z } from "zod";
import { judgeSiteCapacity } from "../../domain/capacity.js";
import { nameSchema } from "../../domain/config.js";
import { defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * The DR site must have the primary's capacity, or N-1 nodes' worth where allowed (the seed's rule,
 * src/domain/capacity.ts). Idempotent; it changes nothing, so observing it is checking again.
 */
const params = z
  .object({ primary: nameSchema, dr: nameSchema, allowNMinus1: z.boolean().default(true) })
  .strict();
type Params = z.output<typeof params>;

export const k8sCapacityStep = defineStepKind({
  kind: "k8s.capacity",
  description: "Checks the DR site's capacity against the primary's (or N-1).",
  params,
  siteParams: ["primary", "dr"],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `capacity of ${p.dr} against ${p.primary}${p.allowNMinus1 ? " (N-1 allowed)" : ""}`,
  execute: checkCapacity,
  async observe(ctx, p) {
    const result = await checkCapacity(ctx, p);
    return result.status === "failed"
      ? { holds: false, evidence: `${result.error} (${result.output ?? ""})` }
      : { holds: true, evidence: result.output ?? `${p.dr} has the capacity` };
  },
});

async function checkCapacity(ctx: StepContext, p: Params): Promise<StepResult> {
  const sites = serviceOf(ctx, "sites");
  const options = { signal: ctx.signal };
  const [primary, dr] = await Promise.all([
    sites.site(p.primary).capacity(options),
    sites.site(p.dr).capacity(options),
  ]);
  const { short, output } = judgeSiteCapacity(primary, dr, p.allowNMinus1);
  if (short)
    return {
      status: "failed",
      error: `${p.dr} has less capacity than ${p.allowNMinus1 ? "N-1 of " : ""}${p.primary}`,
      output,
    };
  return { status: "succeeded", output };
}

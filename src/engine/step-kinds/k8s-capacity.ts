import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { defineStepKind } from "../step-kind.js";
import { sitesOf } from "./k8s-common.js";

/** The DR site must have the primary's capacity, or N-1 nodes' worth where allowed (the seed's rule). */
const params = z
  .object({ primary: nameSchema, dr: nameSchema, allowNMinus1: z.boolean().default(true) })
  .strict();
type Params = z.output<typeof params>;

export const k8sCapacityStep = defineStepKind<Params>({
  kind: "k8s.capacity",
  description: "Checks the DR site's capacity against the primary's (or N-1).",
  params: params as z.ZodType<Params>,
  idempotent: true,
  summarize: (p) => `capacity of ${p.dr} against ${p.primary}${p.allowNMinus1 ? " (N-1 allowed)" : ""}`,
  async execute(ctx, p) {
    const sites = sitesOf(ctx);
    const [primary, dr] = await Promise.all([sites.site(p.primary).capacity(), sites.site(p.dr).capacity()]);
    const factor =
      p.allowNMinus1 && primary.readyNodes > 1 ? (primary.readyNodes - 1) / primary.readyNodes : 1;
    const needCpu = primary.cpuMillis * factor;
    const needMem = primary.memoryBytes * factor;
    const output = `${p.dr}: ${dr.readyNodes} nodes, ${dr.cpuMillis / 1000} CPU, ${(dr.memoryBytes / 2 ** 30).toFixed(0)} GiB; ${p.primary}: ${primary.readyNodes} nodes, ${primary.cpuMillis / 1000} CPU, ${(primary.memoryBytes / 2 ** 30).toFixed(0)} GiB`;
    if (dr.cpuMillis < needCpu || dr.memoryBytes < needMem)
      return {
        status: "failed",
        error: `${p.dr} has less capacity than ${p.allowNMinus1 ? "N-1 of " : ""}${p.primary}`,
        output,
      };
    return { status: "succeeded", output };
  },
});

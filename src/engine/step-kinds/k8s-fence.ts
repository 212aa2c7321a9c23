import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import { defineStepKind } from "../step-kind.js";
import { refText, resolveTargets, sitesOf } from "./k8s-common.js";

/**
 * Fences the primary: scales its workloads to 0 where it still answers, so two sites never serve at
 * once. An unreachable primary cannot be fenced; `whenUnreachable` says whether that fails the step.
 */
const params = z
  .object({
    site: nameSchema,
    workloads: z
      .array(
        z
          .object({
            kind: z.enum(["Deployment", "StatefulSet"]).default("Deployment"),
            namespace: k8sNameSchema,
            name: z.union([k8sNameSchema, z.literal("*")]),
          })
          .loose(),
      )
      .min(1),
    whenUnreachable: z.enum(["continue", "fail"]).default("continue"),
  })
  .strict();
type Params = z.output<typeof params>;

export const k8sFenceStep = defineStepKind<Params>({
  kind: "k8s.fence",
  description: "Scales the primary's workloads down where it is reachable.",
  params: params as z.ZodType<Params>,
  idempotent: true,
  summarize: (p) => `fence ${p.site}: scale ${p.workloads.length} workload(s) to 0 where it answers`,
  async execute(ctx, p) {
    const site = sitesOf(ctx).site(p.site);
    const health = await site.health();
    if (!health.reachable) {
      const note = `${p.site} is unreachable (${health.error?.code ?? "no answer"}); it could not be fenced`;
      return p.whenUnreachable === "continue"
        ? { status: "succeeded", output: `${note}; going on as configured` }
        : { status: "failed", error: note };
    }
    let count = 0;
    for (const w of p.workloads) {
      try {
        for (const ref of await resolveTargets(site, w)) {
          await site.scale(ref, 0);
          ctx.log(`${refText(ref)} → 0`);
          count++;
        }
      } catch (error) {
        if (!(error instanceof DrError && error.code === "not_found")) throw error;
      }
    }
    return { status: "succeeded", output: `fenced ${p.site}: ${count} workload(s) scaled to 0` };
  },
});

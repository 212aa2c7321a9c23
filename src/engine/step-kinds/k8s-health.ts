import { z } from "zod";
import { nameSchema } from "../../domain/config.js";
import { defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Checks a site: API reachable, nodes Ready, expected node labels. Idempotent; it changes nothing,
 * so observing it is checking again: it holds when the check passes now.
 */
const params = z
  .object({
    site: nameSchema,
    requireNodesReady: z.boolean().default(true),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .strict();
type Params = z.output<typeof params>;

export const k8sHealthStep = defineStepKind({
  kind: "k8s.health",
  description: "Checks a site's API, nodes Ready and node labels.",
  params,
  siteParams: ["site"],
  idempotent: true,
  readOnly: true,
  summarize: (p) => `health of ${p.site}`,
  execute: checkHealth,
  async observe(ctx, p) {
    const result = await checkHealth(ctx, p);
    return result.status === "succeeded"
      ? { holds: true, evidence: result.output ?? `${p.site} is healthy` }
      : {
          holds: false,
          evidence: result.status === "failed" ? result.error : `${p.site} is not healthy yet`,
        };
  },
});

async function checkHealth(ctx: StepContext, p: Params): Promise<StepResult> {
  const health = await serviceOf(ctx, "sites").site(p.site).health({ signal: ctx.signal });
  if (!health.reachable)
    return {
      status: "failed",
      error: `${p.site} is not reachable: ${health.error?.message ?? "no answer"}`,
    };
  const output = `${p.site}: API ${health.version}, ${health.readyNodes}/${health.nodes.length} nodes Ready (${Math.round(health.latencyMs)} ms)`;
  if (p.requireNodesReady && health.readyNodes === 0)
    return { status: "failed", error: `${p.site} has no Ready node`, output };
  const unlabelled = health.nodes
    .filter((n) => Object.entries(p.labels).some(([k, v]) => n.labels[k] !== v))
    .map((n) => n.name);
  if (unlabelled.length > 0)
    return {
      status: "failed",
      error: `nodes without the labels ${JSON.stringify(p.labels)}: ${unlabelled.join(", ")}`,
      output,
    };
  return { status: "succeeded", output };
}

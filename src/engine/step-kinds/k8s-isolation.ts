import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { allowsFor, isolationNeeds, isolationPolicy } from "../../domain/isolation.js";
import { runPolicyName } from "../../domain/network-policy.js";
import type { SitePort } from "../../ports/site.js";
import { defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Drill isolation instead of shutting the primary down: a NetworkPolicy in each of the drill's
 * namespaces on `site` (DR) that cuts them off from `from`'s networks (the primary) and from nothing
 * else: the site's own pods, every address outside the primary, and the allow-lists of the site and
 * the applications (replication from the primary's database, drbot when it runs there) stay open
 * (src/domain/isolation.ts). The policies carry the run id; `k8s.unisolate` removes them and
 * `k8s.verify-clean` proves them gone. All idempotent (a second isolate replaces the rules with the
 * same ones), and observable from what is labelled with the run id.
 *
 * Enforcement is the network plugin's: a cluster without one (KWOK, a bare kube-apiserver) stores the
 * policies and cuts nothing.
 */
const isolateParams = z
  .object({
    site: nameSchema,
    namespaces: z.array(k8sNameSchema).min(1),
    /** The site cut off: its networks (sites[].networks) are what the policies close. */
    from: nameSchema,
  })
  .strict();
const siteParams = z.object({ site: nameSchema }).strict();

export const k8sIsolateStep = defineStepKind({
  kind: "k8s.isolate",
  description:
    "Cuts namespaces off from another site's networks only, with NetworkPolicies labelled with the run id.",
  params: isolateParams,
  siteParams: ["site", "from"],
  idempotent: true,
  summarize: (p) => `isolate ${p.namespaces.join(", ")} on ${p.site} from ${p.from}'s networks`,
  checkConfig: (p, config) => isolationNeeds(config, p).map((message) => ({ path: ["with"], message })),
  async execute(ctx, p) {
    const needs = isolationNeeds(ctx.config, p);
    if (needs.length > 0) return { status: "failed", error: needs.join("; ") };
    const site = serviceOf(ctx, "sites").site(p.site);
    const policies = p.namespaces.map((namespace) => ({
      namespace,
      policy: isolationPolicy(ctx.config, { site: p.site, from: p.from, namespace }),
    }));
    await ctx.services.ledger?.record(
      ctx.run.id,
      p.namespaces.map((namespace) => ({
        site: p.site,
        change: "created" as const,
        object: `NetworkPolicy ${namespace}/${runPolicyName("isolate", ctx.run.id)}`,
        stepId: ctx.step.id,
        at: ctx.clock.now(),
      })),
    );
    const applied = await site.applyRunPolicies(ctx.run.id, policies, { signal: ctx.signal });
    for (const namespace of p.namespaces) {
      const kept = allowsFor(ctx.config, { site: p.site, from: p.from, namespace }).map(
        (a) =>
          `${a.name} (${a.direction} ${a.cidrs.join(" ")}${a.ports.length ? ` ${a.ports.map((x) => `${x.protocol}/${x.port}`).join(" ")}` : ""})`,
      );
      ctx.log(
        `${namespace}: cut off from ${p.from}; open: pods of ${p.site}, everything outside ${p.from}${kept.length ? `, ${kept.join(", ")}` : ""}`,
      );
    }
    return { status: "succeeded", output: `NetworkPolicies: ${applied.join(", ")}` };
  },
  async observe(ctx, p) {
    const policies = await runPolicies(ctx, serviceOf(ctx, "sites").site(p.site));
    const open = p.namespaces.filter((ns) => !policies.some((policy) => policy.startsWith(`${ns}/`)));
    return open.length === 0
      ? { holds: true, evidence: `isolated on ${p.site}: ${policies.join(", ")}` }
      : { holds: false, evidence: `no policy of ${ctx.run.id} in ${open.join(", ")} on ${p.site}` };
  },
});

export const k8sUnisolateStep = defineStepKind({
  kind: "k8s.unisolate",
  description: "Removes the run's NetworkPolicies.",
  params: siteParams,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `remove isolation on ${p.site}`,
  async execute(ctx, p) {
    const removed = await serviceOf(ctx, "sites")
      .site(p.site)
      .removeIsolation(ctx.run.id, { signal: ctx.signal });
    return { status: "succeeded", output: `removed ${removed} NetworkPolic${removed === 1 ? "y" : "ies"}` };
  },
  async observe(ctx, p) {
    const policies = await runPolicies(ctx, serviceOf(ctx, "sites").site(p.site));
    return policies.length === 0
      ? { holds: true, evidence: `no NetworkPolicy of ${ctx.run.id} on ${p.site}` }
      : { holds: false, evidence: `still on ${p.site}: ${policies.join(", ")}` };
  },
});

/** The run's NetworkPolicies on a site, as "namespace/name". */
async function runPolicies(ctx: StepContext, site: SitePort): Promise<string[]> {
  const objects = await site.listByRunId(ctx.run.id, { signal: ctx.signal });
  return objects.filter((o) => o.startsWith("NetworkPolicy ")).map((o) => o.slice("NetworkPolicy ".length));
}

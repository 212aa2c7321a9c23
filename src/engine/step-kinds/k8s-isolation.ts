import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import type { SitePort } from "../../ports/site.js";
import { defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Drill isolation instead of shutting the primary down: deny-all NetworkPolicies labelled with the
 * run id, removed at the end; `k8s.verify-clean` proves nothing of the run remains. All idempotent,
 * and all observable from what is labelled with the run id: isolation holds when every namespace
 * has the run's policy, its removal when none is left, and a clean site when nothing of the run is.
 */
const isolateParams = z.object({ site: nameSchema, namespaces: z.array(k8sNameSchema).min(1) }).strict();
const siteParams = z.object({ site: nameSchema }).strict();
const cleanParams = z.object({ sites: z.array(nameSchema).min(1) }).strict();

export const k8sIsolateStep = defineStepKind({
  kind: "k8s.isolate",
  description: "Isolates namespaces with deny-all NetworkPolicies labelled with the run id.",
  params: isolateParams,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `isolate ${p.namespaces.join(", ")} on ${p.site}`,
  async execute(ctx, p) {
    const created = await serviceOf(ctx, "sites")
      .site(p.site)
      .isolate(ctx.run.id, p.namespaces, { signal: ctx.signal });
    return { status: "succeeded", output: `NetworkPolicies: ${created.join(", ")}` };
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

export const k8sVerifyCleanStep = defineStepKind({
  kind: "k8s.verify-clean",
  description: "Proves nothing labelled with the run id remains.",
  params: cleanParams,
  siteParams: ["sites"],
  idempotent: true,
  summarize: (p) => `verify nothing of this run remains on ${p.sites.join(", ")}`,
  async execute(ctx, p) {
    const { leftovers, unreachable } = await findLeftovers(ctx, p.sites);
    if (leftovers.length > 0) return { status: "failed", error: `left behind: ${leftovers.join("; ")}` };
    if (unreachable.length > 0)
      return { status: "failed", error: `could not check ${unreachable.join(", ")} (unreachable)` };
    return {
      status: "succeeded",
      output: `nothing labelled with ${ctx.run.id} remains on ${p.sites.join(", ")}`,
    };
  },
  async observe(ctx, p) {
    const { leftovers, unreachable } = await findLeftovers(ctx, p.sites);
    if (leftovers.length > 0) return { holds: false, evidence: `left behind: ${leftovers.join("; ")}` };
    if (unreachable.length > 0)
      return { holds: "unknown", evidence: `could not check ${unreachable.join(", ")} (unreachable)` };
    return { holds: true, evidence: `nothing labelled with ${ctx.run.id} remains on ${p.sites.join(", ")}` };
  },
});

/** The run's NetworkPolicies on a site, as "namespace/name". */
async function runPolicies(ctx: StepContext, site: SitePort): Promise<string[]> {
  const objects = await site.listByRunId(ctx.run.id, { signal: ctx.signal });
  return objects.filter((o) => o.startsWith("NetworkPolicy ")).map((o) => o.slice("NetworkPolicy ".length));
}

async function findLeftovers(
  ctx: StepContext,
  sites: readonly string[],
): Promise<{ leftovers: string[]; unreachable: string[] }> {
  const leftovers: string[] = [];
  const unreachable: string[] = [];
  for (const name of sites) {
    const site = serviceOf(ctx, "sites").site(name);
    if (!(await site.health({ signal: ctx.signal })).reachable) {
      unreachable.push(name);
      continue;
    }
    const objects = await site.listByRunId(ctx.run.id, { signal: ctx.signal });
    leftovers.push(...objects.map((o) => `${name}: ${o}`));
  }
  return { leftovers, unreachable };
}

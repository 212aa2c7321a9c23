import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { defineStepKind } from "../step-kind.js";
import { sitesOf } from "./k8s-common.js";

/**
 * Drill isolation instead of shutting the primary down: deny-all NetworkPolicies labelled with the
 * run id, removed at the end; `k8s.verify-clean` proves nothing of the run remains. All idempotent.
 */
const isolateParams = z.object({ site: nameSchema, namespaces: z.array(k8sNameSchema).min(1) }).strict();
type IsolateParams = z.output<typeof isolateParams>;
const siteParams = z.object({ site: nameSchema }).strict();
type SiteParams = z.output<typeof siteParams>;
const cleanParams = z.object({ sites: z.array(nameSchema).min(1) }).strict();
type CleanParams = z.output<typeof cleanParams>;

export const k8sIsolateStep = defineStepKind<IsolateParams>({
  kind: "k8s.isolate",
  description: "Isolates namespaces with deny-all NetworkPolicies labelled with the run id.",
  params: isolateParams as z.ZodType<IsolateParams>,
  idempotent: true,
  summarize: (p) => `isolate ${p.namespaces.join(", ")} on ${p.site}`,
  async execute(ctx, p) {
    const created = await sitesOf(ctx).site(p.site).isolate(ctx.run.id, p.namespaces);
    return { status: "succeeded", output: `NetworkPolicies: ${created.join(", ")}` };
  },
});

export const k8sUnisolateStep = defineStepKind<SiteParams>({
  kind: "k8s.unisolate",
  description: "Removes the run's NetworkPolicies.",
  params: siteParams as z.ZodType<SiteParams>,
  idempotent: true,
  summarize: (p) => `remove isolation on ${p.site}`,
  async execute(ctx, p) {
    const removed = await sitesOf(ctx).site(p.site).removeIsolation(ctx.run.id);
    return { status: "succeeded", output: `removed ${removed} NetworkPolic${removed === 1 ? "y" : "ies"}` };
  },
});

export const k8sVerifyCleanStep = defineStepKind<CleanParams>({
  kind: "k8s.verify-clean",
  description: "Proves nothing labelled with the run id remains.",
  params: cleanParams as z.ZodType<CleanParams>,
  idempotent: true,
  summarize: (p) => `verify nothing of this run remains on ${p.sites.join(", ")}`,
  async execute(ctx, p) {
    const leftovers: string[] = [];
    const unreachable: string[] = [];
    for (const name of p.sites) {
      const site = sitesOf(ctx).site(name);
      if (!(await site.health()).reachable) {
        unreachable.push(name);
        continue;
      }
      leftovers.push(...(await site.listByRunId(ctx.run.id)).map((o) => `${name}: ${o}`));
    }
    if (leftovers.length > 0) return { status: "failed", error: `left behind: ${leftovers.join("; ")}` };
    if (unreachable.length > 0)
      return { status: "failed", error: `could not check ${unreachable.join(", ")} (unreachable)` };
    return {
      status: "succeeded",
      output: `nothing labelled with ${ctx.run.id} remains on ${p.sites.join(", ")}`,
    };
  },
});

import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { runPolicyName } from "../../domain/network-policy.js";
import { sandboxPolicy } from "../../domain/restore-test.js";
import type { WorkloadRef } from "../../domain/workloads.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { inParallel, refText } from "./k8s-common.js";
import { refuseApplicationNamespace, scratchNamespaceSchema } from "./k8s-delete-namespace.js";

/**
 * The restore test's sandbox: a scratch namespace (drbot-restore-…, never an application's) created
 * for the run and labelled with its id, with one NetworkPolicy that lets its pods reach nothing
 * outside it but the cluster's DNS, and nothing outside reach them (src/domain/restore-test.ts). It
 * is made before anything is restored into it, so a restored workload that starts is closed off from
 * its first moment. A namespace of that name that is not this run's (an earlier run's leftover,
 * somebody's) fails the step: it is never taken over. Idempotent; observable from what carries the
 * run id. `k8s.delete-namespace` removes it.
 *
 * Enforcement is the network plugin's: a cluster without one (KWOK) stores the policy and cuts nothing.
 */
const labelsSchema = z.record(z.string().min(1).max(63), z.string().max(63));

const sandboxParams = z
  .object({
    site: nameSchema,
    namespace: scratchNamespaceSchema,
    /** Where the cluster's DNS servers run (the one thing the sandbox may reach). */
    dnsNamespace: k8sNameSchema.default("kube-system"),
    dnsPods: labelsSchema.default({ "k8s-app": "kube-dns" }),
  })
  .strict();

export const k8sSandboxStep = defineStepKind({
  kind: "k8s.sandbox",
  description: "Creates a scratch namespace closed to everything outside it but DNS.",
  params: sandboxParams,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `sandbox ${p.namespace} on ${p.site}: nothing in or out but DNS`,
  checkConfig: (p, config) => {
    const refused = refuseApplicationNamespace(config, p.namespace);
    return refused ? [{ path: ["with", "namespace"], message: refused }] : [];
  },
  async execute(ctx, p) {
    const refused = refuseApplicationNamespace(ctx.config, p.namespace);
    if (refused) return { status: "failed", error: refused };
    const site = serviceOf(ctx, "sites").site(p.site);
    const at = ctx.clock.now();
    const policyName = runPolicyName("sandbox", ctx.run.id);
    await ctx.services.ledger?.record(ctx.run.id, [
      { site: p.site, change: "created", object: `Namespace ${p.namespace}`, stepId: ctx.step.id, at },
      {
        site: p.site,
        change: "created",
        object: `NetworkPolicy ${p.namespace}/${policyName}`,
        stepId: ctx.step.id,
        at,
      },
    ]);
    await site.createRunNamespace(ctx.run.id, p.namespace, { signal: ctx.signal });
    const policy = sandboxPolicy(p.namespace, { namespace: p.dnsNamespace, podLabels: p.dnsPods });
    const [applied] = await site.applyRunPolicies(ctx.run.id, [{ namespace: p.namespace, policy }], {
      signal: ctx.signal,
    });
    for (const rule of [
      ...policy.ingress.map((r) => `in: ${r.why}`),
      ...policy.egress.map((r) => `out: ${r.why}`),
    ])
      ctx.log(rule);
    return { status: "succeeded", output: `sandbox ${p.namespace} on ${p.site}, NetworkPolicy ${applied}` };
  },
  async observe(ctx, p) {
    const objects = await serviceOf(ctx, "sites")
      .site(p.site)
      .listByRunId(ctx.run.id, { signal: ctx.signal });
    const wanted = [
      `Namespace ${p.namespace}`,
      `NetworkPolicy ${p.namespace}/${runPolicyName("sandbox", ctx.run.id)}`,
    ];
    const missing = wanted.filter((w) => !objects.includes(w));
    return missing.length === 0
      ? { holds: true, evidence: `sandbox ${p.namespace} of ${ctx.run.id} is on ${p.site}` }
      : { holds: false, evidence: `missing on ${p.site}: ${missing.join(", ")}` };
  },
});

/**
 * Holds every Deployment and StatefulSet of a scratch namespace at `replicas` (0 starts nothing):
 * what a restore brought back at its production replicas is brought down at once. Scratch namespaces
 * only. A namespace without workloads is held already. Idempotent; observable by reading the scales.
 */
const holdParams = z
  .object({
    site: nameSchema,
    namespace: scratchNamespaceSchema,
    replicas: z.number().int().min(0).max(100),
  })
  .strict();

export const k8sHoldWorkloadsStep = defineStepKind({
  kind: "k8s.hold-workloads",
  description: "Holds every workload of a scratch namespace at a number of replicas.",
  params: holdParams,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `hold the workloads of ${p.namespace} on ${p.site} at ${p.replicas} replicas`,
  async execute(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    const workloads = await site.inventory([p.namespace], { signal: ctx.signal });
    const refs: WorkloadRef[] = workloads.map((w) => ({
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
    }));
    await inParallel(refs, 10, async (ref) => {
      await site.scale(ref, p.replicas, { signal: ctx.signal });
      ctx.log(`${refText(ref)} → ${p.replicas}`);
    });
    return {
      status: "succeeded",
      output: refs.length
        ? `${refs.length} workload(s) of ${p.namespace} held at ${p.replicas}`
        : `no workloads in ${p.namespace}`,
    };
  },
  async observe(ctx, p) {
    const workloads = await serviceOf(ctx, "sites")
      .site(p.site)
      .inventory([p.namespace], { signal: ctx.signal });
    const off = workloads.filter((w) => w.replicas !== p.replicas);
    return off.length === 0
      ? { holds: true, evidence: `${workloads.length} workload(s) of ${p.namespace} at ${p.replicas}` }
      : {
          holds: false,
          evidence: `not at ${p.replicas}: ${off.map((w) => `${w.namespace}/${w.name}`).join(", ")}`,
        };
  },
});

import { z } from "zod";
import type { LedgerEntry } from "../../domain/run-ledger.js";
import type { WorkloadRef } from "../../domain/workloads.js";
import type { SitePort } from "../../ports/site.js";
import { defineStepKind, type StepContext } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { inParallel, refText, resolveTargets, workloadTarget } from "./k8s-common.js";

/**
 * Scales workloads through the scale subresource, many at once (`name: "*"` takes every workload of
 * the namespace). Idempotent: scaling to N twice is scaling to N; observable by reading the scale.
 * In a drill it first writes each workload's replicas to the run's ledger (the first record of a
 * workload stays: its state before the drill), so k8s.verify-clean can prove it returned.
 */
const params = z
  .object({
    ...workloadTarget,
    replicas: z.number().int().min(0).max(10_000),
    concurrency: z.number().int().min(1).max(64).default(10),
  })
  .strict();

export const k8sScaleStep = defineStepKind({
  kind: "k8s.scale",
  description: "Scales workloads through the scale subresource.",
  params,
  siteParams: ["site"],
  idempotent: true,
  summarize: (p) => `scale ${p.kind} ${p.namespace}/${p.name} on ${p.site} to ${p.replicas}`,
  async execute(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    const targets = await resolveTargets(site, p);
    if (targets.length === 0)
      return { status: "failed", error: `no ${p.kind.toLowerCase()} in ${p.namespace} on ${p.site}` };
    if (ctx.mode === "drill") await recordReplicasBefore(ctx, site, targets);
    await inParallel(targets, p.concurrency, async (ref) => {
      await site.scale(ref, p.replicas, { signal: ctx.signal });
      ctx.log(`${refText(ref)} → ${p.replicas}`);
    });
    return {
      status: "succeeded",
      output: `scaled ${targets.length} workload(s) on ${p.site} to ${p.replicas}`,
    };
  },
  async observe(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    const targets = await resolveTargets(site, p);
    const off: string[] = [];
    for (const ref of targets)
      if ((await site.readScale(ref, { signal: ctx.signal })) !== p.replicas) off.push(refText(ref));
    return off.length === 0
      ? { holds: true, evidence: `${targets.length} workload(s) already at ${p.replicas}` }
      : { holds: false, evidence: `not at ${p.replicas}: ${off.join(", ")}` };
  },
});

async function recordReplicasBefore(ctx: StepContext, site: SitePort, targets: readonly WorkloadRef[]) {
  const ledger = serviceOf(ctx, "ledger");
  const at = ctx.clock.now();
  const entries: LedgerEntry[] = [];
  for (const ref of targets)
    entries.push({
      site: site.name,
      change: "replicas",
      object: `${ref.kind} ${ref.namespace}/${ref.name}`,
      before: await site.readScale(ref, { signal: ctx.signal }),
      stepId: ctx.step.id,
      at,
    });
  await ledger.record(ctx.run.id, entries);
}

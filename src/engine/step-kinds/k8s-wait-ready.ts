import { z } from "zod";
import type { WorkloadState } from "../../ports/site.js";
import { defineStepKind } from "../step-kind.js";
import { inParallel, refText, resolveTargets, sitesOf, workloadTarget } from "./k8s-common.js";

/** Waits until workloads have all their replicas ready (on the current generation). Idempotent. */
const params = z
  .object({
    ...workloadTarget,
    replicas: z.number().int().min(0).max(10_000).optional(),
    concurrency: z.number().int().min(1).max(64).default(10),
  })
  .strict();
type Params = z.output<typeof params>;

export const k8sWaitReadyStep = defineStepKind<Params>({
  kind: "k8s.wait-ready",
  description: "Waits until workloads have their ready replicas.",
  params: params as z.ZodType<Params>,
  idempotent: true,
  summarize: (p) =>
    `wait for ${p.namespace}/${p.name} on ${p.site}${p.replicas !== undefined ? ` (${p.replicas} ready)` : ""}`,
  async execute(ctx, p) {
    const site = sitesOf(ctx).site(p.site);
    const targets = await resolveTargets(site, p);
    const done: WorkloadState[] = [];
    await inParallel(targets, p.concurrency, async (ref) => {
      const state = await site.waitForRollout(ref, {
        ...(p.replicas !== undefined ? { replicas: p.replicas } : {}),
        deadline: ctx.deadline,
        signal: ctx.signal,
      });
      done.push(state);
      ctx.log(`${refText(ref)}: ${state.readyReplicas}/${state.replicas} ready`);
    });
    return { status: "succeeded", output: `${done.length} workload(s) ready on ${p.site}` };
  },
});

import { z } from "zod";
import type { WorkloadState } from "../../domain/workloads.js";
import type { SitePort } from "../../ports/site.js";
import { abortableDelay, defineStepKind, type StepContext, type StepResult } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { inParallel, refText, resolveTargets, workloadTarget } from "./k8s-common.js";

/**
 * Waits until workloads have all their replicas ready (on the current generation). Idempotent.
 * Observable: the wait is over when every workload has already rolled out (one list per namespace).
 */
const params = z
  .object({
    ...workloadTarget,
    replicas: z.number().int().min(0).max(10_000).optional(),
    concurrency: z.number().int().min(1).max(64).default(10),
  })
  .strict();
type Params = z.output<typeof params>;

export const k8sWaitReadyStep = defineStepKind({
  kind: "k8s.wait-ready",
  description: "Waits until workloads have their ready replicas.",
  params,
  siteParams: ["site"],
  idempotent: true,
  readOnly: true,
  summarize: (p) =>
    `wait for ${p.namespace}/${p.name} on ${p.site}${p.replicas !== undefined ? ` (${p.replicas} ready)` : ""}`,
  async execute(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    if (p.name === "*") return waitForNamespace(ctx, site, p);
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
  async observe(ctx, p) {
    const all = await serviceOf(ctx, "sites")
      .site(p.site)
      .listWorkloads(p.kind, p.namespace, { signal: ctx.signal });
    const targets = p.name === "*" ? all : all.filter((w) => w.name === p.name);
    if (targets.length === 0)
      return {
        holds: false,
        evidence: `no ${refText({ kind: p.kind, namespace: p.namespace, name: p.name })} on ${p.site}`,
      };
    const pending = targets.filter((w) => !rolledOut(w, p.replicas ?? w.replicas));
    return pending.length === 0
      ? { holds: true, evidence: `${targets.length} workload(s) already ready on ${p.site}` }
      : {
          holds: false,
          evidence: `not ready on ${p.site}: ${pending.map((w) => `${w.name} ${w.readyReplicas}/${p.replicas ?? w.replicas} ready`).join(", ")}`,
        };
  },
});

/**
 * Rolled out: the controller saw the current generation, spec and status agree on the desired count,
 * and that many pods are ready and updated, with no old pod left over (the adapter's rule for one
 * workload, applied to a listed one).
 */
function rolledOut(w: WorkloadState, desired: number): boolean {
  return (
    w.observedGeneration >= w.generation &&
    w.replicas === desired &&
    w.readyReplicas === desired &&
    (w.statusReplicas ?? 0) === desired &&
    (desired === 0 || w.updatedReplicas === desired)
  );
}

/**
 * A whole namespace is watched with one list per poll rather than one read per workload: the same
 * answer for a tenth of the API calls, which matters when a failover activates hundreds at once.
 */
async function waitForNamespace(ctx: StepContext, site: SitePort, p: Params): Promise<StepResult> {
  let delay = 200;
  for (;;) {
    const all = await site.listWorkloads(p.kind, p.namespace, { signal: ctx.signal });
    const pending = all.filter((w) => !rolledOut(w, p.replicas ?? w.replicas));
    if (pending.length === 0)
      return {
        status: "succeeded",
        output: `${all.length} workload(s) ready in ${p.namespace} on ${p.site}`,
      };
    if (ctx.clock.now() + delay > ctx.deadline) {
      return {
        status: "failed",
        error: `not ready at the deadline in ${p.namespace} on ${p.site}: ${pending.map((w) => `${w.name} ${w.readyReplicas}/${p.replicas ?? w.replicas}`).join(", ")}`,
      };
    }
    await abortableDelay(delay, ctx.signal);
    delay = Math.min(delay * 1.5, 1_000);
  }
}

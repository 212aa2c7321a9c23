import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import { FENCING_OUTCOMES } from "../../domain/fencing.js";
import type { WorkloadRef } from "../../domain/workloads.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";
import { refText, resolveTargets } from "./k8s-common.js";

/**
 * Fences the primary: scales its workloads to 0 where it still answers, so two sites never serve at
 * once. An unreachable primary cannot be fenced; `whenUnreachable` says whether that fails the step.
 * Idempotent. Observable: the fence holds when every workload that exists there is at 0; an
 * unreachable primary cannot be observed (unknown), so the step is run again and decides as above.
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

export const k8sFenceStep = defineStepKind({
  kind: "k8s.fence",
  description: "Scales the primary's workloads down where it is reachable.",
  params,
  siteParams: ["site"],
  idempotent: true,
  outcomes: FENCING_OUTCOMES,
  summarize: (p) => `fence ${p.site}: scale ${p.workloads.length} workload(s) to 0 where it answers`,
  async execute(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    const health = await site.health();
    if (!health.reachable) {
      const note = `${p.site} is unreachable (${health.error?.code ?? "no answer"}); it could not be fenced`;
      return p.whenUnreachable === "continue"
        ? { status: "succeeded", output: `${note}; going on as configured`, outcome: "unconfirmed" }
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
        // Nothing there to serve: as fenced as it gets.
        ctx.log(`${w.kind.toLowerCase()} ${w.namespace}/${w.name}: not on ${p.site}, nothing to fence`);
      }
    }
    return {
      status: "succeeded",
      output: `fenced ${p.site}: ${count} workload(s) scaled to 0`,
      outcome: "confirmed",
    };
  },
  async observe(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    const health = await site.health({ signal: ctx.signal });
    if (!health.reachable)
      return {
        holds: "unknown",
        evidence: `${p.site} is unreachable (${health.error?.code ?? "no answer"}); its workloads cannot be read`,
      };
    const running: string[] = [];
    let fenced = 0;
    for (const w of p.workloads) {
      let targets: WorkloadRef[];
      try {
        targets = await resolveTargets(site, w);
      } catch (error) {
        if (error instanceof DrError && error.code === "not_found") continue;
        throw error;
      }
      for (const ref of targets) {
        try {
          const replicas = await site.readScale(ref, { signal: ctx.signal });
          if (replicas === 0) fenced++;
          else running.push(`${refText(ref)} at ${replicas}`);
        } catch (error) {
          // A workload that is not there has nothing left to fence, as execute() sees it.
          if (!(error instanceof DrError && error.code === "not_found")) throw error;
        }
      }
    }
    return running.length === 0
      ? { holds: true, evidence: `${p.site} is fenced: ${fenced} workload(s) at 0` }
      : { holds: false, evidence: `still running on ${p.site}: ${running.join(", ")}` };
  },
});

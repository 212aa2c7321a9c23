import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { FENCING_OUTCOMES } from "../../domain/fencing.js";
import type { CronJobRef } from "../../domain/workloads.js";
import type { SitePort } from "../../ports/site.js";
import { defineStepKind } from "../step-kind.js";
import { serviceOf } from "../step-services.js";

/**
 * Suspends or resumes CronJobs on a site (spec.suspend), so batch work runs only where the
 * application is served: suspended on the standby, resumed on activation, suspended again on
 * failback. `name: "*"` takes every CronJob of the namespace. A suspended CronJob starts no new
 * Job; Jobs already running finish (the step says how many were active).
 *
 * A site that does not answer cannot be suspended: with `whenUnreachable: continue` the step goes on
 * and says it was not confirmed (the primary in an emergency failover), otherwise it fails.
 * Idempotent, and observable by reading spec.suspend. In a drill it only reads: a resumed CronJob
 * would run real batch work (queues, mail, payments) from the DR site.
 *
 * A CronJob this step suspends carries the run's id (SitePort.suspendCronJob), so the undo of a
 * suspension, `suspend: false` with `onlySuspendedByRun: true`, resumes only the CronJobs this run
 * suspended: one that was already suspended before the run (a paused batch job) stays suspended.
 */
const params = z
  .object({
    site: nameSchema,
    namespace: k8sNameSchema,
    name: z.union([k8sNameSchema, z.literal("*")]),
    suspend: z.boolean(),
    /** Resume only the CronJobs this run suspended (the undo of a suspension). */
    onlySuspendedByRun: z.boolean().default(false),
    whenUnreachable: z.enum(["fail", "continue"]).default("fail"),
  })
  .strict()
  .refine((p) => !(p.suspend && p.onlySuspendedByRun), {
    message: "onlySuspendedByRun resumes what the run suspended: it needs suspend: false",
    path: ["onlySuspendedByRun"],
  });

export const k8sCronJobsStep = defineStepKind({
  kind: "k8s.cronjobs",
  description: "Suspends or resumes CronJobs on a site (spec.suspend).",
  params,
  siteParams: ["site"],
  idempotent: true,
  outcomes: FENCING_OUTCOMES,
  summarize: (p) =>
    `${p.suspend ? "suspend" : "resume"} cronjob ${p.namespace}/${p.name} on ${p.site}${p.onlySuspendedByRun ? " (only those this run suspended)" : ""}${p.whenUnreachable === "continue" ? " where it answers" : ""}`,
  async execute(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    if (p.whenUnreachable === "continue") {
      const health = await site.health({ signal: ctx.signal });
      if (!health.reachable)
        return {
          status: "succeeded",
          output: `${p.site} is unreachable (${health.error?.code ?? "no answer"}): its CronJobs in ${p.namespace} could not be ${p.suspend ? "suspended" : "resumed"}; not confirmed, going on as configured`,
          outcome: "unconfirmed",
        };
    }
    const jobs = await cronJobsOf(site, p, ctx.signal);
    if (jobs.length === 0)
      return {
        status: "succeeded",
        output: `no CronJob in ${p.namespace} on ${p.site}`,
        outcome: "confirmed",
      };
    const verb = p.suspend ? "suspended" : "resumed";
    let changed = 0;
    for (const job of jobs) {
      const state = await site.readCronJob(job, { signal: ctx.signal });
      if (p.onlySuspendedByRun && state.suspended && state.suspendedByRun !== ctx.run.id) {
        ctx.log(`${text(job)}: left suspended (${notThisRun(state.suspendedByRun)})`);
        continue;
      }
      if (state.suspended === p.suspend) {
        ctx.log(`${text(job)}: already ${verb}`);
        continue;
      }
      if (ctx.mode === "drill") {
        ctx.log(`${text(job)}: drill, left ${state.suspended ? "suspended" : "running"}`);
        continue;
      }
      await site.suspendCronJob(job, p.suspend, { signal: ctx.signal, runId: ctx.run.id });
      changed++;
      ctx.log(
        `${text(job)}: ${verb}${p.suspend && state.active > 0 ? ` (${state.active} Job(s) still running finish)` : ""}`,
      );
    }
    if (ctx.mode === "drill")
      return {
        status: "succeeded",
        output: `drill: ${jobs.length} CronJob(s) on ${p.site} read, none changed`,
        outcome: "drill",
      };
    return {
      status: "succeeded",
      output: `${jobs.length} CronJob(s) in ${p.namespace} on ${p.site} ${verb} (${changed} changed)`,
      outcome: "confirmed",
    };
  },
  async observe(ctx, p) {
    const site = serviceOf(ctx, "sites").site(p.site);
    const jobs = await cronJobsOf(site, p, ctx.signal);
    const off: string[] = [];
    for (const job of jobs) {
      const state = await site.readCronJob(job, { signal: ctx.signal });
      const ours = !p.onlySuspendedByRun || state.suspendedByRun === ctx.run.id;
      if (ours && state.suspended !== p.suspend) off.push(text(job));
    }
    const verb = p.suspend ? "suspended" : "resumed";
    return off.length === 0
      ? { holds: true, evidence: `${jobs.length} CronJob(s) already ${verb}` }
      : { holds: false, evidence: `not ${verb}: ${off.join(", ")}` };
  },
});

async function cronJobsOf(
  site: SitePort,
  p: { namespace: string; name: string },
  signal: AbortSignal,
): Promise<CronJobRef[]> {
  if (p.name !== "*") return [{ namespace: p.namespace, name: p.name }];
  const all = await site.listCronJobs(p.namespace, { signal });
  return all.map((j) => ({ namespace: j.namespace, name: j.name }));
}

function text(ref: CronJobRef): string {
  return `cronjob ${ref.namespace}/${ref.name}`;
}

function notThisRun(by: string | undefined): string {
  return by ? `suspended by ${by}, not this run` : "it was suspended before this run";
}

import type { ApplicationConfig } from "../config.js";
import { capLines } from "./evidence.js";
import type { ReadinessFinding } from "./readiness.js";
import { isRead, type NamespaceObjects, type Read } from "./site-objects.js";

/**
 * Standby hygiene on the site not serving the application (from the site state, never presumed):
 * its CronJobs suspended there, so the same job never runs in both sites against the same data,
 * and none of its workloads scaled above their standbyReplicas there. Either is `degraded`: a
 * failover would still run, but meanwhile both sites do the work. When which site serves cannot be
 * read, which one is the standby is not known: `unknown`.
 */
export function judgeStandby(input: {
  application: ApplicationConfig;
  /** The site not serving the application, or why that could not be read. */
  standby: Read<string>;
  /** The application's namespaces on the standby. */
  namespaces: Read<NamespaceObjects[]>;
}): ReadinessFinding {
  const app = input.application;
  if (!isRead(input.standby))
    return {
      check: "standby",
      verdict: "unknown",
      summary: `which site serves ${app.name} could not be read, so its standby is not known`,
      evidence: [input.standby.error],
      action: "make drbot's Redis answer (the site state lives there)",
    };
  const site = input.standby.value;
  if (!isRead(input.namespaces))
    return {
      check: "standby",
      verdict: "unknown",
      summary: `the standby ${site} could not be read`,
      evidence: [input.namespaces.error],
      action: `make ${site} answer drbot's reads`,
    };
  const byNamespace = new Map(input.namespaces.value.map((ns) => [ns.namespace, ns]));
  const problems: string[] = [];
  let jobs = 0;
  for (const ref of app.cronJobs) {
    const found = byNamespace.get(ref.namespace)?.cronJobs ?? [];
    for (const job of found.filter((j) => ref.name === "*" || j.name === ref.name)) {
      jobs++;
      if (!job.suspended)
        problems.push(
          `CronJob ${job.namespace}/${job.name}: not suspended on ${site}${job.active > 0 ? ` (${job.active} running)` : ""}`,
        );
    }
  }
  let workloads = 0;
  for (const w of app.workloads) {
    const found = (byNamespace.get(w.namespace)?.workloads ?? []).filter(
      (s) => s.kind === w.kind && (w.name === "*" || s.name === w.name),
    );
    for (const s of found) {
      workloads++;
      if ((s.replicas ?? 0) > w.standbyReplicas)
        problems.push(
          `${s.kind} ${s.namespace}/${s.name}: ${s.replicas} replicas on ${site}, standby keeps ${w.standbyReplicas}`,
        );
    }
  }
  if (problems.length === 0)
    return {
      check: "standby",
      verdict: "ready",
      summary: `${site} stands by: ${jobs} CronJobs suspended, ${workloads} workloads at their standby replicas`,
      evidence: [],
    };
  return {
    check: "standby",
    verdict: "degraded",
    summary: problems[0]!,
    evidence: capLines(problems),
    action: `on ${site}, suspend the application's CronJobs and scale its workloads to their standbyReplicas (a failback does both)`,
  };
}

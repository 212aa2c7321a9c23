import type { ApplicationConfig, Config } from "./config.js";
import type { PlanIssue } from "./plan.js";
import type { RunScope } from "./run.js";
import type { RunbookStep } from "./runbook.js";

/** One repetition of a step: its key in the step id and the placeholders it adds. */
export interface ForEachItem {
  key: string;
  vars: Record<string, unknown>;
}

/** What a step with `forEach` is repeated over, for the run's scope. */
export function forEachItems(
  step: RunbookStep,
  config: Config,
  scope: RunScope,
  apps: ApplicationConfig[],
): ForEachItem[] {
  switch (step.forEach) {
    case undefined:
      return [{ key: "", vars: {} }];
    case "application":
      return apps.map((app) => ({ key: app.name, vars: { app } }));
    case "namespace":
      return [...new Set(apps.flatMap((a) => a.namespaces))].map((namespace) => ({
        key: namespace,
        vars: {
          namespace,
          workloads: apps.flatMap((a) => a.workloads.filter((w) => w.namespace === namespace)),
        },
      }));
    case "workload":
      return apps.flatMap((app) =>
        app.workloads.map((workload) => ({
          key: `${workload.namespace}.${workload.name === "*" ? "all" : workload.name}`,
          vars: { app, workload },
        })),
      );
    case "sandboxWorkload":
      return apps
        .filter((app) => app.restoreTest.replicas > 0)
        .flatMap((app) =>
          app.workloads.map((workload) => ({
            key: `${workload.namespace}.${workload.name === "*" ? "all" : workload.name}`,
            vars: { app, workload, replicas: app.restoreTest.replicas },
          })),
        );
    case "cronJob":
      return apps.flatMap((app) =>
        app.cronJobs.map((cronJob) => ({
          key: `${cronJob.namespace}.${cronJob.name === "*" ? "all" : cronJob.name}`,
          vars: { app, cronJob },
        })),
      );
    case "healthCheck":
      // bodyIncludes is always there for the placeholder; empty means no body check.
      return apps.flatMap((app) =>
        checksFor(app, scope).map((check) => ({
          key: `${app.name}.${check.name}`,
          vars: { app, check: { ...check, bodyIncludes: check.bodyIncludes ?? "" } },
        })),
      );
    case "tier":
      return config.tiers
        .filter((t) => scope.tiers.includes(t.name))
        .map((tier) => ({ key: tier.name, vars: { tier } }));
  }
}

/**
 * The health checks that prove an application healthy on the run's target site: those written for
 * that site and those without one (a global URL). A check of the other site (the primary's, which the
 * watcher probes) says nothing about where the run brings the application up.
 */
function checksFor(app: ApplicationConfig, scope: RunScope): ApplicationConfig["healthChecks"] {
  return app.healthChecks.filter((check) => check.site === undefined || check.site === scope.toSite);
}

/** A warning per application that a step over health checks would not check at all. */
export function healthCheckGaps(
  apps: ApplicationConfig[],
  scope: RunScope,
  path: (string | number)[],
): PlanIssue[] {
  return apps
    .filter((app) => checksFor(app, scope).length === 0)
    .map((app) => ({
      path: [...path, "forEach"],
      message: `application ${app.name} has no health check for ${scope.toSite} (healthChecks with site: ${scope.toSite} or none), so this step proves nothing about it`,
      severity: "warning" as const,
      need: true as const,
    }));
}

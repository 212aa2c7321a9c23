import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { isolationSchema } from "../isolation.js";
import { restoreTestSchema } from "../restore-test.js";
import { applicationReadinessSchema } from "./application-readiness.js";
import { checkUniqueNames, defineSection, namesOf } from "./config-section.js";

export const workloadSchema = z
  .object({
    kind: z.enum(["Deployment", "StatefulSet"]).default("Deployment"),
    namespace: k8sNameSchema,
    /** "*" means every workload of that kind in the namespace, like `kubectl scale --all`. */
    name: z.union([k8sNameSchema, z.literal("*")]),
    /** Replicas when the application is active in a site. */
    replicas: z.number().int().min(0).max(10_000),
    /** Replicas on the standby site while it is not active (warm standby keeps some running). */
    standbyReplicas: z.number().int().min(0).max(10_000).default(0),
  })
  .strict();

/**
 * A CronJob of an application (`name: "*"`: every CronJob of the namespace). It runs where the
 * application is served and is suspended on the standby: the failover resumes it on DR once the
 * database there takes writes, the failback suspends it there again.
 */
export const cronJobSchema = z
  .object({
    namespace: k8sNameSchema,
    name: z.union([k8sNameSchema, z.literal("*")]),
  })
  .strict();

export const healthCheckSchema = z
  .object({
    name: nameSchema,
    url: z.url({ protocol: /^https?$/ }),
    site: nameSchema.optional(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyIncludes: z.string().max(1000).optional(),
    timeout: durationSchema.default(5_000),
  })
  .strict();

export const applicationSchema = z
  .object({
    name: nameSchema,
    tier: nameSchema,
    description: z.string().max(200).optional(),
    strategy: z.enum(["hot", "warm", "cold"]).default("warm"),
    namespaces: z.array(k8sNameSchema).min(1),
    workloads: z.array(workloadSchema).default([]),
    cronJobs: z.array(cronJobSchema).default([]),
    healthChecks: z.array(healthCheckSchema).default([]),
    dataSources: z.array(nameSchema).default([]),
    /** What a drill isolating the application's namespaces keeps open to the site it cuts off. */
    isolation: isolationSchema,
    restoreTest: restoreTestSchema,
    /** CRDs it uses, certificate margin and drill grace, for the readiness checks. */
    readiness: applicationReadinessSchema,
  })
  .strict();

export type ApplicationConfig = z.output<typeof applicationSchema>;
export type WorkloadConfig = ApplicationConfig["workloads"][number];
export type HealthCheckConfig = ApplicationConfig["healthChecks"][number];

type Named = readonly { name: string }[];

/**
 * `applications`: what fails over, each in one tier, its workloads in its own namespaces, its health
 * checks on known sites, protected by known data sources.
 */
export const applicationsSection = defineSection(
  z.array(applicationSchema).min(1),
  (config: { applications: ApplicationConfig[]; tiers: Named; sites: Named; dataSources: Named }, ctx) => {
    checkUniqueNames(config.applications, "applications", ctx);
    const tiers = namesOf(config.tiers);
    const sites = namesOf(config.sites);
    const sources = namesOf(config.dataSources);
    config.applications.forEach((app, index) => {
      if (!tiers.has(app.tier))
        ctx.addIssue({
          code: "custom",
          path: ["applications", index, "tier"],
          message: `unknown tier "${app.tier}"; known: ${[...tiers].join(", ")}`,
        });
      app.dataSources.forEach((source, j) => {
        if (!sources.has(source))
          ctx.addIssue({
            code: "custom",
            path: ["applications", index, "dataSources", j],
            message: `unknown data source "${source}"`,
          });
      });
      app.healthChecks.forEach((check, j) => {
        if (check.site && !sites.has(check.site))
          ctx.addIssue({
            code: "custom",
            path: ["applications", index, "healthChecks", j, "site"],
            message: `unknown site "${check.site}"`,
          });
      });
      app.workloads.forEach((w, j) => {
        if (!app.namespaces.includes(w.namespace))
          ctx.addIssue({
            code: "custom",
            path: ["applications", index, "workloads", j, "namespace"],
            message: `namespace "${w.namespace}" is not one of the application's namespaces`,
          });
      });
      app.cronJobs.forEach((job, j) => {
        if (!app.namespaces.includes(job.namespace))
          ctx.addIssue({
            code: "custom",
            path: ["applications", index, "cronJobs", j, "namespace"],
            message: `namespace "${job.namespace}" is not one of the application's namespaces`,
          });
      });
    });
  },
);

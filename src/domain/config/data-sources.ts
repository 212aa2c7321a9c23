import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { etcdSiteIssues, etcdSourceSchema } from "../etcd-source-config.js";
import { postgresServerSchema } from "../postgres-source.js";
import { backupDesignFields } from "../rpo-design.js";
import { checkUniqueNames, defineSection, namesOf } from "./config-section.js";

/** What protects the applications' data, each read for its recovery point (RPO). */
export const dataSourceSchema = z.discriminatedUnion("kind", [
  z
    .object({
      name: nameSchema,
      kind: z.literal("velero"),
      ...backupDesignFields,
      site: nameSchema,
      namespace: k8sNameSchema.default("velero"),
      schedule: k8sNameSchema,
    })
    .strict(),
  etcdSourceSchema,
  z
    .object({
      name: nameSchema,
      kind: z.literal("longhorn"),
      ...backupDesignFields,
      site: nameSchema,
      namespace: k8sNameSchema.default("longhorn-system"),
      volumes: z.array(k8sNameSchema).min(1),
    })
    .strict(),
  z
    .object({
      name: nameSchema,
      kind: z.literal("postgres"),
      ...backupDesignFields,
      /** The server in the primary site (see postgres-source.ts: keys say where, not what it is now). */
      primary: postgresServerSchema,
      /** The server in the DR site, a streaming replica of the primary's until a failover. */
      replica: postgresServerSchema,
      lagAlert: durationSchema.default(30_000),
      /** Deadline for connecting to either server and for each query (promotion waits up to its step's timeout). */
      timeout: durationSchema.default(5_000),
    })
    .strict(),
]);

export type DataSourceConfig = z.output<typeof dataSourceSchema>;

/** `dataSources`: Velero schedules, etcd snapshots, Longhorn volumes, PostgreSQL replication. */
export const dataSourcesSection = defineSection(
  z.array(dataSourceSchema).default([]),
  (config: { dataSources: DataSourceConfig[]; sites: readonly { name: string }[] }, ctx) => {
    checkUniqueNames(config.dataSources, "dataSources", ctx);
    const sites = namesOf(config.sites);
    config.dataSources.forEach((source, index) => {
      const named =
        source.kind === "postgres"
          ? (["primary", "replica"] as const).map((key) => ({ path: [key, "site"], site: source[key].site }))
          : "site" in source
            ? [{ path: ["site"], site: source.site }]
            : [];
      for (const { path, site } of named)
        if (site !== undefined && !sites.has(site))
          ctx.addIssue({
            code: "custom",
            path: ["dataSources", index, ...path],
            message: `unknown site "${site}"`,
          });
      for (const issue of etcdSiteIssues(source, sites))
        ctx.addIssue({ code: "custom", path: ["dataSources", index, ...issue.path], message: issue.message });
    });
  },
);

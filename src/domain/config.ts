import { z } from "zod";
import { envVarName, k8sNameSchema, nameSchema } from "./config-names.js";
import { durationSchema } from "./duration.js";
import { etcdSiteIssues, etcdSourceSchema } from "./etcd-source-config.js";
import { keyLineProblems } from "./evidence/key-ring.js";
import { isolationConfigIssues, isolationSchema, networksSchema } from "./isolation.js";
import { notificationsSchema } from "./notifications-config.js";
import { postgresServerSchema } from "./postgres-source.js";
import { restoreTestSchema } from "./restore-test.js";
import { backupDesignFields } from "./rpo-design.js";
import { calendarSchema, watchSchema } from "./watch-config.js";

/**
 * The drbot configuration file, one YAML document. Secrets never live here: they are named by the
 * environment variable that holds them (`passwordEnv`), so the file can be reviewed and committed.
 */

export { k8sNameSchema, NAME_PATTERN, nameSchema } from "./config-names.js";

export const siteSchema = z
  .object({
    name: nameSchema,
    role: z.enum(["primary", "dr"]),
    region: z.string().max(64).optional(),
    description: z.string().max(200).optional(),
    kubeconfig: z
      .object({
        path: z.string().min(1).optional(),
        context: z.string().min(1).optional(),
        inCluster: z.boolean().default(false),
      })
      .strict()
      .refine((k) => k.inCluster || k.path !== undefined || k.context !== undefined, {
        message: "give a kubeconfig path and context, or inCluster: true",
      }),
    requestTimeout: durationSchema.default(10_000),
    networks: networksSchema,
    /** What a drill isolating this site's namespaces keeps open to the site it cuts off. */
    isolation: isolationSchema,
  })
  .strict();

export const tierSchema = z
  .object({
    name: nameSchema,
    description: z.string().max(200).optional(),
    rto: durationSchema,
    rpo: durationSchema,
  })
  .strict();

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

export const applicationSchema = z
  .object({
    name: nameSchema,
    tier: nameSchema,
    description: z.string().max(200).optional(),
    strategy: z.enum(["hot", "warm", "cold"]).default("warm"),
    namespaces: z.array(k8sNameSchema).min(1),
    workloads: z.array(workloadSchema).default([]),
    healthChecks: z.array(healthCheckSchema).default([]),
    dataSources: z.array(nameSchema).default([]),
    /** What a drill isolating the application's namespaces keeps open to the site it cuts off. */
    isolation: isolationSchema,
    restoreTest: restoreTestSchema,
  })
  .strict();

const principalsSchema = z
  .object({
    users: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, "a Slack user ID like U012ABCDEF")).default([]),
    groups: z.array(z.string().regex(/^S[A-Z0-9]{2,}$/, "a Slack user group ID like S012ABCDEF")).default([]),
  })
  .strict()
  .prefault({});

export const RUN_KINDS = ["failover", "failback", "drill", "verify"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

const permissionSchema = z
  .object({ requesters: principalsSchema, approvers: principalsSchema })
  .strict()
  .prefault({});

export const slackSchema = z
  .object({
    incidentChannels: z
      .array(z.string().regex(/^[CG][A-Z0-9]{2,}$/, "a Slack channel ID like C012ABCDEF"))
      .default([]),
    permissions: z
      .object({
        failover: permissionSchema,
        failback: permissionSchema,
        drill: permissionSchema,
        verify: permissionSchema,
      })
      .strict()
      .prefault({}),
    /** How long Slack's answer to "who is in this user group" is reused for permission decisions. */
    directoryCacheTtl: durationSchema.default(60_000),
  })
  .strict();

export const redisSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, "a redis:// or rediss:// URL")
      .optional(),
    sentinel: z
      .object({
        name: z.string().min(1),
        sentinels: z.array(z.object({ host: z.string().min(1), port: z.number().int() }).strict()).min(1),
        passwordEnv: envVarName.optional(),
      })
      .strict()
      .optional(),
    passwordEnv: envVarName.optional(),
    keyPrefix: z
      .string()
      .regex(/^[a-z0-9:_-]*$/)
      .default("drbot:"),
    commandTimeout: durationSchema.default(2_000),
    /** A run's audit trail keeps at least its newest this many events (older ones are trimmed). */
    maxEventsPerRun: z.number().int().min(100).max(1_000_000).default(10_000),
    /** The audit stream of refusals outside any run's trail keeps at least this many. */
    maxAuditEvents: z.number().int().min(100).max(1_000_000).default(10_000),
    /**
     * Finished runs stay whole for `finishedRuns`; then their state leaves Redis. With `afterwards:
     * archive` their report stays for `archiveFor` (`drbot report` still answers); with `expire`
     * nothing stays.
     */
    retention: z
      .object({
        finishedRuns: durationSchema.default(90 * 86_400_000),
        afterwards: z.enum(["archive", "expire"]).default("archive"),
        archiveFor: durationSchema.default(730 * 86_400_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((r) => !(r.url && r.sentinel), { message: "give either url or sentinel, not both" })
  .prefault({});

/** A Slack user ID (U…, or W… in Enterprise Grid): who a registered key belongs to. */
const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, "a Slack user ID like U012ABCDEF");

export const approvalsSchema = z
  .object({
    expiry: durationSchema.default(30 * 60_000),
    /**
     * How long after its last approval a run may still execute steps: a run paused or stopped for
     * longer is requested again. Bounds how long a stored run could be replayed.
     */
    validFor: durationSchema.default(24 * 3_600_000),
    /**
     * Each person's SSH public keys (authorized_keys lines, ed25519 or ECDSA), by Slack user ID: what
     * their CLI signatures are checked against (`drbot … --as USER` signs with their key).
     */
    keys: z
      .record(slackUserId, z.array(z.string().max(2_000)).min(1).max(10))
      .default({})
      .superRefine((keys, ctx) => {
        for (const problem of keyLineProblems(keys))
          ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
      }),
    /**
     * In Socket Mode Slack signs nothing, so a click there proves nothing by itself. Off (the default),
     * requests and approvals from Slack are refused in Socket Mode and people sign on the CLI; on, they
     * count on Slack's word, and every run records that it relied on it.
     */
    trustSocketMode: z.boolean().default(false),
    required: z
      .object({
        failover: z.number().int().min(0).max(50).default(2),
        failback: z.number().int().min(0).max(50).default(2),
        drill: z.number().int().min(0).max(50).default(1),
        verify: z.number().int().min(0).max(50).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const engineSchema = z
  .object({
    maxParallelSteps: z.number().int().min(1).max(256).default(16),
    leaseTtl: durationSchema.default(15_000),
  })
  .strict()
  .prefault({});

/** Where drbot itself and its Redis run; `status` warns when either is in the primary site. */
export const placementSchema = z
  .object({
    bot: nameSchema.optional(),
    redis: nameSchema.optional(),
  })
  .strict()
  .prefault({});
/** A program and its arguments, run without a shell. */
const hookCommandSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /**
     * Variables of drbot's environment the program needs (AWS_PROFILE, AWS_ROLE_ARN…), by name:
     * programs see only PATH, HOME, the locale and the proxies otherwise, never drbot's secrets.
     */
    passEnv: z.array(envVarName).max(64).default([]),
  })
  .strict();

/**
 * The DNS provider behind dns.switch. external-dns: DNSEndpoint objects on a site, one endpoint per
 * record and site (setIdentifier = site, weight in providerSpecific). command: a program that
 * applies a change batch file and one that prints the current weights. webhook: an HTTP endpoint
 * that takes the desired weights (POST) and reports them (GET).
 */
export const dnsProviderSchema = z.discriminatedUnion(
  "kind",
  [
    z
      .object({
        kind: z.literal("external-dns"),
        site: nameSchema,
        namespace: k8sNameSchema.default("default"),
        /** The providerSpecific property holding the weight (aws/weight for Route 53). */
        weightProperty: z.string().min(1).default("aws/weight"),
      })
      .strict(),
    z
      .object({
        kind: z.literal("command"),
        /** Runs with the change batch's path as "{file}" in args, or as the last argument. */
        apply: hookCommandSchema,
        /** Prints {"records":[{"name","weights"}]} or Route 53's ListResourceRecordSets JSON. */
        read: hookCommandSchema,
        /** route53: a ChangeResourceRecordSets change batch; weights: drbot's {"records": [...]}. */
        format: z.enum(["route53", "weights"]).default("route53"),
        timeout: durationSchema.default(60_000),
      })
      .strict(),
    z
      .object({
        kind: z.literal("webhook"),
        url: z.url({ protocol: /^https?$/ }),
        /** Where to GET the current weights; the same URL when absent. */
        readUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** Environment variable holding a bearer token (never in the file, never logged). */
        tokenEnv: envVarName.optional(),
        timeout: durationSchema.default(10_000),
      })
      .strict(),
  ],
  { error: () => 'dns.provider.kind must be "external-dns", "command" or "webhook"' },
);

export const configSchema = z
  .object({
    sites: z.array(siteSchema).min(2, "at least a primary and a DR site"),
    tiers: z.array(tierSchema).min(1),
    applications: z.array(applicationSchema).min(1),
    dataSources: z.array(dataSourceSchema).default([]),
    slack: slackSchema.prefault({}),
    redis: redisSchema,
    approvals: approvalsSchema,
    engine: engineSchema,
    watch: watchSchema,
    calendar: calendarSchema,
    dns: z
      .object({
        /** Who applies and reports DNS weights; without one, dns.switch steps fail clearly. */
        provider: dnsProviderSchema.optional(),
        records: z
          .array(
            z
              .object({
                name: z.string().min(1),
                weights: z.record(nameSchema, z.number().int().min(0).max(255)),
                /** Only needed to create records (DNSEndpoint endpoints, Route 53 record sets). */
                type: z.enum(["A", "AAAA", "CNAME"]).optional(),
                ttl: z.number().int().min(0).max(86_400).optional(),
                targets: z.record(nameSchema, z.array(z.string().min(1)).min(1)).optional(),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    placement: placementSchema,
    notifications: notificationsSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    const unique = (items: { name: string }[], key: string) => {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.name))
          ctx.addIssue({
            code: "custom",
            path: [key, index, "name"],
            message: `duplicate name "${item.name}"`,
          });
        seen.add(item.name);
      });
    };
    unique(config.sites, "sites");
    unique(config.tiers, "tiers");
    unique(config.applications, "applications");
    unique(config.dataSources, "dataSources");
    const roles = config.sites.map((s) => s.role);
    if (roles.filter((r) => r === "primary").length !== 1)
      ctx.addIssue({ code: "custom", path: ["sites"], message: "exactly one site must have role: primary" });
    if (!roles.includes("dr"))
      ctx.addIssue({ code: "custom", path: ["sites"], message: "at least one site must have role: dr" });
    const tiers = new Set(config.tiers.map((t) => t.name));
    const sites = new Set(config.sites.map((s) => s.name));
    const sources = new Set(config.dataSources.map((d) => d.name));
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
    });
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
    for (const issue of isolationConfigIssues(config)) ctx.addIssue({ code: "custom", ...issue });
    for (const key of ["bot", "redis"] as const) {
      const site = config.placement[key];
      if (site && !sites.has(site))
        ctx.addIssue({ code: "custom", path: ["placement", key], message: `unknown site "${site}"` });
    }
    config.dns.records.forEach((record, index) => {
      for (const site of Object.keys(record.weights)) {
        if (!sites.has(site))
          ctx.addIssue({
            code: "custom",
            path: ["dns", "records", index, "weights", site],
            message: `unknown site "${site}"`,
          });
      }
      for (const site of Object.keys(record.targets ?? {})) {
        if (!(site in record.weights))
          ctx.addIssue({
            code: "custom",
            path: ["dns", "records", index, "targets", site],
            message: `site "${site}" has targets but no weight in this record`,
          });
      }
      const provider = config.dns.provider;
      if (provider?.kind === "command" && provider.format === "route53") {
        const missing = Object.keys(record.weights).filter((site) => !record.targets?.[site]);
        if (missing.length > 0)
          ctx.addIssue({
            code: "custom",
            path: ["dns", "records", index, "targets"],
            message: `a Route 53 change batch needs the record's targets for ${missing.join(", ")}`,
          });
      }
    });
    const provider = config.dns.provider;
    if (provider?.kind === "external-dns" && !sites.has(provider.site))
      ctx.addIssue({
        code: "custom",
        path: ["dns", "provider", "site"],
        message: `unknown site "${provider.site}"`,
      });
  });

export type Config = z.output<typeof configSchema>;
export type SiteConfig = Config["sites"][number];
export type TierConfig = Config["tiers"][number];
export type ApplicationConfig = Config["applications"][number];
export type WorkloadConfig = ApplicationConfig["workloads"][number];
export type DataSourceConfig = Config["dataSources"][number];
export type DnsProviderConfig = z.output<typeof dnsProviderSchema>;
export type DnsRecordConfig = Config["dns"]["records"][number];
export type Principals = Config["slack"]["permissions"]["failover"]["approvers"];

export function primarySite(config: Config): SiteConfig {
  return config.sites.find((s) => s.role === "primary")!;
}

export function drSite(config: Config): SiteConfig {
  return config.sites.find((s) => s.role === "dr")!;
}

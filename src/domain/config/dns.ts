import { z } from "zod";
import { envVarName, k8sNameSchema, nameSchema } from "../config-names.js";
import { durationSchema } from "../duration.js";
import { defineSection, namesOf } from "./config-section.js";

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

export const dnsSchema = z
  .object({
    /** Who applies and reports DNS weights; without one, dns.switch steps fail clearly. */
    provider: dnsProviderSchema.optional(),
    records: z
      .array(
        z
          .object({
            name: z.string().min(1),
            /**
             * The applications whose traffic the record carries. A run moves the record only when
             * every one of them is in its scope (or added with --with-shared).
             */
            applications: z.array(nameSchema).min(1, "name the applications behind this record"),
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
  .prefault({});

export type DnsProviderConfig = z.output<typeof dnsProviderSchema>;
export type DnsConfig = z.output<typeof dnsSchema>;
export type DnsRecordConfig = DnsConfig["records"][number];

/**
 * `dns`: the weighted records a failover moves, the applications behind each, and the provider that
 * applies the weights.
 */
export const dnsSection = defineSection(
  dnsSchema,
  (
    config: { dns: DnsConfig; sites: readonly { name: string }[]; applications: readonly { name: string }[] },
    ctx,
  ) => {
    const sites = namesOf(config.sites);
    const applications = namesOf(config.applications);
    config.dns.records.forEach((record, index) => {
      record.applications.forEach((app, j) => {
        if (!applications.has(app))
          ctx.addIssue({
            code: "custom",
            path: ["dns", "records", index, "applications", j],
            message: `unknown application "${app}"`,
          });
      });
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
  },
);

import { z } from "zod";
import { anywhere, type Cidr, cidrSchema, formatCidr, hostCidr, isIpLiteral, parseCidr } from "./cidr.js";
import type { Config } from "./config.js";
import {
  type NetworkPolicyShape,
  type PolicyPeer,
  type PolicyPort,
  type PolicyRule,
  PROTOCOLS,
} from "./network-policy.js";
import { type PostgresServerConfig, serverAt } from "./postgres-source.js";

/**
 * Drill isolation: the DR site's namespaces of the drill are cut off from the primary's networks, and
 * from nothing else. A drill must not let DR's freshly started applications write to the primary's
 * databases and queues, nor take the primary's traffic; but it must leave the DR site working: its
 * own pods (the ingress controller, DNS, monitoring), everyone outside the primary (users through the
 * load balancer, drbot's readings), and what the allow-lists name inside the primary (the PostgreSQL
 * replica's replication from the primary, drbot when it runs there).
 */

const nameSchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, "lowercase letters, digits, '.', '_' and '-'");

const portSchema = z.union([
  z.number().int().min(1).max(65_535),
  z
    .object({ port: z.number().int().min(1).max(65_535), protocol: z.enum(PROTOCOLS).default("TCP") })
    .strict(),
]);

/** Traffic across the cut a drill keeps: to or from addresses inside the primary's networks. */
export const allowEntrySchema = z
  .object({
    /** Says what it is for; shown on the policy ("replication", "drbot"). */
    name: nameSchema,
    /** ingress: connections from those addresses into the isolated pods; egress: from the pods to them. */
    direction: z.enum(["ingress", "egress"]),
    cidrs: z.array(cidrSchema).min(1),
    /** Empty: every port. A number is a TCP port. */
    ports: z.array(portSchema).default([]),
    /**
     * The PostgreSQL data source whose replication this entry keeps (its primary named by host name,
     * which a NetworkPolicy cannot match: the entry gives its addresses).
     */
    dataSource: nameSchema.optional(),
  })
  .strict();

export const isolationSchema = z
  .object({ allow: z.array(allowEntrySchema).default([]) })
  .strict()
  .prefault({});

/**
 * A site's address ranges: nodes, pods, services, load balancers and the servers outside Kubernetes
 * that belong to it (databases, queues). A drill cuts these off from the DR site.
 */
export const networksSchema = z.array(cidrSchema).default([]);

export type AllowEntry = z.output<typeof allowEntrySchema>;

/** What one isolation keeps open across the cut, each with where it comes from. */
export interface ResolvedAllow {
  name: string;
  direction: "ingress" | "egress";
  cidrs: string[];
  ports: PolicyPort[];
  /** "site dc2", "application payments", "replication of pg-payments". */
  source: string;
}

/** Where the primary is cut off and what is kept, for one namespace of the isolated site. */
export interface IsolationInput {
  /** The site whose namespaces are isolated (DR). */
  site: string;
  /** The site cut off (the primary). */
  from: string;
  namespace: string;
}

/**
 * The allow-list for a namespace: the isolated site's entries, those of every application living in
 * the namespace, and the replication of each of their PostgreSQL sources whose primary is written as
 * an address (one named by host name needs an entry naming it; see isolationNeeds).
 */
export function allowsFor(config: Config, input: IsolationInput): ResolvedAllow[] {
  const site = config.sites.find((s) => s.name === input.site);
  const apps = config.applications.filter((a) => a.namespaces.includes(input.namespace));
  const resolve = (entry: AllowEntry, source: string): ResolvedAllow => ({
    name: entry.name,
    direction: entry.direction,
    cidrs: entry.cidrs,
    ports: entry.ports.map((p) => (typeof p === "number" ? { protocol: "TCP", port: p } : p)),
    source,
  });
  const allows = [
    ...(site?.isolation.allow ?? []).map((e) => resolve(e, `site ${input.site}`)),
    ...apps.flatMap((app) => app.isolation.allow.map((e) => resolve(e, `application ${app.name}`))),
  ];
  for (const { source, upstream } of replicationsAcross(config, apps, input.from)) {
    const host = hostCidr(upstream.host);
    if (!host) continue;
    allows.push({
      name: `replication-${source.name}`,
      direction: "egress",
      cidrs: [formatCidr(host)],
      ports: [{ protocol: "TCP", port: upstream.port }],
      source: `replication of ${source.name}`,
    });
  }
  return allows;
}

/**
 * The policy isolating one namespace: every pod of it accepts and opens connections with the pods
 * of its own cluster and with every address outside the cut site's networks, and inside them only
 * what the allow-list names.
 */
export function isolationPolicy(config: Config, input: IsolationInput): NetworkPolicyShape {
  const cut = networksOf(config, input.from);
  const allows = allowsFor(config, input);
  const outside: PolicyPeer[] = ([4, 6] as const).map((family) => {
    const except = cut.filter((c) => c.family === family).map(formatCidr);
    return { ipBlock: { cidr: formatCidr(anywhere(family)), ...(except.length > 0 ? { except } : {}) } };
  });
  const common = (direction: "ingress" | "egress"): PolicyRule[] => [
    {
      why: `pods of ${input.site} itself (its ingress controller, DNS, monitoring)`,
      peers: [{ namespaceSelector: {} }],
      ports: [],
    },
    { why: `every address outside ${input.from}'s networks`, peers: outside, ports: [] },
    ...allows
      .filter((a) => a.direction === direction)
      .map((a) => ({
        why: `${a.name} (${a.source})`,
        peers: a.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
        ports: a.ports,
      })),
  ];
  return {
    role: "isolate",
    purpose: `drill isolation of ${input.namespace} on ${input.site}: cut off from ${input.from} (${cut.map(formatCidr).join(", ")}) only`,
    ingress: common("ingress"),
    egress: common("egress"),
  };
}

/**
 * What an isolation needs from the configuration, each as a message: the cut site's networks, an
 * address for every replication that must keep working, and drbot's addresses when it runs in the
 * site cut off (its readings of the drill would be cut).
 */
export function isolationNeeds(
  config: Config,
  input: { site: string; from: string; namespaces: readonly string[] },
): string[] {
  const needs: string[] = [];
  if (input.site === input.from) needs.push(`a site cannot be isolated from itself (${input.site})`);
  if (networksOf(config, input.from).length === 0)
    needs.push(
      `sites[${input.from}].networks is empty: the isolation cuts ${input.site}'s namespaces off from ${input.from}'s networks only, so list ${input.from}'s address ranges (nodes, pods, services, load balancers, databases)`,
    );
  const apps = config.applications.filter((a) => a.namespaces.some((ns) => input.namespaces.includes(ns)));
  const site = config.sites.find((s) => s.name === input.site);
  const entries = [...(site?.isolation.allow ?? []), ...apps.flatMap((a) => a.isolation.allow)];
  for (const { source, upstream } of replicationsAcross(config, apps, input.from)) {
    if (isIpLiteral(upstream.host)) continue;
    if (entries.some((e) => e.direction === "egress" && e.dataSource === source.name)) continue;
    needs.push(
      `the replication of ${source.name} must keep working, and its server in ${input.from} is named by host name (${upstream.host}), which a NetworkPolicy cannot match: add an egress entry to isolation.allow with dataSource: ${source.name} and that server's addresses`,
    );
  }
  if (
    config.placement.bot === input.from &&
    !entries.some((e) => e.direction === "ingress" && e.name === "drbot")
  )
    needs.push(
      `drbot runs in ${input.from} (placement.bot), the site the drill cuts off: add an ingress entry named drbot to isolation.allow with drbot's addresses, or its readings of the drill are cut too`,
    );
  return needs;
}

function networksOf(config: Config, site: string): Cidr[] {
  return (config.sites.find((s) => s.name === site)?.networks ?? []).flatMap((text) => {
    const parsed = parseCidr(text);
    return typeof parsed === "string" ? [] : [parsed];
  });
}

type PostgresSource = Extract<Config["dataSources"][number], { kind: "postgres" }>;

/**
 * The replications that cross the cut: each PostgreSQL source of the applications with a server in
 * the site cut off, which the other site's server streams from (the configured primary before a
 * failover, the DR site's server after one, when a drill isolates the primary site from DR).
 */
function replicationsAcross(
  config: Config,
  apps: Config["applications"],
  from: string,
): { source: PostgresSource; upstream: PostgresServerConfig }[] {
  const names = new Set(apps.flatMap((a) => a.dataSources));
  // config.ts imports this module's schemas, so the site roles are read here, not through its helpers.
  const role = (r: "primary" | "dr") => config.sites.find((s) => s.role === r)?.name ?? "";
  const roles = { primary: role("primary"), dr: role("dr") };
  return config.dataSources
    .filter((d): d is PostgresSource => d.kind === "postgres" && names.has(d.name))
    .flatMap((source) => {
      const key = serverAt(source, from, roles);
      return key ? [{ source, upstream: source[key] }] : [];
    });
}

/**
 * Configuration mistakes in isolation allow-lists, as paths and messages: an entry's dataSource must
 * be a PostgreSQL source.
 */
export function isolationConfigIssues(config: Config): { path: (string | number)[]; message: string }[] {
  const postgres = new Set(config.dataSources.filter((d) => d.kind === "postgres").map((d) => d.name));
  const check = (entries: AllowEntry[], at: (string | number)[]) =>
    entries.flatMap((entry, index) =>
      entry.dataSource && !postgres.has(entry.dataSource)
        ? [
            {
              path: [...at, "isolation", "allow", index, "dataSource"],
              message: `"${entry.dataSource}" is not a postgres data source`,
            },
          ]
        : [],
    );
  return [
    ...config.sites.flatMap((s, i) => check(s.isolation.allow, ["sites", i])),
    ...config.applications.flatMap((a, i) => check(a.isolation.allow, ["applications", i])),
  ];
}

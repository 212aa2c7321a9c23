import { z } from "zod";
import { k8sNameSchema, nameSchema } from "../../domain/config.js";
import { durationSchema } from "../../domain/duration.js";
import { type AnyStepKind, defineStepKind, type StepKind } from "../step-kind.js";

/**
 * Step kinds whose parameters are fixed here so runbooks validate today, and whose executors come
 * with their adapters (Velero, etcd, Longhorn, PostgreSQL, DNS). Until an adapter registers the
 * real kind, a run that reaches one of these steps fails it with a clear message and pauses; it
 * never pretends the step happened.
 */
function declared<P extends Record<string, unknown>>(
  kind: string,
  description: string,
  params: z.ZodType<P>,
  idempotent: boolean,
  summarize: (p: P) => string,
  adapter: string,
): StepKind<P> {
  return defineStepKind<P>({
    kind,
    description,
    params,
    idempotent,
    summarize,
    async execute() {
      return {
        status: "failed",
        error: `step kind ${kind} needs the ${adapter} adapter, which this drbot process does not have configured`,
      };
    },
    async observe() {
      return { holds: "unknown", evidence: `the ${adapter} adapter is not configured` };
    },
  });
}

const veleroBackup = z
  .object({
    site: nameSchema,
    namespaces: z.array(k8sNameSchema).min(1),
    ttl: durationSchema.default(30 * 86_400_000),
    veleroNamespace: k8sNameSchema.default("velero"),
  })
  .strict();
const veleroRestore = z
  .object({
    site: nameSchema,
    /** "newest" takes the newest Completed backup of the schedule; a name pins one (ransomware). */
    backup: z.union([z.literal("newest"), k8sNameSchema]).default("newest"),
    schedule: k8sNameSchema.optional(),
    namespaces: z.array(k8sNameSchema).default([]),
    veleroNamespace: k8sNameSchema.default("velero"),
  })
  .strict();
const etcdSnapshot = z.object({ source: nameSchema }).strict();
const longhornActivate = z
  .object({
    site: nameSchema,
    volumes: z.array(k8sNameSchema).min(1),
    namespace: k8sNameSchema.default("longhorn-system"),
  })
  .strict();
const dbPromote = z.object({ source: nameSchema }).strict();
const dbLagGate = z.object({ source: nameSchema, max: durationSchema.default(30_000) }).strict();
const dnsSwitch = z
  .object({
    /** Record names from the configuration's dns.records, or "all". */
    records: z.union([z.literal("all"), z.array(z.string().min(1).max(253)).min(1)]).default("all"),
    /** The site that gets weight 100; every other site gets 0 (the seed's 100/0 switch). */
    activeSite: nameSchema,
    provider: z.enum(["external-dns", "command", "webhook"]).default("external-dns"),
  })
  .strict();
const workloadTarget = {
  site: nameSchema,
  kind: z.enum(["Deployment", "StatefulSet"]).default("Deployment"),
  namespace: k8sNameSchema,
  name: z.union([k8sNameSchema, z.literal("*")]),
};
const k8sScale = z
  .object({
    ...workloadTarget,
    replicas: z.number().int().min(0).max(10_000),
    concurrency: z.number().int().min(1).max(64).default(10),
  })
  .strict();
const k8sWaitReady = z
  .object({ ...workloadTarget, replicas: z.number().int().min(0).max(10_000).optional() })
  .strict();
const k8sHealth = z
  .object({
    site: nameSchema,
    requireNodesReady: z.boolean().default(true),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .strict();
const k8sCapacity = z
  .object({ primary: nameSchema, dr: nameSchema, allowNMinus1: z.boolean().default(true) })
  .strict();
const k8sFence = z
  .object({
    site: nameSchema,
    workloads: z
      .array(
        z
          .object(workloadTarget)
          .omit({ site: true })
          .extend({ replicas: z.number().int().optional() })
          .loose(),
      )
      .min(1),
    whenUnreachable: z.enum(["continue", "fail"]).default("continue"),
  })
  .strict();
const k8sSnapshot = z
  .object({
    site: nameSchema,
    namespaces: z.array(k8sNameSchema).default([]),
    label: z.string().regex(/^[a-z0-9-]{1,40}$/),
  })
  .strict();
const k8sDiff = z
  .object({
    site: nameSchema,
    before: z.string().regex(/^[a-z0-9-]{1,40}$/),
    after: z.string().regex(/^[a-z0-9-]{1,40}$/),
  })
  .strict();
const k8sIsolate = z.object({ site: nameSchema, namespaces: z.array(k8sNameSchema).min(1) }).strict();
const k8sUnisolate = z.object({ site: nameSchema }).strict();
const k8sVerifyClean = z.object({ sites: z.array(nameSchema).min(1) }).strict();
const backupVerify = z.object({ sources: z.array(nameSchema).default([]) }).strict();

export const declaredStepKinds: AnyStepKind[] = [
  declared(
    "velero.backup",
    "Takes a Velero backup on demand (before a planned failover).",
    veleroBackup,
    false,
    (p) => `Velero backup of ${p.namespaces.join(", ")} on ${p.site}`,
    "Velero",
  ),
  declared(
    "velero.restore",
    "Restores from the newest good Velero backup or a chosen one, watching every phase.",
    veleroRestore,
    false,
    (p) =>
      `Velero restore on ${p.site} from ${p.backup === "newest" ? `the newest backup${p.schedule ? ` of ${p.schedule}` : ""}` : p.backup}`,
    "Velero",
  ),
  declared(
    "etcd.snapshot",
    "Saves, verifies, copies and prunes an etcd snapshot.",
    etcdSnapshot,
    true,
    (p) => `etcd snapshot of ${p.source}`,
    "etcd",
  ),
  declared(
    "longhorn.activate",
    "Activates Longhorn DR volumes on the DR site.",
    longhornActivate,
    false,
    (p) => `activate Longhorn volumes ${p.volumes.join(", ")} on ${p.site}`,
    "Longhorn",
  ),
  declared(
    "db.promote",
    "Promotes the PostgreSQL replica to primary.",
    dbPromote,
    false,
    (p) => `promote the ${p.source} replica`,
    "PostgreSQL",
  ),
  declared(
    "db.lag-gate",
    "Refuses to go on while replication lag is above a limit.",
    dbLagGate,
    true,
    (p) => `replication lag of ${p.source} under ${p.max} ms`,
    "PostgreSQL",
  ),
  declared(
    "dns.switch",
    "Moves DNS weight to one site (100) from the others (0) and reads it back.",
    dnsSwitch,
    true,
    (p) => `DNS ${p.records === "all" ? "all records" : p.records.join(", ")} → ${p.activeSite} 100`,
    "DNS",
  ),
  declared(
    "k8s.health",
    "Checks a site's API, nodes Ready and node labels.",
    k8sHealth,
    true,
    (p) => `health of ${p.site}`,
    "Kubernetes",
  ),
  declared(
    "k8s.capacity",
    "Checks the DR site's capacity against the primary's (or N-1).",
    k8sCapacity,
    true,
    (p) => `capacity of ${p.dr} against ${p.primary}`,
    "Kubernetes",
  ),
  declared(
    "k8s.fence",
    "Scales the primary's workloads down where it is reachable.",
    k8sFence,
    true,
    (p) => `fence ${p.site}: scale ${p.workloads.length} workload(s) to 0`,
    "Kubernetes",
  ),
  declared(
    "k8s.scale",
    "Scales workloads through the scale subresource.",
    k8sScale,
    true,
    (p) => `scale ${p.kind} ${p.namespace}/${p.name} on ${p.site} to ${p.replicas}`,
    "Kubernetes",
  ),
  declared(
    "k8s.wait-ready",
    "Waits until workloads have their ready replicas.",
    k8sWaitReady,
    true,
    (p) => `wait for ${p.namespace}/${p.name} on ${p.site}`,
    "Kubernetes",
  ),
  declared(
    "k8s.snapshot",
    "Records the state of a site (what kubectl get all shows).",
    k8sSnapshot,
    true,
    (p) => `snapshot "${p.label}" of ${p.site}`,
    "Kubernetes",
  ),
  declared(
    "k8s.diff",
    "Compares two snapshots of a run.",
    k8sDiff,
    true,
    (p) => `diff snapshots ${p.before} → ${p.after} of ${p.site}`,
    "Kubernetes",
  ),
  declared(
    "k8s.isolate",
    "Isolates namespaces with deny-all NetworkPolicies labelled with the run id.",
    k8sIsolate,
    true,
    (p) => `isolate ${p.namespaces.join(", ")} on ${p.site}`,
    "Kubernetes",
  ),
  declared(
    "k8s.unisolate",
    "Removes the run's NetworkPolicies.",
    k8sUnisolate,
    true,
    (p) => `remove isolation on ${p.site}`,
    "Kubernetes",
  ),
  declared(
    "k8s.verify-clean",
    "Proves nothing labelled with the run id remains.",
    k8sVerifyClean,
    true,
    (p) => `verify nothing of this run remains on ${p.sites.join(", ")}`,
    "Kubernetes",
  ),
  declared(
    "backup.verify",
    "Checks freshness and integrity of every backup source.",
    backupVerify,
    true,
    (p) => `verify backups${p.sources.length ? ` of ${p.sources.join(", ")}` : ""}`,
    "backup",
  ),
];

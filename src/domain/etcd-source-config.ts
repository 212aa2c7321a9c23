import { z } from "zod";
import { k8sNameSchema, nameSchema } from "./config-names.js";
import { durationSchema } from "./duration.js";
import { backupDesignFields } from "./rpo-design.js";

/**
 * An etcd data source: where its snapshots are and how drbot checks them. The way RKE2 does it,
 * RKE2 (or k3s) takes the snapshots on its own schedule (etcd-snapshot-schedule-cron) and lists them
 * as ETCDSnapshotFile objects; drbot reads those (`snapshotFiles`) and verifies the files it is given
 * (`snapshotDir`: the DR copy, mounted in drbot's pod). drbot never needs etcd's client key for that.
 * For a cluster with no snapshot schedule, drbot's etcd.snapshot step runs a Kubernetes Job on the
 * site's etcd nodes (`job`), where the certificates already are, writing to DR storage. `endpoints`
 * with certificates (drbot's own process saving snapshots) remains for hosts that have them.
 */
const etcdJobSchema = z
  .object({
    /** The site whose etcd it snapshots (the Job runs there). */
    site: nameSchema,
    /** Namespace of the Job (its pod needs host networking and host paths: see deploy/target-cluster). */
    namespace: k8sNameSchema.default("drbot-etcd"),
    /** An image with etcdctl and etcdutl, such as registry.k8s.io/etcd:3.6.16-0. */
    image: z.string().min(1),
    /** Which nodes run etcd: RKE2 labels its etcd servers node-role.kubernetes.io/etcd=true. */
    nodeSelector: z.record(z.string(), z.string()).default({ "node-role.kubernetes.io/etcd": "true" }),
    /** etcd's client certificates on those nodes (RKE2's), mounted read-only into the Job alone. */
    certDir: z.string().min(1).default("/var/lib/rancher/rke2/server/tls/etcd"),
    caFile: z.string().min(1).default("server-ca.crt"),
    certFile: z.string().min(1).default("server-client.crt"),
    keyFile: z.string().min(1).default("server-client.key"),
    /** etcd as the node sees it (host network). */
    endpoint: z.url().default("https://127.0.0.1:2379"),
    /** Where the Job writes the snapshot: DR storage as the nodes see it. */
    destination: z.union([
      z.object({ hostPath: z.string().min(1) }).strict(),
      z.object({ nfs: z.object({ server: z.string().min(1), path: z.string().min(1) }).strict() }).strict(),
      z.object({ claimName: k8sNameSchema }).strict(),
    ]),
  })
  .strict();

export const etcdSourceSchema = z
  .object({
    name: nameSchema,
    kind: z.literal("etcd"),
    ...backupDesignFields,
    /** Where drbot reads the snapshot files to verify them (the DR copy, mounted in its pod). */
    snapshotDir: z.string().min(1).optional(),
    /**
     * How the files there are named: drbot's own (etcd-snapshot-<source>-<utc>.db), or RKE2's and
     * k3s's (etcd-snapshot-<node>-<unix seconds>, on-demand-<node>-<unix seconds>; drbot's own too).
     */
    naming: z.enum(["drbot", "rke2"]).default("drbot"),
    /** RKE2's and k3s's ETCDSnapshotFile objects (k3s.cattle.io/v1) on this site list its snapshots. */
    snapshotFiles: z.object({ site: nameSchema }).strict().optional(),
    /** drbot's own etcd.snapshot as a Kubernetes Job on the site's etcd nodes. */
    job: etcdJobSchema.optional(),
    /** drbot's own process saves snapshots with etcdctl and these client certificates. */
    endpoints: z.array(z.url()).min(1).optional(),
    drDir: z.string().min(1).optional(),
    caFile: z.string().optional(),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    /** Where etcdctl and etcdutl are; unset means on PATH (production). */
    binDir: z.string().min(1).optional(),
    /** How the snapshot reaches drDir: rsync when it is installed (else a copy), or a plain copy. */
    copyWith: z.enum(["copy", "rsync"]).default("copy"),
    /** Deadline for connecting to an endpoint (TLS handshake included). */
    requestTimeout: durationSchema.default(10_000),
    retention: z
      .object({
        count: z.number().int().min(1).default(10),
        maxAge: durationSchema.default(30 * 86_400_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((s) => s.snapshotDir !== undefined || s.snapshotFiles !== undefined, {
    message: "give snapshotDir (snapshot files drbot can read), snapshotFiles (RKE2's list of them), or both",
  })
  .refine((s) => !(s.job && s.endpoints), {
    message:
      "give either job (a Job on the etcd nodes takes snapshots) or endpoints (drbot's process does), not both",
  });

export type EtcdSourceConfig = z.output<typeof etcdSourceSchema>;
export type EtcdJobConfig = NonNullable<EtcdSourceConfig["job"]>;

/** The sites an etcd source names (its Job's, its ETCDSnapshotFile list's) must be configured. */
export function etcdSiteIssues(
  source: { kind: string } & Partial<Pick<EtcdSourceConfig, "job" | "snapshotFiles">>,
  sites: ReadonlySet<string>,
): { path: string[]; message: string }[] {
  if (source.kind !== "etcd") return [];
  return (
    [
      [["job", "site"], source.job?.site],
      [["snapshotFiles", "site"], source.snapshotFiles?.site],
    ] as const
  ).flatMap(([path, site]) =>
    site !== undefined && !sites.has(site) ? [{ path: [...path], message: `unknown site "${site}"` }] : [],
  );
}

import { DrError } from "../domain/errors.js";
import type { ArtifactStore } from "../ports/artifact-store.js";
import type { BackupReadings } from "../ports/backup-readings.js";
import type { CommandRunner } from "../ports/command-runner.js";
import type { DatabaseReplication } from "../ports/database-replication.js";
import type { DnsProvider } from "../ports/dns.js";
import type { EtcdSnapshots } from "../ports/etcd-snapshots.js";
import type { Logger } from "../ports/logger.js";
import type { LonghornServices } from "../ports/longhorn.js";
import type { NoticeSink } from "../ports/notices.js";
import type { RunLedger } from "../ports/run-ledger.js";
import type { KubernetesServices } from "../ports/site.js";
import type { SiteStateStore } from "../ports/site-state.js";
import type { VeleroServices } from "../ports/velero.js";

/**
 * What step kinds may call. The composition root fills in what the process has; a kind whose service
 * is absent fails its step with a clear message (`serviceOf`) and the run pauses, it never pretends
 * the step happened.
 */
export interface StepServices {
  commands: CommandRunner;
  /** Known secret values to redact from output. */
  secrets: readonly string[];
  /**
   * Messages to people (the run's incident channel). Resolves false when the notice had nowhere to
   * go (no Slack in this process); throws when delivery failed. Absent: no notifier at all.
   */
  notify?: NoticeSink;
  /** Kubernetes sites by name (k8s.* steps). */
  sites?: KubernetesServices;
  /** Snapshots and diffs a run records (k8s.snapshot, k8s.diff). */
  artifacts?: ArtifactStore;
  /** What a run changed on sites, written before each change (k8s.scale in drills, k8s.verify-clean). */
  ledger?: RunLedger;
  /** Velero per site (velero.* steps). */
  velero?: VeleroServices;
  /** Longhorn per site (longhorn.activate). */
  longhorn?: LonghornServices;
  /** PostgreSQL promotion and lag (db.* steps). */
  replication?: DatabaseReplication;
  /** The configured DNS provider (dns.switch). */
  dns?: DnsProvider;
  /** etcd snapshots: take, verify, copy, prune (etcd.snapshot). */
  etcd?: EtcdSnapshots;
  /** Which site serves each application (site.serving). */
  siteState?: SiteStateStore;
  /** The readings behind the live RPO (backup.verify). */
  backups?: BackupReadings;
  /** Where steps log what they cannot put in their output; each step gets a child with its run and step. */
  logger?: Logger;
}

/** The services a process may lack, with what a step says when it needs one that is absent. */
const MISSING = {
  sites: "no Kubernetes sites configured",
  artifacts: "no artifact store",
  ledger: "no run ledger",
  velero: "no Velero access configured",
  longhorn: "no Longhorn sites configured",
  replication: "no PostgreSQL adapter configured",
  dns: "no DNS provider configured (dns.provider)",
  etcd: "no etcd snapshot adapter configured",
  siteState: "no store for which site serves each application",
} as const satisfies Partial<Record<keyof StepServices, string>>;

export type OptionalService = keyof typeof MISSING;

/**
 * A service a step needs, or DrError `unavailable` saying this process lacks it: a step kind asks
 * here rather than reading `ctx.services` and checking itself.
 */
export function serviceOf<K extends OptionalService>(
  ctx: { services: StepServices },
  name: K,
): NonNullable<StepServices[K]> {
  const service = ctx.services[name];
  if (service == null) throw new DrError("unavailable", `this drbot process has ${MISSING[name]}`);
  return service;
}

import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { SiteConfig } from "../../domain/config.js";
import type { EtcdSourceConfig } from "../../domain/etcd-source-config.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type { SnapshotTag, TaggedSnapshot } from "../../ports/etcd-snapshots.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import { withDeadline } from "../kubernetes/with-deadline.js";
import { checkSnapshotFile } from "./check-snapshot-file.js";
import {
  ETCD_SOURCE_LABEL,
  FILE_ANNOTATION,
  jobLabels,
  TAKEN_ANNOTATION,
} from "./etcd-snapshot-job-manifest.js";
import { etcdTools } from "./etcd-tools.js";
import type { VerificationCache } from "./verify-etcd-snapshot.js";

/**
 * Whether a run's etcd.snapshot step already left a good snapshot through a Job (a process taking
 * the run over asks before taking another): a completed Job of this run and step, and, where drbot
 * can read DR storage (snapshotDir), its file there checking whole.
 */
export async function findEtcdSnapshotJob(
  source: EtcdSourceConfig & { job: NonNullable<EtcdSourceConfig["job"]> },
  tag: SnapshotTag,
  deps: { site: SiteConfig; commands: CommandRunner; signal: AbortSignal; cache?: VerificationCache },
): Promise<TaggedSnapshot> {
  const namespace = source.job.namespace;
  const batch = loadKubeConfig(deps.site).makeApiClient(k8s.BatchV1Api);
  const labelSelector = Object.entries({ [ETCD_SOURCE_LABEL]: source.name, ...jobLabels(tag) })
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const list = await withDeadline(
    { site: deps.site.name, operation: "list etcd snapshot Jobs" },
    deps.site.requestTimeout,
    deps.signal,
    (o) => batch.listNamespacedJob({ namespace, labelSelector }, o),
  );
  const done = list.items.find((j) =>
    j.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"),
  );
  if (!done) return { found: false, evidence: `no completed snapshot Job of this step in ${namespace}` };
  const name = `${namespace}/${done.metadata?.name ?? "?"}`;
  const file = done.metadata?.annotations?.[FILE_ANNOTATION] ?? "";
  const takenAt = Number(done.metadata?.annotations?.[TAKEN_ANNOTATION] ?? 0);
  if (!source.snapshotDir)
    return {
      found: true,
      snapshot: { file, sha256: "", sizeBytes: 0, takenAt },
      evidence: `Job ${name} completed (its own etcdutl read the snapshot back)`,
    };
  const path = join(source.snapshotDir, file);
  const checked = await checkSnapshotFile(
    etcdTools(deps.commands, source.binDir),
    source.name,
    path,
    { signal: deps.signal, timeoutMs: 60_000, cache: deps.cache },
    { etcdutl: true },
  );
  if (!checked.ok) return { found: false, evidence: `Job ${name} completed, but ${path} ${checked.why}` };
  return {
    found: true,
    snapshot: {
      file: path,
      sha256: checked.sha256,
      sizeBytes: checked.sizeBytes,
      takenAt,
      ...(checked.status
        ? { hash: checked.status.hash, revision: checked.status.revision, totalKeys: checked.status.totalKey }
        : {}),
    },
    evidence: `Job ${name} completed and ${file} verifies (${checked.facts})`,
  };
}

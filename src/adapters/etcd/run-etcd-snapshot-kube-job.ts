import { createHash } from "node:crypto";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { SiteConfig } from "../../domain/config.js";
import { describeError } from "../../domain/errors.js";
import type { EtcdJobConfig, EtcdSourceConfig } from "../../domain/etcd-source-config.js";
import { abortableDelay } from "../../ports/abortable-delay.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type { EtcdSnapshotReport, SnapshotTag } from "../../ports/etcd-snapshots.js";
import { loadKubeConfig } from "../kubernetes/load-kube-config.js";
import { withDeadline } from "../kubernetes/with-deadline.js";
import { checkSnapshotFile } from "./check-snapshot-file.js";
import { EtcdError } from "./etcd-error.js";
import {
  ETCD_SOURCE_LABEL,
  etcdSnapshotJobManifest,
  FILE_ANNOTATION,
  jobLabels,
  TAKEN_ANNOTATION,
} from "./etcd-snapshot-job-manifest.js";
import { etcdTools } from "./etcd-tools.js";
import { snapshotFileName } from "./snapshot-manifest.js";
import type { VerificationCache } from "./verify-etcd-snapshot.js";

export interface KubeJobDeps {
  site: SiteConfig;
  commands: CommandRunner;
  signal: AbortSignal;
  timeoutMs: number;
  now: () => number;
  tag?: SnapshotTag | undefined;
  log?: ((line: string) => void) | undefined;
  cache?: VerificationCache | undefined;
  /** How often the Job is read while it runs. */
  pollMs?: number;
}

type JobSource = EtcdSourceConfig & { job: EtcdJobConfig };

/**
 * drbot's etcd snapshot the RKE2 way: a Job on an etcd node of the site saves it with the node's
 * own certificates straight into DR storage and reads it back with etcdutl (see the manifest); drbot
 * creates the Job, follows it to the end within the step's time, and, where it can read that DR
 * storage itself (snapshotDir), checks the file arrived whole. A Job of the same run and step that
 * exists already is followed instead of creating a second (a takeover after a crash). Throws
 * EtcdError with what the Job or its pod said when it fails.
 */
export async function runEtcdSnapshotKubeJob(
  source: JobSource,
  deps: KubeJobDeps,
): Promise<EtcdSnapshotReport> {
  const job = source.job;
  const signal = AbortSignal.any([deps.signal, AbortSignal.timeout(deps.timeoutMs)]);
  const where = { source: source.name, operation: "take a snapshot with a Job" };
  const kc = loadKubeConfig(deps.site);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const call = <T>(
    operation: string,
    request: (o: k8s.ConfigurationOptions) => Promise<T>,
    within: AbortSignal = signal,
  ) => withDeadline({ site: deps.site.name, operation }, deps.site.requestTimeout, within, request);
  const log = deps.log ?? (() => undefined);
  const namespace = job.namespace;
  const tagLabels = deps.tag ? jobLabels(deps.tag) : {};
  const selector = Object.entries({ [ETCD_SOURCE_LABEL]: source.name, ...tagLabels })
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  let name = "";
  try {
    let existing: k8s.V1Job | undefined;
    if (deps.tag) {
      const list = await call("list etcd snapshot Jobs", (o) =>
        batch.listNamespacedJob({ namespace, labelSelector: selector }, o),
      );
      // A failed Job of this step is history: a retry takes a new snapshot.
      existing = list.items.find((j) => !hasCondition(j, "Failed"));
    }
    let file: string;
    let takenAt: number;
    if (existing?.metadata?.name) {
      name = existing.metadata.name;
      file = existing.metadata.annotations?.[FILE_ANNOTATION] ?? "";
      takenAt = Number(existing.metadata.annotations?.[TAKEN_ANNOTATION] ?? deps.now());
      log(`Job ${namespace}/${name} of this step exists already; following it`);
    } else {
      takenAt = deps.now();
      file = snapshotFileName(source.name, takenAt);
      name = jobName(source.name, takenAt);
      const manifest = etcdSnapshotJobManifest(job, {
        source: source.name,
        name,
        file,
        labels: tagLabels,
        deadlineSeconds: Math.max(60, Math.floor(deps.timeoutMs / 1000)),
      });
      manifest.metadata!.annotations = { [FILE_ANNOTATION]: file, [TAKEN_ANNOTATION]: String(takenAt) };
      await call("create the etcd snapshot Job", (o) =>
        batch.createNamespacedJob({ namespace, body: manifest }, o),
      );
      log(
        `created Job ${namespace}/${name} on ${deps.site.name}: etcdctl snapshot save to ${file} on an etcd node`,
      );
    }
    const outcome = await follow(name);
    if (outcome.state === "failed")
      throw new EtcdError(
        "snapshot_failed",
        where,
        `Job ${namespace}/${name} failed: ${outcome.why}${await podStory(name)}`,
      );
    const status = await statusFromLogs(name);
    log(
      `Job ${namespace}/${name} completed${status ? `: etcdutl read revision ${status.revision}, ${status.totalKey} keys` : ""}`,
    );
    const report: EtcdSnapshotReport = {
      source: source.name,
      endpoint: `Job ${namespace}/${name}${outcome.node ? ` on ${outcome.node}` : ""}`,
      snapshot: {
        file,
        sha256: "",
        sizeBytes: 0,
        takenAt,
        ...(status ? { hash: status.hash, revision: status.revision, totalKeys: status.totalKey } : {}),
      },
      removed: [],
      rejected: [],
      savedTo: `${describeDestination(job)}/${file}`,
    };
    if (!source.snapshotDir) {
      log("no snapshotDir: drbot cannot read DR storage, so the Job's own etcdutl check is the verification");
      return report;
    }
    const copy = join(source.snapshotDir, file);
    const checked = await checkSnapshotFile(
      etcdTools(deps.commands, source.binDir),
      source.name,
      copy,
      { signal, timeoutMs: Math.max(1_000, deps.timeoutMs), cache: deps.cache },
      { etcdutl: true },
    ).catch((error: unknown) => ({ ok: false as const, why: describeError(error) }));
    if (!checked.ok)
      throw new EtcdError("verification_failed", where, `the Job completed, but ${copy} ${checked.why}`);
    log(`${copy} verifies: ${checked.facts}`);
    report.snapshot = {
      ...report.snapshot,
      file: copy,
      sha256: checked.sha256,
      sizeBytes: checked.sizeBytes,
      ...(checked.status
        ? { hash: checked.status.hash, revision: checked.status.revision, totalKeys: checked.status.totalKey }
        : {}),
    };
    return report;
  } catch (error) {
    if (error instanceof EtcdError) throw error;
    if (signal.aborted) {
      const story = name ? await podStory(name, AbortSignal.timeout(deps.site.requestTimeout)) : "";
      throw new EtcdError(
        "timeout",
        where,
        `${deps.signal.aborted ? "the step was stopped" : "the step's time ran out"} before ${name ? `Job ${namespace}/${name}` : "the Job"} ended${story}`,
        { cause: error },
      );
    }
    throw new EtcdError("snapshot_failed", where, describeError(error), { cause: error });
  }

  /** Reads the Job until it completes or fails (its activeDeadlineSeconds ends it in any case). */
  async function follow(
    name: string,
  ): Promise<{ state: "completed" | "failed"; why: string; node?: string }> {
    for (;;) {
      const current = await call("read the etcd snapshot Job", (o) =>
        batch.readNamespacedJob({ name, namespace }, o),
      );
      const done = current.status?.conditions?.find(
        (c) => c.status === "True" && (c.type === "Complete" || c.type === "Failed"),
      );
      if (done) {
        const pods = await call("list the Job's pods", (o) =>
          core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }, o),
        );
        const node = pods.items[0]?.spec?.nodeName;
        return done.type === "Complete"
          ? { state: "completed", why: "", ...(node ? { node } : {}) }
          : { state: "failed", why: `${done.reason ?? "Failed"}: ${done.message ?? ""}`.trim() };
      }
      // Stopped (an abort, a lost lease) or out of time: at once, not after the interval.
      await abortableDelay(deps.pollMs ?? 1_000, signal);
    }
  }

  /** What the pod says about a failure: each container's end, and the last lines it wrote. */
  async function podStory(name: string, within: AbortSignal = signal): Promise<string> {
    try {
      const pods = await call(
        "list the Job's pods",
        (o) => core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }, o),
        within,
      );
      const pod = pods.items[0];
      if (!pod) return "; no pod ran (see the Job's events: nodeSelector, tolerations, admission)";
      const unschedulable = pod.status?.conditions?.find(
        (c) => c.type === "PodScheduled" && c.status === "False",
      );
      if (unschedulable)
        return `; its pod was never scheduled (${unschedulable.reason ?? "Unschedulable"}: ${unschedulable.message ?? "no node matches"})`;
      const ends = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
        .map((c) => ({ name: c.name, end: c.state?.terminated }))
        .filter((c) => c.end && c.end.exitCode !== 0)
        .map((c) => `${c.name} exited ${c.end!.exitCode}${c.end!.message ? `: ${c.end!.message}` : ""}`);
      return ends.length > 0 ? `; ${ends.join("; ")}` : "";
    } catch (error) {
      return `; its pod could not be read (${describeError(error)})`;
    }
  }

  /** etcdutl's status as the Job printed it; undefined where logs cannot be read. */
  async function statusFromLogs(
    name: string,
  ): Promise<{ hash: number; revision: number; totalKey: number } | undefined> {
    try {
      const pods = await call("list the Job's pods", (o) =>
        core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }, o),
      );
      const pod = pods.items[0]?.metadata?.name;
      if (!pod) return undefined;
      const text = await call("read the Job's log", (o) =>
        core.readNamespacedPodLog({ name: pod, namespace, container: "verify", limitBytes: 4096 }, o),
      );
      const line = String(text)
        .split("\n")
        .find((l) => l.startsWith("{"));
      const parsed = line
        ? (JSON.parse(line) as { hash?: unknown; revision?: unknown; totalKey?: unknown })
        : {};
      return typeof parsed.hash === "number" &&
        typeof parsed.revision === "number" &&
        typeof parsed.totalKey === "number"
        ? { hash: parsed.hash, revision: parsed.revision, totalKey: parsed.totalKey }
        : undefined;
    } catch (error) {
      // No log (KWOK runs no containers; a log API refused): the file check below is the evidence.
      log(`the Job's log could not be read: ${describeError(error)}`);
      return undefined;
    }
  }
}

function describeDestination(job: EtcdJobConfig): string {
  const d = job.destination;
  if ("hostPath" in d) return `${d.hostPath} on the node`;
  if ("nfs" in d) return `${d.nfs.server}:${d.nfs.path}`;
  return `volume claim ${job.namespace}/${d.claimName}`;
}

function hasCondition(job: k8s.V1Job, type: string): boolean {
  return job.status?.conditions?.some((c) => c.type === type && c.status === "True") ?? false;
}

/** drbot-etcd-<source>-<utc stamp>, at most 63 characters, a valid object name. */
function jobName(source: string, takenAt: number): string {
  const iso = new Date(takenAt).toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}`;
  const base = `drbot-etcd-${source.replace(/[^a-z0-9-]+/g, "-")}-${stamp}`;
  if (base.length <= 63) return base;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 8);
  return `${base.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

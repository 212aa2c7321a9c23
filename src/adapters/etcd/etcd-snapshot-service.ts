import { basename, join } from "node:path";
import type { Config, SiteConfig } from "../../domain/config.js";
import { DrError } from "../../domain/errors.js";
import type { EtcdSnapshotFileInfo } from "../../domain/rke2-snapshots.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type {
  EtcdSnapshotOptions,
  EtcdSnapshotReport,
  EtcdSnapshots,
  SnapshotTag,
  TaggedSnapshot,
} from "../../ports/etcd-snapshots.js";
import { listSnapshotFiles } from "./apply-snapshot-retention.js";
import { EtcdError } from "./etcd-error.js";
import { EtcdSnapshotFiles } from "./etcd-snapshot-files.js";
import { etcdTools } from "./etcd-tools.js";
import { findEtcdSnapshotJob } from "./find-etcd-snapshot-job.js";
import { readEtcdRpo } from "./read-etcd-rpo.js";
import {
  DEFAULT_JOB_TIMEOUT_MS,
  type EtcdSourceConfig,
  runEtcdSnapshotJob,
} from "./run-etcd-snapshot-job.js";
import { runEtcdSnapshotKubeJob } from "./run-etcd-snapshot-kube-job.js";
import { readManifest } from "./snapshot-manifest.js";
import { VerificationCache, verifyEtcdSnapshot } from "./verify-etcd-snapshot.js";

/**
 * The etcd sources of one configuration, for the etcd.snapshot step, the scheduler and status. One
 * verification cache per process, so /dr status does not re-read unchanged snapshot files.
 */
export class EtcdSnapshotService implements EtcdSnapshots {
  private readonly cache = new VerificationCache();
  private rpoInFlight: Promise<RpoReading[]> | undefined;
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    readonly config: Config,
    private readonly commands: CommandRunner,
    private readonly options: { now?: () => number; pollMs?: number } = {},
  ) {}

  private site(name: string): SiteConfig {
    const site = this.config.sites.find((s) => s.name === name);
    if (!site) throw new DrError("invalid_input", `no site named "${name}"`);
    return site;
  }

  private readonly listers = new Map<string, EtcdSnapshotFiles>();

  /** RKE2's ETCDSnapshotFile list on a site, its client built on first use (a bad kubeconfig fails the reading). */
  private snapshotFilesOf(site: string): (signal: AbortSignal) => Promise<EtcdSnapshotFileInfo[]> {
    return async (signal) => {
      let lister = this.listers.get(site);
      if (!lister) {
        lister = new EtcdSnapshotFiles(this.site(site));
        this.listers.set(site, lister);
      }
      return lister.list({ signal });
    };
  }

  sources(): EtcdSourceConfig[] {
    return this.config.dataSources.filter((d): d is EtcdSourceConfig => d.kind === "etcd");
  }

  source(name: string): EtcdSourceConfig {
    const found = this.sources().find((s) => s.name === name);
    if (!found) {
      const known = this.sources().map((s) => s.name);
      throw new DrError(
        "invalid_input",
        `no etcd data source named "${name}"${known.length ? `; known: ${known.join(", ")}` : ""}`,
      );
    }
    return found;
  }

  /**
   * One job per source at a time in this process (the scheduler's and a run's step may meet):
   * retention in one job would otherwise delete files the other is verifying. A job waiting for
   * another gives up when its own signal ends.
   */
  async take(
    name: string,
    options: EtcdSnapshotOptions & { timeoutMs?: number },
  ): Promise<EtcdSnapshotReport> {
    const source = this.source(name);
    const previous = this.running.get(name);
    const job = (async () => {
      if (previous) await untilSettledOrAborted(previous, options.signal, name);
      if (source.job)
        return runEtcdSnapshotKubeJob(
          { ...source, job: source.job },
          {
            site: this.site(source.job.site),
            commands: this.commands,
            signal: options.signal,
            timeoutMs: options.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS,
            now: this.options.now ?? Date.now,
            tag: options.tag,
            log: options.log,
            cache: this.cache,
            ...(this.options.pollMs !== undefined ? { pollMs: this.options.pollMs } : {}),
          },
        );
      return runEtcdSnapshotJob(source, {
        commands: this.commands,
        signal: options.signal,
        tag: options.tag,
        log: options.log,
        cache: this.cache,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    })();
    this.running.set(name, job);
    try {
      return await job;
    } finally {
      if (this.running.get(name) === job) this.running.delete(name);
    }
  }

  /** Reads manifests to find the step's snapshot, then verifies only that one (and its DR copy). */
  async findTagged(name: string, tag: SnapshotTag, signal: AbortSignal): Promise<TaggedSnapshot> {
    const source = this.source(name);
    if (source.job)
      return findEtcdSnapshotJob({ ...source, job: source.job }, tag, {
        site: this.site(source.job.site),
        commands: this.commands,
        signal,
        cache: this.cache,
      });
    const tools = etcdTools(this.commands, source.binDir);
    const limits = { signal, timeoutMs: 60_000, cache: this.cache };
    if (!source.snapshotDir)
      return { found: false, evidence: `${source.name} has no snapshotDir to look in` };
    for (const file of await listSnapshotFiles(source.snapshotDir, source.name)) {
      const manifest = await readManifest(file);
      if (
        !manifest ||
        "invalid" in manifest ||
        manifest.runId !== tag.runId ||
        manifest.stepId !== tag.stepId
      )
        continue;
      const local = await verifyEtcdSnapshot(tools, source.name, file, limits);
      if (!local.ok) return { found: false, evidence: `${file} of this step does not verify: ${local.why}` };
      if (source.drDir) {
        const copy = join(source.drDir, basename(file));
        const dr = await verifyEtcdSnapshot(tools, source.name, copy, limits);
        if (!dr.ok) return { found: false, evidence: `${file} verifies but its DR copy does not: ${dr.why}` };
      }
      return {
        found: true,
        snapshot: {
          file,
          sha256: local.sha256,
          sizeBytes: local.sizeBytes,
          hash: local.status.hash,
          revision: local.status.revision,
          totalKeys: local.status.totalKey,
          takenAt: local.takenAt,
        },
        evidence: `${basename(file)} (revision ${local.status.revision}) verifies${source.drDir ? ", and so does its DR copy" : ""}`,
      };
    }
    return { found: false, evidence: `no snapshot of this step in ${source.snapshotDir}` };
  }

  /**
   * One reading per etcd source; never throws. Callers at the same time share one reading, so fifty
   * /dr status commands do not verify the same snapshot fifty times over.
   */
  readRpo(now: number, signal?: AbortSignal): Promise<RpoReading[]> {
    this.rpoInFlight ??= Promise.all(
      this.sources().map((s) =>
        readEtcdRpo(s, {
          commands: this.commands,
          now,
          signal,
          cache: this.cache,
          ...(s.snapshotFiles ? { snapshotFiles: this.snapshotFilesOf(s.snapshotFiles.site) } : {}),
        }),
      ),
    ).finally(() => {
      this.rpoInFlight = undefined;
    });
    return this.rpoInFlight;
  }
}

function untilSettledOrAborted(job: Promise<unknown>, signal: AbortSignal, source: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new EtcdError(
          "timeout",
          { source, operation: "take a snapshot" },
          "another snapshot of it was still running",
        ),
      );
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    void job
      .catch(
        // Only its end matters here: the caller that started it hears how it went.
        () => undefined,
      )
      .then(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
  });
}

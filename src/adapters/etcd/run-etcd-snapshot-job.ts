import { basename } from "node:path";
import { describeError } from "../../domain/errors.js";
import type { EtcdSourceConfig } from "../../domain/etcd-source-config.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import type { EtcdSnapshotReport, SnapshotTag } from "../../ports/etcd-snapshots.js";
import { applySnapshotRetention } from "./apply-snapshot-retention.js";
import { copySnapshotToDr } from "./copy-snapshot-to-dr.js";
import { EtcdError } from "./etcd-error.js";
import { etcdTools } from "./etcd-tools.js";
import { probeEtcdEndpoints } from "./probe-etcd-endpoint.js";
import { saveEtcdSnapshot } from "./save-etcd-snapshot.js";
import { VerificationCache } from "./verify-etcd-snapshot.js";

export type { EtcdSourceConfig };

export interface EtcdJobDeps {
  commands: CommandRunner;
  now?: () => number;
  /** The whole job's deadline (default 10 minutes); the caller's signal may end it sooner. */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  tag?: SnapshotTag | undefined;
  log?: ((line: string) => void) | undefined;
  cache?: VerificationCache | undefined;
}

export const DEFAULT_JOB_TIMEOUT_MS = 10 * 60_000;

/**
 * The seed's script 02 as one job the scheduler (or the etcd.snapshot step) calls: find an endpoint
 * that accepts drbot's client certificate, save a snapshot, verify it (embedded SHA-256, etcdutl
 * status: hash, revision, keys), write its manifest, copy it to DR storage and verify the copy,
 * then apply retention in both places. Throws EtcdError when any part fails; a snapshot that did
 * not verify is never left where it would count as a good copy.
 */
export async function runEtcdSnapshotJob(
  source: EtcdSourceConfig,
  deps: EtcdJobDeps,
): Promise<EtcdSnapshotReport> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (() => undefined);
  const timeoutMs = deps.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = deps.signal ? AbortSignal.any([timeout, deps.signal]) : timeout;
  const tools = etcdTools(deps.commands, source.binDir);
  // Retention verifies every file; within one job each file is read once.
  const cache = deps.cache ?? new VerificationCache();
  const tls = { caFile: source.caFile, certFile: source.certFile, keyFile: source.keyFile };
  try {
    const snapshotDir = source.snapshotDir;
    if (!source.endpoints || !snapshotDir)
      throw new EtcdError(
        "snapshot_failed",
        { source: source.name, operation: "take a snapshot" },
        "drbot's process saves snapshots only with endpoints and a snapshotDir (else give job)",
      );
    const probe = await probeEtcdEndpoints(source.name, source.endpoints, tls, {
      signal,
      timeoutMs: Math.min(source.requestTimeout, timeoutMs),
    });
    log(`${probe.endpoint} answered (health ${probe.health})`);
    const takenAt = now();
    const saved = await saveEtcdSnapshot(
      tools,
      {
        source: source.name,
        endpoint: probe.endpoint,
        tls,
        snapshotDir,
        takenAt,
        dialTimeoutMs: source.requestTimeout,
        tag: deps.tag,
      },
      { signal, deadline, cache },
    );
    log(
      `saved ${basename(saved.file)}: ${saved.sizeBytes} bytes, hash ${saved.status.hash}, revision ${saved.status.revision}, ${saved.status.totalKey} keys`,
    );
    const report: EtcdSnapshotReport = {
      source: source.name,
      endpoint: probe.endpoint,
      snapshot: {
        file: saved.file,
        sha256: saved.sha256,
        sizeBytes: saved.sizeBytes,
        hash: saved.status.hash,
        revision: saved.status.revision,
        totalKeys: saved.status.totalKey,
        takenAt,
      },
      removed: [],
      rejected: [],
    };
    const retention = { count: source.retention.count, maxAgeMs: source.retention.maxAge };
    const retain = async (dir: string, keep: string) => {
      const outcome = await applySnapshotRetention(tools, source.name, dir, retention, {
        signal,
        deadline,
        now: now(),
        protect: [keep],
        cache,
      });
      report.removed.push(...outcome.removed);
      report.rejected.push(...outcome.rejected);
      for (const r of outcome.removed) log(`removed ${r.file}: ${r.why}`);
      for (const r of outcome.rejected) log(`did not verify, not counted: ${r.file}: ${r.why}`);
    };
    if (source.drDir) {
      const copy = await copySnapshotToDr(tools, source.name, saved, source.drDir, {
        useRsync: source.copyWith === "rsync",
        signal,
        deadline,
        log,
        cache,
      });
      report.drCopy = { file: copy.file, method: copy.method };
      log(`copied to ${copy.file} (${copy.method}) and verified`);
    }
    await retain(snapshotDir, saved.file);
    if (report.drCopy && source.drDir) await retain(source.drDir, report.drCopy.file);
    return report;
  } catch (error) {
    if (error instanceof EtcdError) throw error;
    if (signal.aborted)
      throw new EtcdError(
        "timeout",
        { source: source.name, operation: "take a snapshot" },
        timeout.aborted ? `not done within ${timeoutMs} ms` : "stopped: the caller gave up",
        { cause: error },
      );
    const code = (error as NodeJS.ErrnoException).code;
    throw new EtcdError(
      "snapshot_failed",
      { source: source.name, operation: "take a snapshot" },
      code ?? describeError(error),
      { cause: error },
    );
  }
}

import { basename } from "node:path";
import { formatMs } from "../../domain/duration.js";
import { describeError } from "../../domain/errors.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import { listSnapshotFiles } from "./apply-snapshot-retention.js";
import { etcdTools } from "./etcd-tools.js";
import type { EtcdSourceConfig } from "./run-etcd-snapshot-job.js";
import { type VerificationCache, verifyEtcdSnapshot } from "./verify-etcd-snapshot.js";

export interface EtcdRpoDeps {
  commands: CommandRunner;
  now: number;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  cache?: VerificationCache | undefined;
}

/**
 * How much cluster state a failover now would lose: the age of the newest snapshot that verifies.
 * With drDir set, that is the DR copy, because a failover is what happens when the primary site
 * and its local snapshotDir are gone; otherwise snapshotDir. Files that do not verify are skipped
 * and named. Never throws: anything unreadable makes the exposure unknown, with the reason.
 */
export async function readEtcdRpo(source: EtcdSourceConfig, deps: EtcdRpoDeps): Promise<RpoReading> {
  const dir = source.drDir ?? source.snapshotDir;
  const where = source.drDir ? "DR storage" : "the snapshot directory";
  const reading = (exposureMs: number | undefined, detail: string): RpoReading => ({
    source: source.name,
    kind: "etcd",
    exposureMs,
    at: deps.now,
    detail,
  });
  const timeoutMs = deps.timeoutMs ?? 30_000;
  // deps.now is the reading's time (the caller's clock); the deadline is wall time.
  const deadline = Date.now() + timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = deps.signal ? AbortSignal.any([timeout, deps.signal]) : timeout;
  const tools = etcdTools(deps.commands, source.binDir);
  const skipped: string[] = [];
  try {
    // Names carry the UTC time, so the newest sorts last; verify from the newest down.
    const files = (await listSnapshotFiles(dir, source.name)).sort().reverse();
    for (const file of files) {
      const result = await verifyEtcdSnapshot(tools, source.name, file, {
        signal,
        timeoutMs: Math.max(0, deadline - Date.now()),
        cache: deps.cache,
      });
      if (!result.ok) {
        skipped.push(`${basename(file)}: ${result.why}`);
        continue;
      }
      const age = Math.max(0, deps.now - result.takenAt);
      return {
        ...reading(
          age,
          `newest verified snapshot in ${where} ${basename(file)}, ${formatMs(age)} old (revision ${result.status.revision}, ${result.status.totalKey} keys)` +
            (skipped.length > 0 ? `; newer ones did not verify: ${skipped.join("; ")}` : ""),
        ),
        recoveryPointAt: result.takenAt,
      };
    }
    return reading(
      undefined,
      files.length === 0
        ? `no snapshot of ${source.name} in ${where} (${dir})`
        : `no snapshot in ${where} (${dir}) verifies: ${skipped.join("; ")}`,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return reading(undefined, `cannot read ${where} (${dir}): ${code ?? describeError(error)}`);
  }
}

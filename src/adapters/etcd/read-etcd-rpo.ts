import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { formatMs } from "../../domain/duration.js";
import { describeError } from "../../domain/errors.js";
import {
  describeSnapshotFile,
  type EtcdSnapshotFileInfo,
  parseRke2SnapshotName,
  readySnapshots,
} from "../../domain/rke2-snapshots.js";
import type { RpoReading } from "../../domain/rpo.js";
import type { CommandRunner } from "../../ports/command-runner.js";
import { checkSnapshotFile } from "./check-snapshot-file.js";
import { etcdTools } from "./etcd-tools.js";
import type { EtcdSourceConfig } from "./run-etcd-snapshot-job.js";
import { isSnapshotOf } from "./snapshot-manifest.js";
import type { VerificationCache } from "./verify-etcd-snapshot.js";

export interface EtcdRpoDeps {
  commands: CommandRunner;
  now: number;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  cache?: VerificationCache | undefined;
  /** RKE2's ETCDSnapshotFile objects of the source's snapshotFiles site, when it has one. */
  snapshotFiles?: (signal: AbortSignal) => Promise<EtcdSnapshotFileInfo[]>;
}

/**
 * How much cluster state a failover now would lose: the age of the newest snapshot that verifies.
 * With drDir set, that is the DR copy, because a failover is what happens when the primary site
 * and its local snapshotDir are gone; otherwise snapshotDir: drbot's own files, or RKE2's (`naming:
 * rke2`, timed by their names). Files that do not verify are skipped and named. Without etcdutl
 * (drbot's image has none) a file is checked against etcd's embedded SHA-256 alone, and the reading
 * says so. With snapshotFiles, RKE2's list is read too: it says what RKE2 took, and a newer snapshot
 * RKE2 reports ready but drbot cannot find or verify in the directory is named; with no directory,
 * the newest snapshot RKE2 reports ready is the reading, marked as not verified by drbot. Never
 * throws: anything unreadable makes the exposure unknown, with the reason.
 */
export async function readEtcdRpo(source: EtcdSourceConfig, deps: EtcdRpoDeps): Promise<RpoReading> {
  const dir = source.drDir ?? source.snapshotDir;
  const where = source.drDir ? "DR storage" : "the snapshot directory";
  const reading = (exposureMs: number | undefined, detail: string, pointAt?: number): RpoReading => ({
    source: source.name,
    kind: "etcd",
    exposureMs,
    at: deps.now,
    detail,
    ...(pointAt !== undefined ? { recoveryPointAt: pointAt } : {}),
  });
  const timeoutMs = deps.timeoutMs ?? 30_000;
  // deps.now is the reading's time (the caller's clock); the deadline is wall time.
  const deadline = Date.now() + timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = deps.signal ? AbortSignal.any([timeout, deps.signal]) : timeout;
  const listed =
    source.snapshotFiles && deps.snapshotFiles ? listedBy(deps.snapshotFiles, signal) : undefined;
  const rke2 = async () => (listed ? await listed : undefined);
  if (!dir) {
    const objects = await rke2();
    if (!objects || "error" in objects)
      return reading(undefined, objects?.error ?? "no snapshotDir or snapshotFiles");
    const [newest] = readySnapshots(objects);
    if (!newest) return reading(undefined, `RKE2 lists no ready snapshot (${objects.length} listed)`);
    const age = Math.max(0, deps.now - newest.createdAt);
    return reading(
      age,
      `newest snapshot RKE2 reports ready: ${describeSnapshotFile(newest)}, ${formatMs(age)} old, ${newest.sizeBytes} bytes; not verified by drbot (no snapshotDir it can read)`,
      newest.createdAt,
    );
  }
  const tools = etcdTools(deps.commands, source.binDir);
  const skipped: string[] = [];
  const state = { etcdutl: true };
  try {
    for (const file of await snapshotFilesNewestFirst(dir, source)) {
      const name = basename(file);
      if (name.endsWith(".zip")) {
        skipped.push(
          `${name}: compressed; drbot verifies uncompressed snapshots (etcd-snapshot-compress: false)`,
        );
        continue;
      }
      const limits = { signal, timeoutMs: Math.max(0, deadline - Date.now()), cache: deps.cache };
      const checked = await checkSnapshotFile(tools, source.name, file, limits, state);
      if (!checked.ok) {
        skipped.push(`${name}: ${checked.why}`);
        continue;
      }
      const takenAt = parseRke2SnapshotName(name)?.takenAt ?? checked.takenAt;
      const age = Math.max(0, deps.now - takenAt);
      const objects = await rke2();
      return reading(
        age,
        `newest verified snapshot in ${where} ${name}, ${formatMs(age)} old (${checked.facts})` +
          (skipped.length > 0 ? `; newer ones did not verify: ${skipped.join("; ")}` : "") +
          rke2Note(objects, takenAt),
        takenAt,
      );
    }
    const objects = await rke2();
    return reading(
      undefined,
      (skipped.length === 0
        ? `no snapshot of ${source.name} in ${where} (${dir})`
        : `no snapshot in ${where} (${dir}) verifies: ${skipped.join("; ")}`) + rke2Note(objects, 0),
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return reading(undefined, `cannot read ${where} (${dir}): ${code ?? describeError(error)}`);
  }
}

type Listed = EtcdSnapshotFileInfo[] | { error: string };

function listedBy(
  list: (signal: AbortSignal) => Promise<EtcdSnapshotFileInfo[]>,
  signal: AbortSignal,
): Promise<Listed> {
  return list(signal).then(
    (files) => files,
    (error: unknown) => ({
      error: `RKE2's ETCDSnapshotFile list could not be read: ${describeError(error)}`,
    }),
  );
}

/** What RKE2's own list adds to a reading of the directory. */
function rke2Note(objects: Listed | undefined, verifiedAt: number): string {
  if (!objects) return "";
  if ("error" in objects) return `; ${objects.error}`;
  const ready = readySnapshots(objects);
  const failed = objects.filter((o) => o.error !== undefined);
  const parts = [`RKE2 lists ${ready.length} ready snapshot(s)`];
  const newer = ready.filter((o) => o.createdAt > verifiedAt + 60_000);
  if (newer[0]) parts.push(`its newest, ${describeSnapshotFile(newer[0])}, is not here or does not verify`);
  if (failed[0]) parts.push(`${failed.length} failed (${failed[0].snapshotName}: ${failed[0].error})`);
  return `; ${parts.join(", ")}`;
}

/** The source's snapshot files in `dir`, newest first by the time in their names. */
async function snapshotFilesNewestFirst(dir: string, source: EtcdSourceConfig): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const ours = (n: string) => isSnapshotOf(source.name, n);
  const theirs = (n: string) => source.naming === "rke2" && parseRke2SnapshotName(n) !== undefined;
  return names
    .filter((n) => ours(n) || theirs(n))
    .sort((a, b) => timeInName(b) - timeInName(a) || b.localeCompare(a))
    .map((n) => join(dir, n));
}

function timeInName(name: string): number {
  const rke2 = parseRke2SnapshotName(name);
  if (rke2) return rke2.takenAt;
  const stamp = /-(\d{8})-(\d{6})-(\d{3})\.db$/.exec(name);
  if (!stamp) return 0;
  const [d, t, ms] = [stamp[1]!, stamp[2]!, stamp[3]!];
  return Date.UTC(
    +d.slice(0, 4),
    +d.slice(4, 6) - 1,
    +d.slice(6, 8),
    +t.slice(0, 2),
    +t.slice(2, 4),
    +t.slice(4, 6),
    +ms,
  );
}

import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { applyRetention, type RetentionPolicy } from "../../domain/retention.js";
import type { EtcdTools } from "./etcd-tools.js";
import { checksumPath, isSnapshotOf, manifestPath } from "./snapshot-manifest.js";
import { type VerificationCache, type VerifiedSnapshot, verifyEtcdSnapshot } from "./verify-etcd-snapshot.js";

export interface SnapshotInventory {
  /** Newest first. */
  good: VerifiedSnapshot[];
  rejected: { file: string; why: string; modifiedAt: number }[];
}

/** The source's snapshot files in `dir` (etcd-snapshot-<source>-*.db); none when the directory is absent. */
export async function listSnapshotFiles(dir: string, source: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => isSnapshotOf(source, n)).map((n) => join(dir, n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Verifies every snapshot of the source in `dir`; only those that verify are good copies. */
export async function inventorySnapshots(
  tools: EtcdTools,
  source: string,
  dir: string,
  limits: { signal: AbortSignal; deadline: number; cache?: VerificationCache | undefined },
): Promise<SnapshotInventory> {
  const inventory: SnapshotInventory = { good: [], rejected: [] };
  for (const file of await listSnapshotFiles(dir, source)) {
    const result = await verifyEtcdSnapshot(tools, source, file, {
      signal: limits.signal,
      timeoutMs: limits.deadline - Date.now(),
      cache: limits.cache,
    });
    if (result.ok) inventory.good.push(result);
    else {
      const modifiedAt = await stat(file).then(
        (s) => s.mtimeMs,
        // Gone or unreadable since it was listed: the oldest, so retention deals with it first.
        () => 0,
      );
      inventory.rejected.push({ file, why: result.why, modifiedAt });
    }
  }
  inventory.good.sort((a, b) => b.takenAt - a.takenAt);
  return inventory;
}

export interface RetentionOutcome {
  kept: number;
  removed: { file: string; why: string }[];
  rejected: { file: string; why: string }[];
}

/**
 * Keeps the newest `count` good snapshots and none older than `maxAge` (the seed's 10 and 30 days);
 * `protect` (the snapshot just taken) is always kept. Files that do not verify never count towards
 * the `count`: they are reported, and kept as evidence until they pass maxAge.
 */
export async function applySnapshotRetention(
  tools: EtcdTools,
  source: string,
  dir: string,
  policy: RetentionPolicy,
  limits: {
    signal: AbortSignal;
    deadline: number;
    now: number;
    protect: string[];
    cache?: VerificationCache;
  },
): Promise<RetentionOutcome> {
  const inventory = await inventorySnapshots(tools, source, dir, limits);
  const decision = applyRetention(
    inventory.good.map((s) => ({ id: s.file, takenAt: s.takenAt })),
    policy,
    limits.now,
    limits.protect,
  );
  const removed: RetentionOutcome["removed"] = [];
  for (const { copy, why } of decision.remove) {
    await removeSnapshot(copy.id);
    removed.push({ file: copy.id, why });
  }
  for (const bad of inventory.rejected) {
    if (limits.now - bad.modifiedAt > policy.maxAgeMs) {
      await removeSnapshot(bad.file);
      removed.push({ file: bad.file, why: `did not verify (${bad.why}) and is past maxAge` });
    }
  }
  await removeStaleTemporaries(dir, source, limits.now);
  return {
    kept: decision.keep.length,
    removed,
    rejected: inventory.rejected
      .filter((r) => !removed.some((x) => x.file === r.file))
      .map(({ file, why }) => ({ file, why })),
  };
}

async function removeSnapshot(file: string): Promise<void> {
  await Promise.all([file, manifestPath(file), checksumPath(file)].map((f) => rm(f, { force: true })));
}

/** Temporary files a crashed save or copy left behind (.etcd-snapshot-…db.saving, .part, .copying). */
const STALE_AFTER_MS = 86_400_000;
async function removeStaleTemporaries(dir: string, source: string, now: number): Promise<void> {
  const names = await readdir(dir).catch(
    // An unreadable directory has no temporaries to clear; listing its snapshots reports it.
    () => [] as string[],
  );
  for (const name of names) {
    if (!name.startsWith(`.etcd-snapshot-${source}-`)) continue;
    const file = join(dir, name);
    const modified = await stat(file).then(
      (s) => s.mtimeMs,
      // Gone since it was listed (another replica cleared it): nothing to remove.
      () => now,
    );
    if (now - modified > STALE_AFTER_MS) await rm(file, { force: true });
  }
}

import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { describeError } from "../../domain/errors.js";
import { EtcdError } from "./etcd-error.js";
import { type EtcdTools, runTool, toolReason } from "./etcd-tools.js";
import { checksumPath, manifestPath } from "./snapshot-manifest.js";
import { type VerificationCache, type VerifiedSnapshot, verifyEtcdSnapshot } from "./verify-etcd-snapshot.js";

export interface DrCopy {
  file: string;
  method: "rsync" | "copy";
  verified: VerifiedSnapshot;
}

/**
 * Copies a verified snapshot to the DR storage location (a mounted path), then verifies the copy
 * against the same manifest: a copy that does not verify is removed and the step fails. rsync is
 * used when configured and installed (it writes to a temporary name and renames, like the copy);
 * otherwise a streamed copy, flushed to disk before it is renamed into place.
 */
export async function copySnapshotToDr(
  tools: EtcdTools,
  source: string,
  snapshot: VerifiedSnapshot,
  drDir: string,
  options: {
    useRsync: boolean;
    signal: AbortSignal;
    deadline: number;
    log: (line: string) => void;
    cache?: VerificationCache | undefined;
  },
): Promise<DrCopy> {
  const name = basename(snapshot.file);
  const target = join(drDir, name);
  const where = { source, operation: "copy the snapshot to DR storage", at: drDir };
  const remaining = () => options.deadline - Date.now();
  try {
    await mkdir(drDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new EtcdError("copy_failed", where, (error as NodeJS.ErrnoException).code ?? describeError(error));
  }
  let method: DrCopy["method"] = "copy";
  try {
    // The manifest goes first: the copy is then verified against what was recorded at save time.
    await copyFile(manifestPath(snapshot.file), manifestPath(target));
    await copyFile(checksumPath(snapshot.file), checksumPath(target));
    if (options.useRsync && (await rsyncInstalled(tools, options.signal))) {
      method = "rsync";
      const result = await runTool(
        tools,
        tools.rsync,
        ["--times", "--chmod=F600", "--", snapshot.file, target],
        { ...where, operation: "rsync the snapshot to DR storage" },
        { signal: options.signal, timeoutMs: remaining() },
      );
      if (result.exitCode !== 0) throw new EtcdError("copy_failed", where, toolReason(result));
    } else {
      if (options.useRsync) options.log("rsync is not installed here; copying and verifying instead");
      await streamCopy(snapshot.file, target, options.signal);
    }
    const verified = await verifyEtcdSnapshot(tools, source, target, {
      signal: options.signal,
      timeoutMs: remaining(),
      cache: options.cache,
    });
    if (!verified.ok)
      throw new EtcdError("copy_failed", { ...where, operation: "verify the DR copy" }, verified.why);
    return { file: target, method, verified };
  } catch (error) {
    await Promise.all(
      [target, manifestPath(target), checksumPath(target)].map((f) => rm(f, { force: true })),
    );
    if (error instanceof EtcdError) throw error;
    if (options.signal.aborted) throw new EtcdError("timeout", where, "deadline passed while copying");
    throw new EtcdError("copy_failed", where, (error as NodeJS.ErrnoException).code ?? describeError(error), {
      cause: error,
    });
  }
}

async function rsyncInstalled(tools: EtcdTools, signal: AbortSignal): Promise<boolean> {
  try {
    const result = await tools.commands.run(tools.rsync, ["--version"], { timeoutMs: 5_000, signal });
    return result.exitCode === 0;
  } catch {
    // rsync cannot be run here (not installed, not executable): the copy streams the file itself.
    return false;
  }
}

async function streamCopy(from: string, to: string, signal: AbortSignal): Promise<void> {
  const temporary = join(to, "..", `.${basename(to)}.copying`);
  try {
    await pipeline(createReadStream(from), createWriteStream(temporary, { mode: 0o600 }), { signal });
    const handle = await open(temporary, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, to);
  } finally {
    await rm(temporary, { force: true });
  }
}

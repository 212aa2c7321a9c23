import { stat } from "node:fs/promises";
import { describeError } from "../../domain/errors.js";
import { EtcdError } from "./etcd-error.js";
import type { EtcdTools } from "./etcd-tools.js";
import type { FileIntegrity } from "./snapshot-integrity.js";
import { readIntegrityOnce, type VerificationCache, verifyEtcdSnapshot } from "./verify-etcd-snapshot.js";

export type FileCheck =
  | {
      ok: true;
      takenAt: number;
      sizeBytes: number;
      sha256: string;
      status?: { hash: number; revision: number; totalKey: number };
      facts: string;
    }
  | { ok: false; why: string };

/**
 * Checks a snapshot file drbot reads (its own, RKE2's, a Job's): verifyEtcdSnapshot where etcdutl
 * is at hand; where it is not (drbot's image has none), etcd's embedded SHA-256 alone, which still
 * tells a good snapshot from a corrupt or truncated one, and the answer says which was done.
 * `state.etcdutl` turns false at the first missing etcdutl, so later files do not try again.
 */
export async function checkSnapshotFile(
  tools: EtcdTools,
  source: string,
  file: string,
  limits: { signal: AbortSignal; timeoutMs: number; cache?: VerificationCache | undefined },
  state: { etcdutl: boolean },
): Promise<FileCheck> {
  if (state.etcdutl) {
    try {
      const result = await verifyEtcdSnapshot(tools, source, file, limits);
      if (!result.ok) return { ok: false, why: result.why };
      return {
        ok: true,
        takenAt: result.takenAt,
        sizeBytes: result.sizeBytes,
        sha256: result.sha256,
        status: result.status,
        facts: `revision ${result.status.revision}, ${result.status.totalKey} keys`,
      };
    } catch (error) {
      if (!(error instanceof EtcdError && error.failure === "tool_missing")) throw error;
      // No etcdutl here: the embedded hash below is the check, and the answer says so.
      state.etcdutl = false;
    }
  }
  let info: Awaited<ReturnType<typeof stat>>;
  let integrity: FileIntegrity;
  try {
    info = await stat(file);
    integrity = await readIntegrityOnce(file, info, limits.signal, limits.cache);
  } catch (error) {
    if (limits.signal.aborted)
      throw new EtcdError(
        "timeout",
        { source, operation: "verify", at: file },
        "deadline passed while reading",
      );
    // Gone (retention removed it) or unreadable: this file is skipped with why, the next one read.
    return {
      ok: false,
      why: `cannot read it (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`,
    };
  }
  if (integrity.embedded === "absent")
    return {
      ok: false,
      why: "has no etcd integrity hash (not a snapshot, or truncated), so it cannot be verified",
    };
  if (integrity.embedded === "mismatch")
    return { ok: false, why: "corrupt: the database does not match etcd's embedded SHA-256" };
  return {
    ok: true,
    takenAt: Math.round(info.mtimeMs),
    sizeBytes: integrity.sizeBytes,
    sha256: integrity.sha256,
    facts: `${integrity.sizeBytes} bytes, etcd's embedded SHA-256 matches; etcdutl is not available here to read its revision`,
  };
}

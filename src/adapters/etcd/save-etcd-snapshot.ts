import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { EtcdError } from "./etcd-error.js";
import { type EtcdTools, runTool, toolReason } from "./etcd-tools.js";
import type { EtcdTls } from "./probe-etcd-endpoint.js";
import { type SnapshotManifest, snapshotFileName, writeManifest } from "./snapshot-manifest.js";
import {
  rememberVerified,
  type VerificationCache,
  type VerifiedSnapshot,
  verifyEtcdSnapshot,
} from "./verify-etcd-snapshot.js";

export interface SaveRequest {
  source: string;
  endpoint: string;
  tls: EtcdTls;
  snapshotDir: string;
  takenAt: number;
  dialTimeoutMs: number;
  tag?: { runId: string; stepId: string } | undefined;
}

/**
 * `etcdctl snapshot save` from one endpoint (etcd serves a snapshot from a single member) into a
 * hidden temporary name, verified, given its manifest, and only then renamed into place: a
 * snapshot that is listed is one that verified when it was saved.
 */
export async function saveEtcdSnapshot(
  tools: EtcdTools,
  request: SaveRequest,
  limits: { signal: AbortSignal; deadline: number; cache?: VerificationCache | undefined },
): Promise<VerifiedSnapshot> {
  const { source, endpoint } = request;
  await mkdir(request.snapshotDir, { recursive: true, mode: 0o700 });
  const name = snapshotFileName(source, request.takenAt);
  const final = join(request.snapshotDir, name);
  const temporary = join(request.snapshotDir, `.${name}.saving`);
  const remaining = () => limits.deadline - Date.now();
  try {
    // etcdctl's own command timeout ends a second before ours, so it reports its reason first.
    const commandTimeoutMs = Math.max(1_000, remaining() - 1_000);
    const where = { source, operation: "save a snapshot", at: endpoint };
    const result = await runTool(
      tools,
      tools.etcdctl,
      [
        `--endpoints=${endpoint}`,
        ...(request.tls.caFile ? [`--cacert=${request.tls.caFile}`] : []),
        ...(request.tls.certFile ? [`--cert=${request.tls.certFile}`] : []),
        ...(request.tls.keyFile ? [`--key=${request.tls.keyFile}`] : []),
        `--dial-timeout=${Math.max(100, Math.min(request.dialTimeoutMs, commandTimeoutMs))}ms`,
        `--command-timeout=${commandTimeoutMs}ms`,
        "snapshot",
        "save",
        temporary,
      ],
      where,
      { signal: limits.signal, timeoutMs: remaining() },
    );
    if (result.exitCode !== 0) {
      const reason = toolReason(result);
      throw new EtcdError(/deadline exceeded/i.test(reason) ? "timeout" : "snapshot_failed", where, reason);
    }
    const verified = await verifyEtcdSnapshot(tools, source, temporary, {
      signal: limits.signal,
      timeoutMs: remaining(),
    });
    if (!verified.ok)
      throw new EtcdError(
        "verification_failed",
        { source, operation: "verify the snapshot just saved", at: name },
        verified.why,
      );
    const manifest: SnapshotManifest = {
      format: 1,
      source,
      file: name,
      sizeBytes: verified.sizeBytes,
      sha256: verified.sha256,
      hash: verified.status.hash,
      revision: verified.status.revision,
      totalKeys: verified.status.totalKey,
      totalSize: verified.status.totalSize,
      version: verified.status.version,
      takenAt: request.takenAt,
      endpoint,
      ...(request.tag ? { runId: request.tag.runId, stepId: request.tag.stepId } : {}),
    };
    await writeManifest(final, manifest);
    await rename(temporary, final);
    const saved: VerifiedSnapshot = { ...verified, file: final, manifest, takenAt: request.takenAt };
    await rememberVerified(limits.cache, saved);
    return saved;
  } finally {
    await rm(temporary, { force: true });
    await rm(`${temporary}.part`, { force: true });
  }
}

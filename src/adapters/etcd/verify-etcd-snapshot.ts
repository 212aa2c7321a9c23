import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { z } from "zod";
import { describeError } from "../../domain/errors.js";
import { EtcdError } from "./etcd-error.js";
import { type EtcdTools, runTool, toolReason } from "./etcd-tools.js";
import { type FileIntegrity, readIntegrity } from "./snapshot-integrity.js";
import { readManifest, type SnapshotManifest } from "./snapshot-manifest.js";

/** `etcdutl snapshot status -w json`. */
const statusSchema = z.object({
  hash: z.number().int().nonnegative(),
  revision: z.number().int().nonnegative(),
  totalKey: z.number().int().nonnegative(),
  totalSize: z.number().int().nonnegative(),
  version: z.string().default(""),
});
export type SnapshotStatus = z.output<typeof statusSchema>;

export interface VerifiedSnapshot {
  ok: true;
  file: string;
  sizeBytes: number;
  sha256: string;
  status: SnapshotStatus;
  manifest: SnapshotManifest | undefined;
  /** From the manifest, else the file's modification time. */
  takenAt: number;
}
export type Verification = VerifiedSnapshot | { ok: false; file: string; why: string };

export interface VerifyLimits {
  signal: AbortSignal;
  timeoutMs: number;
  /** Status readers verify the same files often. */
  cache?: VerificationCache | undefined;
}

/**
 * Verification results by file identity (path, size, mtime, manifest). Entries expire after
 * `ttlMs`: bit rot on disk changes no mtime, so a file is read again at least that often.
 */
export class VerificationCache {
  private readonly entries = new Map<string, { at: number; value: Verification }>();
  /** The embedded-hash reads alone, which a check without etcdutl is made of, by file identity. */
  private readonly integrity = new Map<string, { at: number; value: FileIntegrity }>();
  constructor(
    private readonly ttlMs = 3_600_000,
    private readonly max = 256,
  ) {}
  get(key: string): Verification | undefined {
    return this.fresh(this.entries, key);
  }
  set(key: string, value: Verification): void {
    this.put(this.entries, key, value);
  }
  integrityOf(key: string): FileIntegrity | undefined {
    return this.fresh(this.integrity, key);
  }
  rememberIntegrity(key: string, value: FileIntegrity): void {
    this.put(this.integrity, key, value);
  }
  private fresh<V>(map: Map<string, { at: number; value: V }>, key: string): V | undefined {
    const entry = map.get(key);
    if (entry && Date.now() - entry.at <= this.ttlMs) return entry.value;
    map.delete(key);
    return undefined;
  }
  private put<V>(map: Map<string, { at: number; value: V }>, key: string, value: V): void {
    if (map.size >= this.max) map.delete(map.keys().next().value!);
    map.set(key, { at: Date.now(), value });
  }
}

/**
 * etcd's embedded SHA-256 of a file, read once per file identity (path, size, mtime) while the
 * cache keeps it: a check that tries etcdutl and then goes on without it does not read the bytes
 * twice, and status readings do not read them at every request.
 */
export async function readIntegrityOnce(
  file: string,
  info: { size: number; mtimeMs: number },
  signal: AbortSignal,
  cache: VerificationCache | undefined,
): Promise<FileIntegrity> {
  const key = cacheKey(file, info, "");
  const known = cache?.integrityOf(key);
  if (known) return known;
  const integrity = await readIntegrity(file, signal);
  cache?.rememberIntegrity(key, integrity);
  return integrity;
}

/**
 * A snapshot counts as good only when every check passes: etcd's embedded SHA-256 matches the
 * database, `etcdutl snapshot status` reads it, and, when drbot wrote a manifest beside it, size,
 * SHA-256, etcd hash and revision are the ones recorded when it was saved. A snapshot without a
 * manifest (saved by hand or by RKE2) is judged by the first two. Throws only for the deadline or a
 * missing tool; a bad file is a result (`ok: false`) with the reason.
 */
export async function verifyEtcdSnapshot(
  tools: EtcdTools,
  source: string,
  file: string,
  limits: VerifyLimits,
): Promise<Verification> {
  const bad = (why: string): Verification => ({ ok: false, file, why });
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (error) {
    return bad(`cannot read it (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`);
  }
  const manifestRead = await readManifest(file);
  const key = cacheKey(file, info, manifestRead && "sha256" in manifestRead ? manifestRead.sha256 : "");
  const cached = limits.cache?.get(key);
  if (cached) return cached;
  const result = await verifyUncached(tools, source, file, info, manifestRead, limits);
  limits.cache?.set(key, result);
  return result;
}

function cacheKey(file: string, info: { size: number; mtimeMs: number }, manifestSha256: string): string {
  return `${file}\0${info.size}\0${info.mtimeMs}\0${manifestSha256}`;
}

/**
 * Records a verification done under another name (the temporary file before its rename), so the
 * same bytes are not read again in the same job. Only for a file whose manifest was just written.
 */
export async function rememberVerified(
  cache: VerificationCache | undefined,
  verified: VerifiedSnapshot,
): Promise<void> {
  if (!cache || !verified.manifest) return;
  const info = await stat(verified.file);
  cache.set(cacheKey(verified.file, info, verified.manifest.sha256), verified);
}

async function verifyUncached(
  tools: EtcdTools,
  source: string,
  file: string,
  info: { size: number; mtimeMs: number },
  manifestRead: Awaited<ReturnType<typeof readManifest>>,
  limits: VerifyLimits,
): Promise<Verification> {
  const bad = (why: string): Verification => ({ ok: false, file, why });
  if (manifestRead && "invalid" in manifestRead) return bad(manifestRead.invalid);
  const manifest = manifestRead;
  if (manifest && manifest.sizeBytes !== info.size)
    return bad(`truncated or altered: ${info.size} bytes, the manifest says ${manifest.sizeBytes}`);
  let integrity: Awaited<ReturnType<typeof readIntegrity>>;
  try {
    integrity = await readIntegrityOnce(file, info, limits.signal, limits.cache);
  } catch (error) {
    if (limits.signal.aborted)
      throw new EtcdError(
        "timeout",
        { source, operation: "verify", at: file },
        "deadline passed while reading",
      );
    return bad(`cannot read it (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`);
  }
  if (integrity.embedded === "absent")
    return bad(
      info.size % 512 === 0
        ? "has no etcd integrity hash (a raw database file, not a snapshot), so it cannot be verified"
        : `truncated: ${info.size} bytes is not whole pages plus etcd's 32-byte hash`,
    );
  if (integrity.embedded === "mismatch")
    return bad("corrupt: the database does not match etcd's embedded SHA-256");
  if (manifest && manifest.sha256 !== integrity.sha256)
    return bad("altered: its SHA-256 differs from the manifest's");
  const where = { source, operation: "read snapshot status", at: basename(file) };
  const run = await runTool(
    tools,
    tools.etcdutl,
    ["snapshot", "status", file, "--write-out=json"],
    where,
    limits,
  );
  if (run.exitCode !== 0) return bad(`etcdutl cannot read it: ${toolReason(run)}`);
  let status: SnapshotStatus;
  try {
    status = statusSchema.parse(JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("{")) ?? ""));
  } catch {
    // No JSON status line, or not the shape etcdutl prints: either way the snapshot is unproven.
    return bad("etcdutl printed no snapshot status");
  }
  if (manifest && (manifest.hash !== status.hash || manifest.revision !== status.revision))
    return bad(
      `altered: hash ${status.hash} revision ${status.revision}, the manifest says hash ${manifest.hash} revision ${manifest.revision}`,
    );
  return {
    ok: true,
    file,
    sizeBytes: integrity.sizeBytes,
    sha256: integrity.sha256,
    status,
    manifest,
    takenAt: manifest?.takenAt ?? Math.round(info.mtimeMs),
  };
}

/**
 * What the etcd.snapshot step needs: take a snapshot of a configured etcd source (save, verify,
 * copy to DR storage, retention), and find out whether a run's step already left a good one.
 * The adapter (src/adapters/etcd) throws DrError with the source, endpoint and operation for
 * failures; a snapshot that does not verify is a failure, never a result.
 */
export interface EtcdSnapshots {
  take(source: string, options: EtcdSnapshotOptions): Promise<EtcdSnapshotReport>;
  /** A verified snapshot (and DR copy, when drDir is set) tagged with this run and step, if any. */
  findTagged(source: string, tag: SnapshotTag, signal: AbortSignal): Promise<TaggedSnapshot>;
}

export interface SnapshotTag {
  runId: string;
  stepId: string;
}

export interface EtcdSnapshotOptions {
  signal: AbortSignal;
  /** The whole job's time budget; etcdctl's own timeouts are set from it (default 10 minutes). */
  timeoutMs?: number;
  tag?: SnapshotTag;
  log?: (line: string) => void;
}

export interface SnapshotFacts {
  file: string;
  sha256: string;
  sizeBytes: number;
  /** etcdutl snapshot status: the KV hash, revision and keys of the saved database (when it was read). */
  hash?: number;
  revision?: number;
  totalKeys?: number;
  takenAt: number;
}

export interface EtcdSnapshotReport {
  source: string;
  /** Where it was taken from: an endpoint, or the Job on an etcd node that saved it. */
  endpoint: string;
  snapshot: SnapshotFacts;
  drCopy?: { file: string; method: "rsync" | "copy" };
  /** Where a Job on the etcd nodes wrote it, straight to DR storage (no copy step). */
  savedTo?: string;
  removed: { file: string; why: string }[];
  /** Files that did not verify (corrupt, truncated, altered); never counted as good copies. */
  rejected: { file: string; why: string }[];
}

export type TaggedSnapshot =
  | { found: true; snapshot: SnapshotFacts; evidence: string }
  | { found: false; evidence: string };

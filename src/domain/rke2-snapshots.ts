/**
 * RKE2's and k3s's etcd snapshots as drbot reads them, pure. Files are named
 * `<base>-<node>-<unix seconds>` (`etcd-snapshot-…` when scheduled, `on-demand-…` when saved by
 * hand), with `.zip` when compressed. RKE2 also lists every snapshot as an ETCDSnapshotFile object
 * (k3s.cattle.io/v1, cluster-scoped): spec.snapshotName, nodeName, location (file:// or s3://),
 * status.creationTime, readyToUse, size and error.
 */
export interface Rke2SnapshotName {
  takenAt: number;
  compressed: boolean;
}

/** The time in an RKE2 snapshot file's name; undefined for a file that is not one. */
export function parseRke2SnapshotName(name: string): Rke2SnapshotName | undefined {
  const match = /^[a-z0-9][a-z0-9._-]*-(\d{9,11})(\.zip)?$/.exec(name);
  if (!match) return undefined;
  return { takenAt: Number(match[1]) * 1000, compressed: match[2] !== undefined };
}

export interface EtcdSnapshotFileInfo {
  /** The object's name (local-…, s3-…). */
  name: string;
  snapshotName: string;
  nodeName: string;
  location: string;
  createdAt: number | undefined;
  readyToUse: boolean | undefined;
  sizeBytes: number | undefined;
  error: string | undefined;
}

/** A snapshot RKE2 reports as good: ready, not failed, not empty, with its time. */
export function isReady(file: EtcdSnapshotFileInfo): file is EtcdSnapshotFileInfo & { createdAt: number } {
  return (
    file.readyToUse === true &&
    file.error === undefined &&
    (file.sizeBytes ?? 0) > 0 &&
    file.createdAt !== undefined
  );
}

/** Ready snapshots, newest first; each snapshot once (RKE2 lists a local copy and an S3 copy apart). */
export function readySnapshots(
  files: readonly EtcdSnapshotFileInfo[],
): (EtcdSnapshotFileInfo & { createdAt: number })[] {
  const ready = files
    .filter(isReady)
    .sort((a, b) => b.createdAt - a.createdAt || a.name.localeCompare(b.name));
  const seen = new Set<string>();
  return ready.filter((f) => {
    if (seen.has(f.snapshotName)) return false;
    seen.add(f.snapshotName);
    return true;
  });
}

export function describeSnapshotFile(file: EtcdSnapshotFileInfo): string {
  return `${file.snapshotName} on ${file.nodeName || "?"} (${file.location})`;
}

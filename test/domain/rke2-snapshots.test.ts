import { describe, expect, it } from "vitest";
import {
  type EtcdSnapshotFileInfo,
  parseRke2SnapshotName,
  readySnapshots,
} from "../../src/domain/rke2-snapshots.js";

const file = (over: Partial<EtcdSnapshotFileInfo>): EtcdSnapshotFileInfo => ({
  name: "local-etcd-snapshot-server-0-1764820800",
  snapshotName: "etcd-snapshot-server-0-1764820800",
  nodeName: "server-0",
  location: "file:///var/lib/rancher/rke2/server/db/snapshots/etcd-snapshot-server-0-1764820800",
  createdAt: 1_764_820_800_000,
  readyToUse: true,
  sizeBytes: 5_000_000,
  error: undefined,
  ...over,
});

describe("RKE2 snapshot names", () => {
  it("read the time from a scheduled or on-demand snapshot's name, compressed or not", () => {
    expect(parseRke2SnapshotName("etcd-snapshot-server-0-1764820800")).toEqual({
      takenAt: 1_764_820_800_000,
      compressed: false,
    });
    expect(parseRke2SnapshotName("on-demand-server-0-1764820800.zip")).toEqual({
      takenAt: 1_764_820_800_000,
      compressed: true,
    });
  });

  it("are not drbot's own snapshot files or anything else in the directory", () => {
    expect(parseRke2SnapshotName("etcd-snapshot-etcd-dc1-20261125-060000-000.db")).toBeUndefined();
    expect(
      parseRke2SnapshotName("etcd-snapshot-etcd-dc1-20261125-060000-000.db.manifest.json"),
    ).toBeUndefined();
    expect(parseRke2SnapshotName("lost+found")).toBeUndefined();
  });
});

describe("the snapshots RKE2 reports ready", () => {
  it("are newest first, each snapshot once though RKE2 lists its local and S3 copies apart", () => {
    const older = file({ name: "local-a", snapshotName: "a", createdAt: 1_000 });
    const newer = file({ name: "local-b", snapshotName: "b", createdAt: 2_000 });
    const newerS3 = file({ name: "s3-b", snapshotName: "b", createdAt: 2_000, location: "s3://bucket/b" });
    expect(readySnapshots([older, newerS3, newer]).map((f) => f.name)).toEqual(["local-b", "local-a"]);
  });

  it("leave out a snapshot not ready yet, failed, empty, or with no creation time", () => {
    const files = [
      file({ name: "not-ready", readyToUse: false }),
      file({ name: "unknown-readiness", readyToUse: undefined }),
      file({ name: "failed", error: "context deadline exceeded" }),
      file({ name: "empty", sizeBytes: 0 }),
      file({ name: "no-time", createdAt: undefined }),
    ];
    expect(readySnapshots(files)).toEqual([]);
  });
});

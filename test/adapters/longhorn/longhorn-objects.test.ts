import { describe, expect, it } from "vitest";
import {
  backupJobsFor,
  backupTargetObject,
  parseObject,
  parseTime,
  recurringJobObject,
  toBackupTarget,
  toVolume,
  volumeObject,
} from "../../../src/adapters/longhorn/longhorn-objects.js";

const job = (name: string, task: string, groups: string[]) =>
  parseObject(
    recurringJobObject,
    { metadata: { name }, spec: { name, task, cron: "0 * * * *", groups } },
    "job",
  );

const jobs = [
  job("backup-hourly", "backup", ["default"]),
  job("backup-critical", "backup", ["critical"]),
  job("backup-own", "backup-force-create", []),
  job("snapshot-5m", "snapshot", ["default", "critical"]),
];

describe("recurring backup jobs of a volume", () => {
  it("are the default group's backup jobs when the volume has no recurring-job labels", () => {
    expect(backupJobsFor({}, jobs).map((j) => j.name)).toEqual(["backup-hourly"]);
  });

  it("follow the volume's group and job labels, and then the default group no longer applies", () => {
    const labels = {
      "recurring-job-group.longhorn.io/critical": "enabled",
      "recurring-job.longhorn.io/backup-own": "enabled",
    };
    expect(backupJobsFor(labels, jobs).map((j) => j.name)).toEqual(["backup-critical", "backup-own"]);
  });
});

describe("a Volume object", () => {
  it("of a DR volume follows the backup volume named by its label", () => {
    const v = toVolume(
      parseObject(
        volumeObject,
        {
          metadata: {
            name: "orders-dr",
            namespace: "longhorn-system",
            labels: { "backup-volume": "orders" },
          },
          spec: { Standby: true },
          status: { isStandby: true, restoreRequired: true, lastBackupAt: "2026-11-25T08:00:00Z" },
        },
        "volume",
      ),
    );
    expect(v).toMatchObject({
      backupVolume: "orders",
      backupTargetName: "default",
      lastBackupAt: Date.parse("2026-11-25T08:00:00Z"),
    });
  });

  it("that Longhorn has not reconciled yet reads as unknown state and robustness, not as an error", () => {
    const v = toVolume(parseObject(volumeObject, { metadata: { name: "fresh" } }, "volume"));
    expect(v).toMatchObject({
      specStandby: false,
      isStandby: false,
      state: "",
      robustness: "",
      backupVolume: "fresh",
    });
  });
});

describe("Longhorn's timestamps", () => {
  it("read as no time at all when empty or unreadable", () => {
    expect(parseTime("")).toBeUndefined();
    expect(parseTime("yesterday")).toBeUndefined();
    expect(parseTime("2026-11-25T08:00:00Z")).toBe(Date.parse("2026-11-25T08:00:00Z"));
  });
});

describe("a BackupTarget object", () => {
  it("says why it is unavailable without repeating credentials from the URL it quotes", () => {
    const target = toBackupTarget(
      parseObject(
        backupTargetObject,
        {
          metadata: { name: "default" },
          status: {
            available: false,
            conditions: [
              { type: "Unavailable", message: "cannot reach s3://backup:hunter22@minio.dc2:9000/longhorn" },
            ],
          },
        },
        "backup target",
      ),
    );
    expect(target).toMatchObject({ name: "default", available: false });
    expect(target.message).toContain("cannot reach s3://backup:[redacted]");
    expect(target.message).not.toContain("hunter22");
  });
});

import { describe, expect, it } from "vitest";
import {
  isActiveAndHealthy,
  preflightProblems,
  volumePhase,
} from "../../../src/engine/step-kinds/longhorn-readiness.js";
import type { LonghornVolume, VolumeBackupStatus } from "../../../src/ports/longhorn.js";

const standby: LonghornVolume = {
  name: "portal-data",
  namespace: "longhorn-system",
  specStandby: true,
  isStandby: true,
  restoreRequired: true,
  restoreInitiated: true,
  state: "attached",
  robustness: "healthy",
  frontend: "",
  dataEngine: "v1",
  size: "10737418240",
  numberOfReplicas: 3,
  fromBackup: "s3://bucket@us-west-2/?backup=b1&volume=portal-data",
  backupTargetName: "default",
  backupVolume: "portal-data",
  lastBackup: "b1",
  lastBackupAt: 1_000,
  conditions: [],
  resourceVersion: "7",
};

const backups: VolumeBackupStatus = {
  volume: "portal-data",
  backupVolume: "portal-data",
  volumeFound: true,
  newest: { name: "b1", at: 1_000 },
  completed: 1,
  failed: 0,
  inProgress: 0,
  recurringJobs: [],
  target: { name: "default", available: true, message: undefined },
};

const strict = { allowDegraded: false };

describe("a Longhorn volume's way from standby to active", () => {
  it("is standby while both spec.Standby and status.isStandby are set", () => {
    expect(volumePhase(standby)).toBe("standby");
  });

  it("is activating once spec.Standby is false until Longhorn clears isStandby and restoreRequired", () => {
    expect(volumePhase({ ...standby, specStandby: false })).toBe("activating");
    expect(volumePhase({ ...standby, specStandby: false, isStandby: false })).toBe("activating");
    expect(volumePhase({ ...standby, specStandby: false, isStandby: false, restoreRequired: false })).toBe(
      "active",
    );
  });

  it("is not ready while Longhorn has not started restoring a volume asked to be standby", () => {
    expect(volumePhase({ ...standby, isStandby: false, restoreRequired: false })).toBe("not_ready");
  });

  it("counts as active and healthy only when healthy, or degraded when that is allowed", () => {
    const active = { ...standby, specStandby: false, isStandby: false, restoreRequired: false };
    expect(isActiveAndHealthy(active, strict)).toBe(true);
    expect(isActiveAndHealthy({ ...active, robustness: "degraded" }, strict)).toBe(false);
    expect(isActiveAndHealthy({ ...active, robustness: "degraded" }, { allowDegraded: true })).toBe(true);
    expect(isActiveAndHealthy({ ...active, robustness: "faulted" }, { allowDegraded: true })).toBe(false);
  });
});

describe("the preflight of a standby volume", () => {
  it("passes a healthy standby volume with a backup and a reachable backup target", () => {
    expect(preflightProblems(standby, backups, strict)).toEqual([]);
  });

  it("fails without any backup, saying how many backups failed", () => {
    const none = { ...backups, newest: undefined, completed: 0, failed: 2 };
    expect(preflightProblems({ ...standby, lastBackup: undefined }, none, strict)).toEqual([
      "has no backup to restore from (backup volume portal-data: 0 completed, 2 failed)",
    ]);
  });

  it("fails a faulted or detached standby volume", () => {
    expect(
      preflightProblems({ ...standby, state: "detached", robustness: "faulted" }, backups, strict),
    ).toEqual(["is not healthy (state detached, robustness faulted)"]);
  });

  it("fails when the restore failed, quoting Longhorn's message", () => {
    const failed = {
      ...standby,
      conditions: [
        { type: "Restore", status: "False", reason: "RestoreFailure", message: "checksum mismatch" },
      ],
    };
    expect(preflightProblems(failed, backups, strict)).toEqual(["restore failed: checksum mismatch"]);
  });

  it("fails when the backup target is unavailable, since Longhorn could not fetch the newest backup", () => {
    const target = { name: "default", available: false, message: "s3: access denied" };
    expect(preflightProblems(standby, { ...backups, target }, strict)).toEqual([
      "backup target default is unavailable (s3: access denied): Longhorn cannot fetch the newest backup",
    ]);
  });

  it("fails a volume Longhorn has not made a DR volume yet", () => {
    expect(
      preflightProblems({ ...standby, isStandby: false, restoreRequired: false }, backups, strict),
    ).toEqual(["is asked to be standby but Longhorn has not started restoring it (status.isStandby false)"]);
  });
});

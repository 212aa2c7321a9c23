import { describe, expect, it } from "vitest";
import {
  chooseRestorePoint,
  coversNamespaces,
  newestGoodBySchedule,
} from "../../src/domain/restore-point.js";
import type { BackupInfo, RestoreInfo } from "../../src/domain/velero.js";
import { restoreVerdict } from "../../src/domain/velero-phases.js";

const now = Date.parse("2026-11-25T10:00:00Z");
const HOUR = 3_600_000;

function backup(name: string, over: Partial<BackupInfo> = {}): BackupInfo {
  return {
    name,
    schedule: "daily",
    phase: "Completed",
    includedNamespaces: ["production"],
    excludedNamespaces: [],
    createdAt: now - HOUR,
    startedAt: now - HOUR,
    expiresAt: now + HOUR,
    warnings: 0,
    errors: 0,
    validationErrors: [],
    labels: {},
    ...over,
  };
}

function restore(phase: RestoreInfo["phase"], over: Partial<RestoreInfo> = {}): RestoreInfo {
  return {
    name: "r1",
    backupName: "daily-1",
    phase,
    includedNamespaces: [],
    namespaceMapping: {},
    createdAt: now,
    warnings: 0,
    errors: 0,
    validationErrors: [],
    labels: {},
    ...over,
  };
}

describe("choosing a restore point", () => {
  it("takes the newest Completed, unexpired backup that holds the namespaces", () => {
    const backups = [
      backup("old", { startedAt: now - 5 * HOUR }),
      backup("good", { startedAt: now - 3 * HOUR }),
      backup("partial", { startedAt: now - 2 * HOUR, phase: "PartiallyFailed" }),
      backup("expired", { startedAt: now - HOUR, expiresAt: now - 1 }),
      backup("elsewhere", { startedAt: now - HOUR / 2, includedNamespaces: ["billing"] }),
    ];
    const point = chooseRestorePoint(backups, { backup: "newest", namespaces: ["production"], now });
    expect(point).toMatchObject({ ok: true, backup: { name: "good" } });
  });

  it("treats an empty or '*' namespace list as every namespace, minus the excluded ones", () => {
    expect(coversNamespaces(backup("a", { includedNamespaces: [] }), ["production"])).toBe(true);
    expect(coversNamespaces(backup("a", { includedNamespaces: ["*"] }), ["staging"])).toBe(true);
    expect(
      coversNamespaces(backup("a", { includedNamespaces: ["*"], excludedNamespaces: ["staging"] }), [
        "staging",
      ]),
    ).toBe(false);
  });

  it("says why there is none: no backup, or the newest expired", () => {
    expect(chooseRestorePoint([], { backup: "newest", schedule: "daily", namespaces: [], now })).toEqual({
      ok: false,
      evidence: "there is no backup of schedule daily at all",
    });
    const expired = chooseRestorePoint([backup("d1", { expiresAt: now - 2 * HOUR })], {
      backup: "newest",
      namespaces: [],
      now,
    });
    expect(expired).toEqual({
      ok: false,
      evidence:
        "no good backup holds all namespaces: 1 backup(s), the newest, d1, expired at 2026-11-25T08:00:00Z (2h ago); its data may already be deleted",
    });
  });

  it("honours a chosen backup even when newer good ones exist", () => {
    const backups = [backup("older", { startedAt: now - 9 * HOUR }), backup("newer")];
    expect(chooseRestorePoint(backups, { backup: "older", namespaces: ["production"], now })).toMatchObject({
      ok: true,
      backup: { name: "older" },
    });
  });

  it("keeps the newest good backup of each schedule apart", () => {
    const newest = newestGoodBySchedule(
      [
        backup("d1"),
        backup("w1", { schedule: "weekly", startedAt: now - 50 * HOUR }),
        backup("manual", { schedule: undefined }),
      ],
      now,
    );
    expect([...newest].map(([s, b]) => `${s}:${b.name}`)).toEqual(["daily:d1", "weekly:w1"]);
  });
});

describe("restore phases", () => {
  it("count only Completed as success", () => {
    expect(restoreVerdict(restore("Completed", { warnings: 1 }))).toMatchObject({ state: "succeeded" });
    for (const phase of ["PartiallyFailed", "Failed", "FailedValidation"] as const)
      expect(restoreVerdict(restore(phase)).state).toBe("failed");
  });

  it("count every phase on the way, PartiallyFailed variants included, as still running", () => {
    for (const phase of [
      "",
      "New",
      "InProgress",
      "WaitingForPluginOperations",
      "WaitingForPluginOperationsPartiallyFailed",
      "Finalizing",
      "FinalizingPartiallyFailed",
    ] as const)
      expect(restoreVerdict(restore(phase)).state).toBe("running");
  });
});

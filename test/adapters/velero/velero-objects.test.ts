import { describe, expect, it } from "vitest";
import { backupInfo, goDuration, restoreInfo } from "../../../src/adapters/velero/velero-objects.js";

describe("Velero objects as drbot reads them", () => {
  it("writes a TTL as the Go duration Velero expects", () => {
    expect(goDuration(30 * 86_400_000)).toBe("720h0m0s");
    expect(goDuration(90 * 60_000 + 5_000)).toBe("1h30m5s");
  });

  it("reads a Backup Velero has not looked at yet without inventing a phase or times", () => {
    const backup = backupInfo({
      metadata: { name: "b1", creationTimestamp: "2026-11-25T09:00:00Z" },
      spec: {},
    });
    expect(backup).toEqual({
      name: "b1",
      phase: "",
      includedNamespaces: [],
      excludedNamespaces: [],
      createdAt: Date.parse("2026-11-25T09:00:00Z"),
      warnings: 0,
      errors: 0,
      validationErrors: [],
      labels: {},
    });
  });

  it("reads a Restore's phase, counts, reasons and progress", () => {
    const restore = restoreInfo({
      metadata: { name: "r1", labels: { "drbot.io/run-id": "failover-1" } },
      spec: { backupName: "daily-1", includedNamespaces: ["production"] },
      status: {
        phase: "PartiallyFailed",
        warnings: 3,
        errors: 2,
        failureReason: "",
        startTimestamp: "2026-11-25T09:00:00Z",
        completionTimestamp: "2026-11-25T09:05:00Z",
        progress: { itemsRestored: 40, totalItems: 42 },
      },
    });
    expect(restore).toMatchObject({
      backupName: "daily-1",
      phase: "PartiallyFailed",
      warnings: 3,
      errors: 2,
      itemsRestored: 40,
      totalItems: 42,
      completedAt: Date.parse("2026-11-25T09:05:00Z"),
    });
    expect(restore.failureReason).toBeUndefined();
  });
});

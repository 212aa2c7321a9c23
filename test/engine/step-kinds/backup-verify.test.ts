import { describe, expect, it } from "vitest";
import { lastOccurrence } from "../../../src/domain/cadence.js";
import { formatMs } from "../../../src/domain/duration.js";
import type { RpoReading } from "../../../src/domain/rpo.js";
import { backupVerifyStep } from "../../../src/engine/step-kinds/backup-verify.js";
import { createStepKindRegistry } from "../../../src/engine/step-kinds/registry.js";
import { testConfig } from "../../support/config-fixture.js";
import { stepContext } from "../../support/step-context.js";

const config = testConfig();
const MIN = 60_000;

function verify(readings: RpoReading[], sources: string[] = []) {
  const lines: string[] = [];
  const ctx = stepContext(config, { services: { backups: { readRpo: async () => readings } }, lines });
  return { lines, result: backupVerifyStep.execute(ctx, backupVerifyStep.params.parse({ sources })) };
}

const reading = (
  source: string,
  kind: RpoReading["kind"],
  exposureMs: number | undefined,
  detail = "ok",
) => ({
  source,
  kind,
  exposureMs,
  at: 0,
  detail,
});

describe("backup.verify", () => {
  it("passes when every source has a verified recovery point within the strictest RPO it protects", async () => {
    const { result, lines } = verify([
      reading("pg", "postgres", 2_000),
      reading("velero", "velero", 3 * 60 * MIN),
    ]);
    expect(await result).toEqual({ status: "succeeded", output: "2/2 sources fresh and verified" });
    expect(lines).toEqual([
      "✓ postgres pg: 2s old (limit 15m): lag 2s, within 30s: ok",
      "✓ velero velero: 3h old (limit 4h): 3h old; no cadence is declared, so drbot cannot tell late from on time: ok",
    ]);
  });

  it("fails, naming each stale, unreadable or silent source, and keeps the verdict of every source", async () => {
    const { result, lines } = verify([
      reading("pg", "postgres", 20 * MIN, "replication lag"),
      reading("velero", "velero", undefined, "Velero is not installed on dc1"),
    ]);
    expect(await result).toEqual({
      status: "failed",
      error: "0/2 sources fresh and verified; failing: pg, velero",
      output: "0/2 sources fresh and verified",
    });
    expect(lines).toEqual([
      "✗ postgres pg: lag 20m is over its 30s threshold (replication lag)",
      "✗ velero velero: unknown: Velero is not installed on dc1",
    ]);
    const silent = verify([reading("pg", "postgres", 1_000)]);
    expect(await silent.result).toMatchObject({
      status: "failed",
      error: expect.stringContaining("failing: velero"),
    });
    expect(silent.lines).toContain("✗ velero velero: no reading (no answer in time)");
  });

  it("judges a configuration backup by its own cadence: last night's daily backup passes, a missing one fails", async () => {
    const daily = testConfig({
      dataSources: [
        ...config.dataSources.filter((d) => d.name !== "velero"),
        { name: "velero", kind: "velero", site: "dc1", schedule: "daily", cadence: "0 2 * * *" },
      ],
    });
    const due = lastOccurrence("0 2 * * *", Date.now() - 30 * MIN)!;
    const run = (pointAt: number) => {
      const lines: string[] = [];
      const readings = [
        reading("pg", "postgres", 1_000),
        { ...reading("velero", "velero", Date.now() - pointAt), recoveryPointAt: pointAt },
      ];
      const ctx = stepContext(daily, { services: { backups: { readRpo: async () => readings } }, lines });
      return { lines, result: backupVerifyStep.execute(ctx, backupVerifyStep.params.parse({ sources: [] })) };
    };
    // Up to a day old, and beyond tier3's 4h RPO: Kubernetes objects are judged by their schedule.
    const onTime = run(due + 2 * MIN);
    expect(await onTime.result).toMatchObject({ status: "succeeded" });
    expect(onTime.lines[1]).toMatch(
      /^✓ velero velero: .* old \(limit 1d 30m\): .* on schedule \(on "0 2 \* \* \*" UTC/,
    );
    const missed = run(due - 86_400_000 + 2 * MIN);
    expect(await missed.result).toMatchObject({
      status: "failed",
      error: expect.stringContaining("failing: velero"),
    });
    expect(missed.lines[1]).toContain(
      `✗ velero velero: late: newest recovery point ${formatMs(Date.now() - (due - 86_400_000 + 2 * MIN)).split(" ")[0]}`,
    );
    expect(missed.lines[1]).toContain(`the one due at ${new Date(due).toISOString().slice(0, 16)}Z`);
  });

  it("verifies only the listed sources, and refuses a name that is not configured", async () => {
    expect(await verify([reading("pg", "postgres", 1_000)], ["pg"]).result).toMatchObject({
      status: "succeeded",
    });
    expect(await verify([], ["nope"]).result).toEqual({
      status: "failed",
      error: "no data source named nope in the configuration",
    });
  });

  it("is the registered kind, and says so when a process has no readers", async () => {
    expect(createStepKindRegistry().get("backup.verify")).toBe(backupVerifyStep);
    const ctx = stepContext(config);
    expect(await backupVerifyStep.execute(ctx, backupVerifyStep.params.parse({}))).toMatchObject({
      status: "failed",
      error: "no backup readers are configured in this drbot process",
    });
  });
});

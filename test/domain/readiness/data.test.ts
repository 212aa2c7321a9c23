import { describe, expect, it } from "vitest";
import { judgeData } from "../../../src/domain/readiness/data.js";
import type { RpoReading } from "../../../src/domain/rpo.js";
import { testConfig } from "../../support/config-fixture.js";

const now = Date.UTC(2026, 11, 4, 3, 0);
const config = testConfig({
  dataSources: [
    {
      name: "pg",
      kind: "postgres",
      primary: { host: "127.0.0.1", user: "drbot" },
      replica: { host: "127.0.0.1", user: "drbot" },
    },
    { name: "velero", kind: "velero", site: "dc2", schedule: "daily", cadence: "0 2 * * *" },
  ],
});
const reading = (
  source: string,
  kind: RpoReading["kind"],
  exposureMs: number | undefined,
  detail = "read",
): RpoReading => ({
  source,
  kind,
  exposureMs,
  at: now,
  detail,
});

const judge = (readings: RpoReading[], sources = config.dataSources, standby = "dc2") =>
  judgeData({ application: "payments", sources, readings: { value: readings }, standby, now });

describe("data protecting the application", () => {
  it("is ready when every source is within its designed cadence and read on the standby", () => {
    const finding = judge([reading("pg", "postgres", 2_000), reading("velero", "velero", 3_600_000)]);
    expect(finding).toMatchObject({
      verdict: "ready",
      summary: "2 data sources on schedule, readable from dc2",
    });
  });

  it("replication lag over its threshold or a late backup is degraded, in the RPO's own words", () => {
    const finding = judge([reading("pg", "postgres", 45_000), reading("velero", "velero", 3_600_000)]);
    expect(finding.verdict).toBe("degraded");
    expect(finding.summary).toBe("pg (postgres): lag 45s is over its 30s threshold");
    const late = judge([reading("pg", "postgres", 1_000), reading("velero", "velero", 2 * 86_400_000)]);
    expect(late.summary).toMatch(/^velero \(velero\): late: newest recovery point 2d old/);
  });

  it("a source that gave no reading is unknown with the reading's reason", () => {
    const finding = judge([
      reading("pg", "postgres", undefined, "no answer within 5000 ms"),
      reading("velero", "velero", 1),
    ]);
    expect(finding).toMatchObject({
      verdict: "unknown",
      summary: "pg (postgres): unknown: no answer within 5000 ms",
    });
  });

  it("a backup read on another site than the standby is degraded: the standby's view was not looked at", () => {
    const finding = judge(
      [reading("pg", "postgres", 1), reading("velero", "velero", 3_600_000)],
      config.dataSources,
      "dc1",
    );
    expect(finding.verdict).toBe("degraded");
    expect(finding.evidence[1]).toMatch(/read on dc2, not on dc1 where a failover restores$/);
  });

  it("is unknown when the readings could not be taken at all, and ready with nothing to protect", () => {
    expect(
      judgeData({
        application: "payments",
        sources: config.dataSources,
        readings: { error: "deadline" },
        standby: "dc2",
        now,
      }).verdict,
    ).toBe("unknown");
    expect(judge([], []).summary).toBe(
      "no data source protects payments: nothing to lose, nothing to restore",
    );
  });
});

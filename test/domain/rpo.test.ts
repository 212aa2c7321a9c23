import { describe, expect, it } from "vitest";
import { describeRpoRisk } from "../../src/domain/approval.js";
import { lastOccurrence, longestGap, parseCadence } from "../../src/domain/cadence.js";
import { type RpoReading, rpoRiskOf, runExposure, tierProblem, tierRpo } from "../../src/domain/rpo.js";
import { checkRpoDesign, cronFor } from "../../src/domain/rpo-design-check.js";
import { tierHeadline } from "../../src/domain/rpo-text.js";
import { testConfig } from "../support/config-fixture.js";

/**
 * RPO by design and by observation. The time is fixed: Monday 30 November 2026, 13:07 UTC, so
 * last night's 02:00 backup is 11 hours old, the 12:00 etcd snapshot an hour old.
 */
const NOW = Date.UTC(2026, 10, 30, 13, 7);
const MIN = 60_000;
const HOUR = 3_600_000;

const RAW = {
  tiers: [
    { name: "tier1", rto: "2h", rpo: "15m" },
    { name: "tier3", rto: "8h", rpo: "4h" },
  ],
  applications: [
    { name: "payments", tier: "tier1", namespaces: ["production"], dataSources: ["pg", "velero", "etcd"] },
    { name: "analytics", tier: "tier3", namespaces: ["analytics"], dataSources: ["volumes", "velero"] },
  ],
  dataSources: [
    {
      name: "pg",
      kind: "postgres",
      primary: { host: "127.0.0.1", user: "drbot" },
      replica: { host: "127.0.0.1", user: "drbot" },
    },
    { name: "velero", kind: "velero", site: "dc2", schedule: "daily", cadence: "0 2 * * *" },
    {
      name: "etcd",
      kind: "etcd",
      endpoints: ["https://127.0.0.1:2379"],
      snapshotDir: "/backup/etcd",
      cadence: "0 */6 * * *",
    },
    { name: "volumes", kind: "longhorn", site: "dc2", volumes: ["analytics-data"], cadence: "0 */2 * * *" },
  ] as Record<string, unknown>[],
};
const config = testConfig(RAW);
/** The configuration with one data source changed, as written in the file. */
const withSource = (name: string, change: Record<string, unknown>) =>
  testConfig({
    ...RAW,
    dataSources: RAW.dataSources.map((d) => (d.name === name ? { ...d, ...change } : d)),
  });

const at = (source: string, kind: RpoReading["kind"], pointAt: number): RpoReading => ({
  source,
  kind,
  exposureMs: NOW - pointAt,
  recoveryPointAt: pointAt,
  at: NOW,
  detail: `${source} reading`,
});
const lag = (ms: number | undefined): RpoReading => ({
  source: "pg",
  kind: "postgres",
  exposureMs: ms,
  at: NOW,
  detail: ms === undefined ? "no answer within 1500 ms" : `replay lag ${ms} ms`,
});
/** Every source on its designed schedule: the backups the cadences last called for, a little after. */
const onSchedule = (): RpoReading[] => [
  lag(3_000),
  at("velero", "velero", Date.UTC(2026, 10, 30, 2, 0, 5)),
  at("etcd", "etcd", Date.UTC(2026, 10, 30, 12, 0, 3)),
  at("volumes", "longhorn", Date.UTC(2026, 10, 30, 12, 0, 40)),
];

describe("RPO by design", () => {
  it("reads a healthy system as green: data within the RPO, configuration backups on their own schedule", () => {
    const tiers = tierRpo(config, onSchedule(), NOW);
    const [tier1, tier3] = tiers;
    expect(tier1).toMatchObject({
      state: "within_design",
      withinTarget: true,
      effectiveMs: 3_000,
      worstSource: "pg",
      late: [],
      unknown: [],
    });
    // The daily Velero backup is 11 h old, far beyond tier1's 15 m, and still on schedule.
    expect(tier1!.sources.map((s) => [s.source, s.protects, s.state])).toEqual([
      ["pg", "data", "within_design"],
      ["velero", "configuration", "within_design"],
      ["etcd", "configuration", "within_design"],
    ]);
    expect(tier3).toMatchObject({
      state: "within_design",
      effectiveMs: NOW - Date.UTC(2026, 10, 30, 12, 0, 40),
    });
    expect(tierHeadline(tier1!)).toBe("within design: 3s of data at risk (target 15m, pg)");
    expect(rpoRiskOf(runExposure(tiers, ["tier1", "tier3"]))).toBeUndefined();
  });

  it("turns exactly the late source and its tiers red: a backup that should exist does not", () => {
    const readings = onSchedule().map((r) =>
      r.source === "volumes" ? at("volumes", "longhorn", Date.UTC(2026, 10, 30, 8, 0, 40)) : r,
    );
    const [tier1, tier3] = tierRpo(config, readings, NOW);
    expect(tier1).toMatchObject({ state: "within_design", withinTarget: true });
    expect(tier3).toMatchObject({ state: "late", withinTarget: false, late: ["volumes"] });
    const volumes = tier3!.sources.find((s) => s.source === "volumes")!;
    expect(volumes.verdict).toBe(
      'late: newest recovery point 5h 6m old; the one due at 2026-11-30T12:00Z (on "0 */2 * * *" UTC (at most 2h apart), given 30m to complete) is missing',
    );
    // 5 h of data would be lost: over tier3's 4 h. The card asks the approvers to accept that.
    expect(describeRpoRisk(rpoRiskOf(tier3)!)).toBe(
      "5h 6m of data (newest recovery point of volumes), beyond the tier3 RPO of 4h",
    );
    expect(rpoRiskOf(tier3)!.late).toEqual([`volumes (data): ${volumes.verdict}`]);
  });

  it("counts a configuration backup that is late against its tiers too, in words that say it is not data", () => {
    const readings = onSchedule().map((r) =>
      r.source === "velero" ? at("velero", "velero", Date.UTC(2026, 10, 29, 2, 0, 5)) : r,
    );
    const tiers = tierRpo(config, readings, NOW);
    expect(tiers.map((t) => [t.tier, t.state, t.late])).toEqual([
      ["tier1", "late", ["velero"]],
      ["tier3", "late", ["velero"]],
    ]);
    const risk = rpoRiskOf(runExposure(tiers, ["tier1"]))!;
    expect(describeRpoRisk(risk)).toBe(
      'more than its design allows: late: velero (configuration): late: newest recovery point 1d 11h old; the one due at 2026-11-30T02:00Z (on "0 2 * * *" UTC (at most 1d apart), given 30m to complete) is missing',
    );
  });

  it("never reads an unknown source as no risk", () => {
    const [tier1] = tierRpo(
      config,
      onSchedule().map((r) => (r.source === "pg" ? lag(undefined) : r)),
      NOW,
    );
    expect(tier1).toMatchObject({
      state: "unknown",
      withinTarget: false,
      effectiveMs: Number.POSITIVE_INFINITY,
      unknown: ["pg"],
    });
    expect(tierHeadline(tier1!)).toBe(
      "UNKNOWN, treat as at risk: pg could not be read; an unknown amount of data at risk (target 15m, pg)",
    );
    // A source nothing read at all is unknown too.
    const [silent] = tierRpo(
      config,
      onSchedule().filter((r) => r.source !== "etcd"),
      NOW,
    );
    expect(silent).toMatchObject({ state: "unknown", unknown: ["etcd"] });
    expect(silent!.sources.find((s) => s.source === "etcd")!.verdict).toBe(
      "unknown: no reading: nothing in this drbot reads this source",
    );
  });

  it("calls a replica late when its lag is over its alert threshold, and its tier red only beyond the RPO", () => {
    const [behind] = tierRpo(config, [...onSchedule().slice(1), lag(45_000)], NOW);
    expect(behind!.sources[0]).toMatchObject({
      source: "pg",
      state: "late",
      verdict: "lag 45s is over its 30s threshold",
    });
    // 45 s of data is within tier1's 15 minutes: no acceptance asked on the card for that.
    expect(behind).toMatchObject({ state: "within_design", withinTarget: true, late: [] });
    const [farBehind] = tierRpo(config, [...onSchedule().slice(1), lag(20 * MIN)], NOW);
    expect(farBehind).toMatchObject({ state: "beyond_target", withinTarget: false, effectiveMs: 20 * MIN });
  });

  it("judges an undeclared cadence by the one the source reports (Velero's Schedule, Longhorn's jobs)", () => {
    const undeclared = testConfig({
      applications: [
        { name: "analytics", tier: "tier3", namespaces: ["analytics"], dataSources: ["volumes"] },
      ],
      dataSources: [{ name: "volumes", kind: "longhorn", site: "dc2", volumes: ["analytics-data"] }],
    });
    const reading = {
      ...at("volumes", "longhorn", Date.UTC(2026, 10, 30, 9, 0)),
      cadence: parseCadence("0 * * * *"),
    };
    const [, tier3] = tierRpo(undeclared, [reading as RpoReading], NOW);
    expect(tier3!.sources[0]).toMatchObject({ state: "late", cadenceFrom: "source" });
    const [, unjudged] = tierRpo(undeclared, [at("volumes", "longhorn", Date.UTC(2026, 10, 30, 9, 0))], NOW);
    expect(unjudged!.sources[0]).toMatchObject({ state: "undesigned" });
    expect(unjudged).toMatchObject({ state: "beyond_target", effectiveMs: 4 * HOUR + 7 * MIN });
  });
});

describe("cadences", () => {
  it("reads crons, intervals, Go's @every and continuous, and refuses anything else", () => {
    expect(parseCadence("0 */6 * * *")).toEqual({ kind: "cron", expression: "0 */6 * * *" });
    expect(parseCadence("6h")).toEqual({ kind: "interval", everyMs: 6 * HOUR });
    expect(parseCadence("@every 1h30m")).toEqual({ kind: "interval", everyMs: 90 * MIN });
    expect(parseCadence("continuous")).toEqual({ kind: "continuous" });
    expect(parseCadence("whenever")).toMatchObject({
      error: expect.stringContaining('"whenever" is neither'),
    });
    expect(() => withSource("velero", { cadence: "sometimes" })).toThrow(
      /"sometimes\\" is neither continuous/,
    );
  });

  it("knows each schedule's longest gap and its last occurrence", () => {
    expect(longestGap("0 2 * * *")).toBe(24 * HOUR);
    expect(longestGap("*/15 * * * *")).toBe(15 * MIN);
    expect(longestGap("0 9 1 1,4,7,10 *")).toBe(92 * 24 * HOUR);
    expect(lastOccurrence("0 2 * * *", NOW)).toBe(Date.UTC(2026, 10, 30, 2));
    expect(lastOccurrence("0 */6 * * *", NOW)).toBe(Date.UTC(2026, 10, 30, 12));
    expect(lastOccurrence("0 9 1 1,4,7,10 *", NOW)).toBe(Date.UTC(2026, 9, 1, 9));
  });
});

describe("drbot validate on the RPO design", () => {
  it("warns when a cadence carrying data cannot meet its tier's RPO, and says what to change", () => {
    const slow = withSource("volumes", { cadence: "0 */4 * * *" });
    expect(checkRpoDesign(slow)).toEqual([
      {
        path: ["dataSources", 3, "cadence"],
        message:
          'volumes makes a recovery point on "0 */4 * * *" UTC (at most 4h apart) and may take 30m to complete: a failover could lose up to 4h 30m of tier3\'s data, beyond its RPO of 4h. Make one at least every 3h 30m (cadence: "0 */3 * * *"), or set protects: configuration if it holds no application data.',
      },
    ]);
    expect(cronFor(45 * MIN)).toBe("*/30 * * * *");
    expect(cronFor(HOUR)).toBe("0 * * * *");
  });

  it("is quiet about the example's design, and names a source that declares no cadence", () => {
    expect(checkRpoDesign(config)).toEqual([]);
    const undeclared = withSource("etcd", { cadence: undefined });
    expect(checkRpoDesign(undeclared).map((f) => f.message)).toEqual([
      'etcd declares no cadence, so drbot cannot tell a late backup from an on-time one; set cadence (RKE2\'s etcd-snapshot-schedule-cron, like "0 */6 * * *")',
    ]);
  });
});

describe("tierProblem", () => {
  it("says the data at risk is unknown, never that an unknown amount exceeds the RPO target", () => {
    const tier1 = tierRpo(config, onSchedule(), NOW).find((t) => t.tier === "tier1")!;
    const beyond = { ...tier1, state: "beyond_target" as const, withinTarget: false };
    expect(tierProblem({ ...beyond, effectiveMs: 2 * HOUR, worstSource: "pg" })).toBe(
      "tier1: data at risk 2h exceeds the RPO target of 15m (pg)",
    );
    const unmeasured = tierProblem({ ...beyond, effectiveMs: Number.POSITIVE_INFINITY, worstSource: "pg" });
    expect(unmeasured).toBe(
      "tier1: data at risk unknown (pg gave no amount), treat as beyond the RPO target of 15m",
    );
    expect(unmeasured).not.toContain("exceeds");
  });

  it("writes durations as people read them: 15m and 4h, not seconds", () => {
    const tiers = tierRpo(config, [lag(undefined)], NOW);
    const shown = tiers.map((t) => tierHeadline(t)).join("\n");
    expect(shown).toContain("target 15m");
    expect(shown).toContain("target 4h");
    expect(shown).not.toMatch(/\d{3,}s\b/);
  });
});

import { describe, expect, it } from "vitest";
import { DrbotMetrics } from "../../../src/adapters/metrics/drbot-metrics.js";
import type { ReadinessReport } from "../../../src/domain/readiness/readiness.js";
import { testConfig } from "../../support/config-fixture.js";
import { parseExposition } from "../../support/prometheus-text.js";
import { readinessRound } from "../../support/readiness-fixture.js";

/** The kept readiness round as Prometheus reads it, with the sources passed in. */
const config = testConfig();
const NOW = 1_700_000_000_000;
const noRuns = { counts: [], active: 0 };

function metricsOf(readiness: () => Promise<ReadinessReport | undefined>) {
  return new DrbotMetrics(
    config,
    { status: () => new Promise(() => {}), runSummary: async () => noRuns, readiness },
    { sourceDeadlineMs: 50, now: () => NOW },
  );
}

describe("drbot's readiness metrics", () => {
  it("give each application and check its verdict as 0 ready, 1 degraded, 2 unknown, 3 not ready", async () => {
    const m = parseExposition(await metricsOf(async () => readinessRound(NOW - 90_000)).metrics());
    expect(m.value("drbot_readiness", { application: "payments", tier: "tier1", check: "drift" })).toBe(3);
    expect(m.value("drbot_readiness", { application: "payments", tier: "tier1", check: "capacity" })).toBe(0);
    expect(m.value("drbot_readiness", { application: "core-api", tier: "tier1", check: "drill" })).toBe(1);
    expect(m.value("drbot_readiness_application", { application: "payments", tier: "tier1" })).toBe(3);
    expect(m.value("drbot_readiness_application", { application: "core-api", tier: "tier1" })).toBe(1);
    expect(m.value("drbot_readiness_application", { application: "analytics", tier: "tier3" })).toBe(0);
  });

  it("say how long the kept round took and how old it is", async () => {
    const m = parseExposition(await metricsOf(async () => readinessRound(NOW - 90_000)).metrics());
    expect(m.value("drbot_readiness_round_seconds")).toBe(1.2);
    expect(m.value("drbot_readiness_age_seconds")).toBe(90);
    expect(m.value("drbot_metrics_source_up", { source: "readiness" })).toBe(1);
  });

  it("keep the labels to the configured applications and the known checks", async () => {
    const round = readinessRound(NOW);
    round.applications.push({
      application: "removed-since",
      tier: "tier1",
      verdict: "not_ready",
      findings: [{ check: "drift", verdict: "not_ready", summary: "x", evidence: [] }],
    });
    const m = parseExposition(await metricsOf(async () => round).metrics());
    const series = m.samples.filter((s) => s.name === "drbot_readiness");
    expect(new Set(series.map((s) => s.labels.application))).toEqual(
      new Set(["payments", "core-api", "analytics"]),
    );
  });

  it("leave the verdicts out and make the age infinite when no round is kept or it cannot be read", async () => {
    const verdicts = (m: ReturnType<typeof parseExposition>) =>
      m.samples.filter((s) => s.name === "drbot_readiness" || s.name === "drbot_readiness_application");
    const none = parseExposition(await metricsOf(async () => undefined).metrics());
    expect(verdicts(none)).toEqual([]);
    expect(none.value("drbot_readiness_age_seconds")).toBe(Number.POSITIVE_INFINITY);
    expect(none.value("drbot_readiness_round_seconds")).toBeNaN();
    expect(none.value("drbot_metrics_source_up", { source: "readiness" })).toBe(1);
    const hung = parseExposition(await metricsOf(() => new Promise(() => {})).metrics());
    expect(verdicts(hung)).toEqual([]);
    expect(hung.value("drbot_readiness_age_seconds")).toBe(Number.POSITIVE_INFINITY);
    expect(hung.value("drbot_metrics_source_up", { source: "readiness" })).toBe(0);
  });
});

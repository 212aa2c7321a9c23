import { describe, expect, it } from "vitest";
import { DrbotMetrics } from "../../../src/adapters/metrics/drbot-metrics.js";
import { slackMethodOf } from "../../../src/adapters/metrics/slack-metrics.js";
import { tierRpo } from "../../../src/domain/rpo.js";
import type { StatusReport } from "../../../src/domain/status-report.js";
import { testConfig } from "../../support/config-fixture.js";
import { parseExposition } from "../../support/prometheus-text.js";
import { recordingLogger } from "../../support/recording-logger.js";

/**
 * How readings become series, with the sources passed in. The end-to-end scrape of a running
 * `drbot serve` is in test/cli/serve-metrics.int.test.ts.
 */
const config = testConfig();
const NOW = 1_700_000_000_000;

function status(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    sites: [],
    rpo: tierRpo(
      config,
      [
        { source: "pg", kind: "postgres", exposureMs: 4_000, at: NOW, detail: "replay lag" },
        { source: "velero", kind: "velero", exposureMs: 3 * 3_600_000, at: NOW, detail: "daily backup" },
      ],
      NOW,
    ),
    activeRuns: [],
    warnings: [],
    tookMs: 1,
    ...overrides,
  };
}

const noRuns = { counts: [], active: 0 };

describe("drbot's metrics", () => {
  it("count runs by kind and state from the store's summary, reading no run", async () => {
    const metrics = new DrbotMetrics(config, {
      status: async () => status(),
      runSummary: async () => ({
        counts: [
          { kind: "failover", state: "completed", runs: 40 },
          { kind: "drill", state: "running", runs: 1 },
        ],
        active: 1,
      }),
    });
    const m = parseExposition(await metrics.metrics());
    expect(m.value("drbot_runs", { kind: "failover", state: "completed" })).toBe(40);
    expect(m.value("drbot_runs", { kind: "drill", state: "running" })).toBe(1);
    expect(m.value("drbot_active_runs", {})).toBe(1);
    expect(m.value("drbot_metrics_source_up", { source: "runs" })).toBe(1);
  });

  it("turn RPO readings into backup ages, replication lag and RPO per tier and source", async () => {
    const metrics = new DrbotMetrics(config, {
      status: async () => status(),
      runSummary: async () => noRuns,
    });
    const m = parseExposition(await metrics.metrics());
    expect(m.value("drbot_replication_lag_seconds", { source: "pg" })).toBe(4);
    expect(m.value("drbot_backup_age_seconds", { source: "velero", kind: "velero" })).toBe(10_800);
    expect(
      m.value("drbot_rpo_source_exposure_seconds", { tier: "tier1", source: "pg", kind: "postgres" }),
    ).toBe(4);
    expect(m.value("drbot_rpo_effective_seconds", { tier: "tier1" })).toBe(4);
    expect(m.value("drbot_rpo_within_target", { tier: "tier1" })).toBe(1);
    expect(m.value("drbot_rpo_tier_state", { tier: "tier1", state: "within_design" })).toBe(1);
    expect(m.value("drbot_rpo_tier_state", { tier: "tier1", state: "late" })).toBe(0);
    expect(m.value("drbot_backup_late", { source: "pg", kind: "postgres", protects: "data" })).toBe(0);
    expect(m.value("drbot_replication_lag_threshold_seconds", { source: "pg" })).toBe(30);
    expect(m.value("drbot_backup_design_seconds", { source: "pg", kind: "postgres" })).toBe(30);
    // tier3's only source is Velero's backup of Kubernetes objects (configuration): no data at risk.
    expect(m.value("drbot_rpo_effective_seconds", { tier: "tier3" })).toBe(0);
    expect(m.value("drbot_rpo_within_target", { tier: "tier3" })).toBe(1);
    expect(
      m.value("drbot_backup_late", { source: "velero", kind: "velero", protects: "configuration" }),
    ).toBe(0);
  });

  it("say which source is late, and the tier's state", async () => {
    const late = status({
      rpo: tierRpo(
        config,
        [{ source: "pg", kind: "postgres", exposureMs: 45_000, at: NOW, detail: "replay lag" }],
        NOW,
      ),
    });
    const metrics = new DrbotMetrics(config, { status: async () => late, runSummary: async () => noRuns });
    const m = parseExposition(await metrics.metrics());
    expect(m.value("drbot_backup_late", { source: "pg", kind: "postgres", protects: "data" })).toBe(1);
    // 45 s of lag is over the replica's 30 s threshold, and well within tier1's 15 minutes.
    expect(m.value("drbot_rpo_tier_state", { tier: "tier1", state: "within_design" })).toBe(1);
    expect(m.value("drbot_rpo_within_target", { tier: "tier1" })).toBe(1);
    // tier3's Velero gave no reading: unknown, not "no risk".
    expect(m.value("drbot_rpo_tier_state", { tier: "tier3", state: "unknown" })).toBe(1);
  });

  it("leave out what a failed source would have said, and say the source is down", async () => {
    const metrics = new DrbotMetrics(
      config,
      { status: () => Promise.reject(new Error("redis down")), runSummary: () => new Promise(() => {}) },
      { sourceDeadlineMs: 50 },
    );
    const m = parseExposition(await metrics.metrics());
    expect(m.value("drbot_metrics_source_up", { source: "status" })).toBe(0);
    expect(m.value("drbot_metrics_source_up", { source: "runs" })).toBe(0);
    expect(m.all("drbot_rpo_effective_seconds")).toEqual([]);
  });

  it("log a source that fails or is late once, and once more when it answers again", async () => {
    const log = recordingLogger();
    let failing = true;
    const metrics = new DrbotMetrics(
      config,
      {
        status: async () => (failing ? Promise.reject(new Error("redis down")) : status()),
        runSummary: () => (failing ? new Promise(() => {}) : Promise.resolve(noRuns)),
      },
      { sourceDeadlineMs: 50, log },
    );
    await metrics.metrics();
    await metrics.metrics();
    expect(log.lines.map((l) => [l.level, l.message])).toEqual([
      ["warn", "metrics source status failed"],
      ["warn", "metrics source runs did not answer in time"],
    ]);
    expect((log.lines[0]!.context.err as Error).message).toBe("redis down");
    failing = false;
    await metrics.metrics();
    expect(log.messages("info").sort()).toEqual([
      "metrics source runs answers again",
      "metrics source status answers again",
    ]);
  });

  it("keep to their own registry, so two instances do not collide", async () => {
    const sources = { status: async () => status(), runSummary: async () => noRuns };
    const a = new DrbotMetrics(config, sources);
    const b = new DrbotMetrics(config, sources);
    expect(a.registry).not.toBe(b.registry);
    expect(parseExposition(await b.metrics()).value("drbot_rpo_target_seconds", { tier: "tier1" })).toBe(900);
  });

  it("count runs whose Slack updates stopped for good, by Slack's error", async () => {
    const metrics = new DrbotMetrics(config, {
      status: async () => status(),
      runSummary: async () => noRuns,
    });
    metrics.slack.runUpdatesStopped("channel_not_found");
    metrics.slack.runUpdatesStopped("channel_not_found");
    metrics.slack.runUpdatesStopped("is_archived");
    const m = parseExposition(await metrics.metrics());
    expect(m.value("drbot_slack_run_updates_stopped_total", { error: "channel_not_found" })).toBe(2);
    expect(m.value("drbot_slack_run_updates_stopped_total", { error: "is_archived" })).toBe(1);
  });

  it("name Slack calls by API method", () => {
    expect(slackMethodOf("https://slack.com/api/chat.postMessage")).toBe("chat.postMessage");
    expect(slackMethodOf(new URL("https://files.slack.com/upload/v1/abc"))).toBe("file_upload");
    expect(slackMethodOf("https://hooks.slack.com/commands/T1/2/x")).toBe("response_url");
  });
});

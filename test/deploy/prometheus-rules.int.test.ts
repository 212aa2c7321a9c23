import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DrbotMetrics } from "../../src/adapters/metrics/drbot-metrics.js";
import { tierRpo } from "../../src/domain/rpo.js";
import { testConfig } from "../support/config-fixture.js";

/**
 * deploy/prometheus/drbot-rules.yaml, checked by Prometheus's own promtool (Debian's prometheus
 * package; .ci/run installs it): the rules parse, and on series shaped like drbot's they fire when
 * they should and stay quiet before (test/deploy/prometheus/drbot-rules.promtest.yaml). And every
 * metric they name is one drbot exports, so a renamed metric cannot leave a rule silent.
 */
const RULES = "deploy/prometheus/drbot-rules.yaml";

async function promtool(...args: string[]) {
  const found = await execa("sh", ["-c", "command -v promtool"], { reject: false });
  if (found.exitCode !== 0)
    throw new Error(
      "promtool is not installed: apt-get install -y prometheus (.ci/run does), or put it on PATH",
    );
  return execa("promtool", args, { reject: false, timeout: 60_000 });
}

describe("drbot's Prometheus alerting rules", () => {
  it("pass promtool check rules", async () => {
    const result = await promtool("check", "rules", RULES);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("SUCCESS: 12 rules found");
  });

  it("fire as promtool test rules expects on drbot's series, and not before", async () => {
    const result = await promtool("test", "rules", "test/deploy/prometheus/drbot-rules.promtest.yaml");
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("SUCCESS");
  });

  it("name only metrics drbot exports", async () => {
    const config = testConfig();
    const metrics = new DrbotMetrics(config, {
      status: async () => ({
        sites: [],
        rpo: tierRpo(config, [], 0),
        activeRuns: [],
        warnings: [],
        tookMs: 1,
      }),
      runSummary: async () => ({ counts: [], active: 0 }),
    });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const rules = parse(await readFile(RULES, "utf8")) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const named = rules.groups.flatMap((g) =>
      g.rules.flatMap((r) =>
        [...r.expr.matchAll(/\bdrbot_[a-z_]+/g)].map((m) => ({ alert: r.alert, metric: m[0] })),
      ),
    );
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((n) => !exported.has(n.metric))).toEqual([]);
  });
});

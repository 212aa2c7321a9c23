import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RedisReadinessStore } from "../../src/adapters/redis/redis-readiness-store.js";
import { runCli } from "../../src/cli/main.js";
import {
  applicationReadiness,
  type ReadinessFinding,
  type ReadinessReport,
  tierReadiness,
} from "../../src/domain/readiness/readiness.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";

/**
 * `drbot readiness` on the shipped example configuration against a real Redis, where a round is
 * kept as the watch leader keeps it: what it prints, its --json, and the exit codes scripts gate on.
 */
let redis: RedisServer;
let client: Redis;
let store: RedisReadinessStore;

beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url, { commandTimeout: 2_000, lazyConnect: true });
  await client.connect();
  store = new RedisReadinessStore(client, { keyPrefix: "drbot:" });
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});
beforeEach(async () => {
  await client.flushall();
});

const imageDrift: ReadinessFinding = {
  check: "drift",
  verdict: "not_ready",
  summary: "image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
  evidence: ["- dc2 payments/payments-api api ghcr.io/acme/payments:1.4.1"],
  action: "deploy ghcr.io/acme/payments:1.4.2 to dc2 (payments/payments-api)",
};
const overdueDrill: ReadinessFinding = {
  check: "drill",
  verdict: "degraded",
  summary: "the last successful drill of tier2 was 120d ago; the quarterly drill is overdue",
  evidence: [],
  action: "/dr drill tier2",
};
const ok = (check: ReadinessFinding["check"]): ReadinessFinding => ({
  check,
  verdict: "ready",
  summary: "ok",
  evidence: [],
});

/** A round of the example's six applications read `ageMs` ago; payments' drift is the one given. */
function round(ageMs: number, payments: ReadinessFinding = imageDrift): ReadinessReport {
  const apps: [string, string, ReadinessFinding[]][] = [
    ["payments", "tier1", [payments, ok("capacity")]],
    ["core-api", "tier1", [ok("drift")]],
    ["customer-portal", "tier2", [overdueDrill, ok("drift")]],
    ["reporting", "tier2", [ok("drift")]],
    ["analytics", "tier3", [ok("drift")]],
    ["batch-jobs", "tier3", [ok("standby")]],
  ];
  const applications = apps.map(([name, tier, findings]) => applicationReadiness(name, tier, findings));
  return {
    readAt: Date.now() - ageMs,
    tookMs: 2_300,
    applications,
    tiers: tierReadiness(["tier1", "tier2", "tier3"], applications),
  };
}

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    env: { ...process.env, DRBOT_CONFIG: "drbot.example.yaml", REDIS_URL: redis.url, LOG_LEVEL: "warn" },
  });
  return { code, out, err };
}

describe("drbot readiness", () => {
  it("prints the kept round with its age, each tier and application, the findings' evidence and action, and exits 6 when an application is not ready", async () => {
    await store.keep(round(4 * 60_000));
    const { code, out } = await cli("readiness");
    expect(code).toBe(6);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^readiness: round 4m( \d+s)? ago, read at \d{4}-\d\d-\d\dT[\d:.]+Z in 2\.3 s$/);
    expect(lines.slice(1)).toEqual([
      "tier1: not ready: payments not ready",
      "  payments: not ready",
      "    not ready: drift: image payments-api: ghcr.io/acme/payments:1.4.2 on dc1, 1.4.1 on dc2",
      "      - dc2 payments/payments-api api ghcr.io/acme/payments:1.4.1",
      "      -> deploy ghcr.io/acme/payments:1.4.2 to dc2 (payments/payments-api)",
      "    ready: capacity",
      "  core-api: ready",
      "    ready: drift",
      "tier2: degraded: customer-portal degraded",
      "  customer-portal: degraded",
      "    degraded: drill: the last successful drill of tier2 was 120d ago; the quarterly drill is overdue",
      "      -> /dr drill tier2",
      "    ready: drift",
      "  reporting: ready",
      "    ready: drift",
      "tier3: ready (2 applications)",
      "  analytics: ready",
      "    ready: drift",
      "  batch-jobs: ready",
      "    ready: standby",
    ]);
  });

  it("exits 0 when nothing is not ready (degraded is shown, not failed), and --json gives the round with its age", async () => {
    await store.keep(round(30_000, ok("drift")));
    const { code, out } = await cli("readiness", "--json");
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json).toMatchObject({ state: "read", stale: false, intervalMs: 300_000, notReady: [] });
    expect(json.ageMs).toBeGreaterThanOrEqual(30_000);
    expect(json.report.tiers.map((t: { verdict: string }) => t.verdict)).toEqual([
      "ready",
      "degraded",
      "ready",
    ]);
  });

  it("says a round is stale once the leader has kept none for three intervals", async () => {
    await store.keep(round(20 * 60_000));
    const { code, out } = await cli("readiness", "--json");
    expect(code).toBe(6);
    expect(JSON.parse(out)).toMatchObject({ state: "read", stale: true, notReady: ["payments"] });
  });

  it("exits 4 and says so when no round has been kept yet", async () => {
    const { code, out } = await cli("readiness");
    expect(code).toBe(4);
    expect(out.trim()).toBe("readiness: not yet assessed (the watch leader keeps a round every 5m)");
  });

  it("--now makes a round here and keeps it for every replica: the example's sites cannot be reached, so their checks are unknown, saying why", async () => {
    const { code, out } = await cli("readiness", "--now", "--json");
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json).toMatchObject({ state: "read", stale: false, notReady: [] });
    const verdicts = json.report.applications.map((a: { verdict: string }) => a.verdict);
    expect(verdicts).toHaveLength(6);
    expect(verdicts).toContain("unknown");
    const unread = json.report.applications
      .flatMap((a: { findings: { verdict: string; summary: string }[] }) => a.findings)
      .filter((f: { verdict: string }) => f.verdict === "unknown");
    expect(unread.length).toBeGreaterThan(0);
    for (const f of unread) expect(f.summary).not.toBe("");
    expect((await store.latest())?.readAt).toBe(json.report.readAt);
  });
});

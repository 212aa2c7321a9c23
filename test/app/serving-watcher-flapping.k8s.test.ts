import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { servingProbes } from "../../src/app/serving-probes.js";
import { OPEN_ALERT_KEY, ServingWatcher } from "../../src/app/serving-watcher.js";
import { type Config, configSchema } from "../../src/domain/config.js";
import type { ProbeResult, TrackerEvent } from "../../src/domain/probe-tracker.js";
import { initialServing } from "../../src/domain/site-state.js";
import type { Probe } from "../../src/ports/probe.js";
import { kubernetesSites } from "../../src/runtime/create-runtime.js";
import { SlackWatchNotifier } from "../../src/slack/slack-watch-notifier.js";
import { testRunbook } from "../support/config-fixture.js";
import { effect } from "../support/engine-harness.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { seededRandom } from "../support/seeded-random.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The watcher on a flapping primary, with its real probes of the site that serves (every application
 * at home, so DC1): DC1's API server of the test clusters and an application's health check (an HTTP server on loopback the test controls), each failing
 * instead at random one time in five from a fixed seed. Ten minutes of watch time are compressed
 * with the watcher's injected clock: every round really probes, then the clock moves one interval
 * on. The open alert is kept in real Redis and posted through the real WebClient to the Slack
 * emulator. Then DC1 really stops (its API server and the application) and the alert must come.
 */
const INTERVAL_MS = 2_000;
const CONFIRM_FOR_MS = 8_000;
const THRESHOLD = 3;
const SEED = 20_260_101;

let clusters: TestClusters;
let redis: RedisServer;
let store: RedisRunStore;
let h: SlackHarness;
let app: Server;
let appUp = true;
let config: Config;

beforeAll(async () => {
  [clusters, redis] = await Promise.all([startTestClusters(), startRedisServer()]);
  app = createServer((_req, res) => {
    res.writeHead(appUp ? 200 : 503).end(appUp ? "ok" : "down");
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const raw = clusters.rawConfig({
    watch: {
      interval: `${INTERVAL_MS / 1000}s`,
      failureThreshold: THRESHOLD,
      confirmFor: `${CONFIRM_FOR_MS / 1000}s`,
      recoveryThreshold: 2,
      probeTimeout: "1s",
    },
  });
  const [payments] = raw.applications as Array<Record<string, unknown>>;
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/healthz`;
  config = configSchema.parse({
    ...raw,
    applications: [{ ...payments, healthChecks: [{ name: "web", url, timeout: "1s" }] }],
  });
  store = await openTestRedisStore(redis.url, "flapping:");
  h = await startSlackHarness({
    runbooks: [testRunbook({ name: "failover", phases: [{ name: "a", steps: [effect("s")] }] })],
    store,
    config,
  });
});

afterAll(async () => {
  await h?.stop();
  await store?.close();
  await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
  await Promise.all([clusters?.stop(), redis?.stop()]);
});

describe("the watcher on a flapping primary", () => {
  it("opens no alert over ten minutes of probes failing at random one time in five, then alerts in the channel when DC1 really stops, within the rounds confirmFor takes", async () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = { now: () => now };
    const random = seededRandom(SEED);
    let injected = 0;
    const flaky = (probe: Probe): Probe => ({
      ...probe,
      check: (signal) => {
        if (random() >= 0.2) return probe.check(signal);
        injected++;
        return Promise.resolve({ ok: false, detail: "injected failure" });
      },
    });
    const probes = servingProbes(config, initialServing(config), kubernetesSites(config)).map(flaky);
    const rounds: Array<{ at: number; results: readonly ProbeResult[]; events: readonly TrackerEvent[] }> =
      [];
    const watcher = new ServingWatcher({
      probes: async () => probes,
      intervalMs: INTERVAL_MS,
      probeTimeoutMs: config.watch.probeTimeout,
      failureThreshold: THRESHOLD,
      recoveryThreshold: config.watch.recoveryThreshold,
      confirmForMs: CONFIRM_FOR_MS,
      clock,
      store,
      notifier: new SlackWatchNotifier(h.surface.client, store),
      channel: INCIDENT,
      onRound: (results, events) => rounds.push({ at: now, results, events }),
    });
    const alerts = () => h.emulator.messages(INCIDENT).filter((m) => m.text.includes("is down"));

    for (let i = 0; i < (10 * 60_000) / INTERVAL_MS; i++) {
      await watcher.round();
      now += INTERVAL_MS;
    }
    await watcher.idle();
    expect(probes.map((p) => p.target)).toEqual(["api:dc1", "app:payments/web"]);
    // Every answer not injected was a real success: the flapping is the only fault.
    expect(rounds.flatMap((r) => r.results).filter((r) => !r.ok && r.detail !== "injected failure")).toEqual(
      [],
    );
    expect(injected).toBeGreaterThan(0.15 * 2 * rounds.length);
    // The flapping is not tame: some probe failed three rounds in a row, which alone used to alert.
    expect(longestFailingStreak(rounds.map((r) => r.results))).toBeGreaterThanOrEqual(THRESHOLD);
    expect(rounds.flatMap((r) => r.events)).toEqual([]);
    expect(alerts()).toEqual([]);
    expect(await store.kvGet(OPEN_ALERT_KEY)).toBeFalsy();

    const stoppedAt = now;
    appUp = false;
    await clusters.stopApiServer("dc1");
    try {
      let opened: TrackerEvent | undefined;
      while (!opened && now - stoppedAt <= 60_000) {
        opened = (await watcher.round()).find((e) => e.type === "alert_opened");
        now += INTERVAL_MS;
      }
      expect(opened?.alert.failing.map((f) => f.target)).toEqual(["api:dc1", "app:payments/web"]);
      expect(opened!.alert.openedAt - stoppedAt).toBeLessThanOrEqual(CONFIRM_FOR_MS + INTERVAL_MS);
      await watcher.idle();
      await waitFor(() => alerts().length === 1, {
        timeoutMs: 10_000,
        description: "the alert in the channel",
      });
      expect(alerts()[0]!.text).toContain("dc1");
      expect(JSON.parse((await store.kvGet(OPEN_ALERT_KEY)) ?? "{}")).toMatchObject({ id: opened!.alert.id });
    } finally {
      await clusters.startApiServer("dc1");
      appUp = true;
    }
  });
});

/** The most rounds in a row any one probe failed. */
function longestFailingStreak(rounds: ReadonlyArray<readonly ProbeResult[]>): number {
  const streak = new Map<string, number>();
  let longest = 0;
  for (const results of rounds)
    for (const r of results) {
      const n = r.ok ? 0 : (streak.get(r.target) ?? 0) + 1;
      streak.set(r.target, n);
      longest = Math.max(longest, n);
    }
  return longest;
}

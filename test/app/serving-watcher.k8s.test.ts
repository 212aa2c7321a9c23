import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubernetesSite } from "../../src/adapters/kubernetes/kubernetes-site.js";
import { MemorySiteState } from "../../src/adapters/memory/memory-site-state.js";
import type { RedisLeaderLease } from "../../src/adapters/redis/redis-leader-lease.js";
import type { RedisRunStore } from "../../src/adapters/redis/redis-run-store.js";
import { servingProbes } from "../../src/app/serving-probes.js";
import { ServingWatcher } from "../../src/app/serving-watcher.js";
import { startWatch, type WatchHandle } from "../../src/app/start-watch.js";
import type { Config } from "../../src/domain/config.js";
import type { ProbeResult, TrackerEvent } from "../../src/domain/probe-tracker.js";
import { initialServing } from "../../src/domain/site-state.js";
import type { StoredMessage } from "../../src/emulator/slack-emulator.js";
import { silentLogger } from "../../src/ports/logger.js";
import { kubernetesSites } from "../../src/runtime/create-runtime.js";
import { registerWatchListeners } from "../../src/slack/listeners/watch-listeners.js";
import { SlackWatchNotifier } from "../../src/slack/slack-watch-notifier.js";
import { WATCH_ACTION } from "../../src/slack/views/watch-views.js";
import { testRunbook } from "../support/config-fixture.js";
import { confirmOpenModal } from "../support/confirm-run.js";
import { effect } from "../support/engine-harness.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { openTestRedisStore } from "../support/redis-store-fixture.js";
import { INCIDENT, type SlackHarness, startSlackHarness } from "../support/slack-harness.js";
import { waitFor } from "../support/wait-for.js";
import { openTestLeaderLease } from "../support/watch-fixture.js";

/**
 * Failure detection against two real clusters, real Redis and the Slack emulator: DC1's and DC2's API
 * servers are really stopped and started; two watcher replicas compete for the same lease; which
 * site serves is what the site state says.
 */
const failover = testRunbook({
  name: "failover",
  approvals: { required: 2 },
  phases: [{ name: "activate", steps: [effect("scale-up")] }],
});

const INTERVAL = "1s";
const RECOVERY = 3;

let clusters: TestClusters;
let redis: RedisServer;
let store: RedisRunStore;
let h: SlackHarness;
let config: Config;
const siteState = new MemorySiteState();
const leases: RedisLeaderLease[] = [];
const replicas: WatchHandle[] = [];
const rounds: Array<{ replica: string; results: readonly ProbeResult[]; events: readonly TrackerEvent[] }> =
  [];

async function startReplica(token: string): Promise<WatchHandle> {
  const lease = await openTestLeaderLease(redis.url, "watch:");
  leases.push(lease);
  const handle = startWatch({
    config,
    service: h.service,
    store,
    clock: { now: () => Date.now() },
    sites: kubernetesSites(config),
    siteState,
    lease,
    notifier: new SlackWatchNotifier(h.surface.client, store),
    token,
    log: silentLogger,
    onRound: (results, events) => rounds.push({ replica: token, results, events }),
  });
  replicas.push(handle);
  return handle;
}

/** Alerts posted in the channel (as first posted: a cleared alert is edited in place). */
const alerts = (): StoredMessage[] =>
  h.emulator.messages(INCIDENT).filter((m) => (m.versions[0]?.text ?? m.text).includes(" is down"));
const latest = (m: StoredMessage) => h.emulator.message(m.channel, m.ts)!;

beforeAll(async () => {
  [clusters, redis] = await Promise.all([startTestClusters(), startRedisServer()]);
  config = clusters.config({
    watch: {
      interval: INTERVAL,
      probeTimeout: "1s",
      failureThreshold: 3,
      recoveryThreshold: RECOVERY,
      leaseTtl: "2s",
    },
  });
  store = await openTestRedisStore(redis.url, "watch:");
  h = await startSlackHarness({ runbooks: [failover], store, config });
  registerWatchListeners(h.surface.app, {
    service: h.service,
    store,
    notifier: h.surface.notifier,
    client: h.surface.client,
    log: h.surface.log,
    clock: { now: () => Date.now() },
  });
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await Promise.all(leases.map((l) => l.close()));
  await h?.stop();
  await store?.close();
  await Promise.all([clusters?.stop(), redis?.stop()]);
});

describe("failure detection of the sites that serve", () => {
  it("alerts when DC1's API server stops, opens a failover request from the alert, and clears after the configured successes", async () => {
    const a = await startReplica("replica-a");
    await waitFor(() => a.leadership.isLeader, { description: "replica a to lead" });
    await waitFor(() => rounds.some((r) => r.results.every((p) => p.ok)), { description: "a healthy round" });

    const stoppedAt = Date.now();
    await clusters.stopApiServer("dc1");
    await waitFor(() => alerts().length === 1, {
      timeoutMs: 30_000,
      description: "the alert in the channel",
    });
    const alert = alerts()[0]!;
    expect(JSON.stringify(alert.blocks)).toContain(WATCH_ACTION.alertFailover);
    expect(JSON.stringify(alert.blocks)).toContain("payments");

    // A real failover: the alert's button asks the scope's name typed, as /dr failover does.
    await h.click("U0ONCALL", INCIDENT, alert.ts, WATCH_ACTION.alertFailover);
    await confirmOpenModal(h.emulator, "U0ONCALL");
    const card = await h.findMessage("Failover requested");
    expect(JSON.stringify(card.blocks)).toContain("0/2");
    const [run] = await store.listRuns();
    expect(run).toMatchObject({
      kind: "failover",
      source: "watcher",
      requestedBy: "U0ONCALL",
      state: "pending_approval",
    });
    const opened = rounds.flatMap((r) => r.events).find((e) => e.type === "alert_opened")!;
    expect(run!.rto.detectedAt).toBe(opened.alert.firstFailureAt);
    expect(run!.rto.detectedAt).toBeGreaterThanOrEqual(stoppedAt);
    expect(run!.reason).toContain("dc1 down since");

    const seen = h.ephemeralCount("U0A1");
    await h.click("U0A1", INCIDENT, alert.ts, WATCH_ACTION.alertFailover);
    await confirmOpenModal(h.emulator, "U0A1");
    expect(await h.lastEphemeral("U0A1", seen)).toContain("may not request failover");
    // The first click's own confirmation may still be on its way: wait for the answer to this one.
    const first = h.emulator.views.modal("U0ONCALL")?.id;
    await h.click("U0ONCALL", INCIDENT, alert.ts, WATCH_ACTION.alertFailover);
    await confirmOpenModal(h.emulator, "U0ONCALL", first ? { before: first } : {});
    await waitFor(
      () =>
        h.emulator.ephemerals("U0ONCALL").some((e) => e.text.includes(`Already requested: \`${run!.id}\``)),
      { timeoutMs: 10_000, description: "the answer to the second click: already requested" },
    );
    expect(await store.listRuns()).toHaveLength(1);

    await clusters.startApiServer("dc1");
    await waitFor(() => latest(alert).text.includes("recovered"), {
      timeoutMs: 30_000,
      description: "the alert to clear",
    });
    expect(JSON.stringify(latest(alert).blocks)).not.toContain(WATCH_ACTION.alertFailover);
    expect(alerts()).toHaveLength(1);
    // Cleared on the round that made RECOVERY healthy rounds in a row, not before.
    const mine = rounds.filter((r) => r.replica === "replica-a");
    const clearedAt = mine.findIndex((r) => r.events.some((e) => e.type === "alert_cleared"));
    const healthyRun = mine.slice(clearedAt - RECOVERY + 1, clearedAt + 1);
    expect(healthyRun.every((r) => r.results.every((p) => p.ok))).toBe(true);
    expect(mine[clearedAt - RECOVERY]!.results.every((p) => p.ok)).toBe(false);
  });

  it("hands the watch to the other replica when the watching one dies", async () => {
    const a = replicas[0]!;
    const b = await startReplica("replica-b");
    // For several rounds a keeps watching and b only waits: one watcher at a time.
    const roundsOfA = rounds.filter((r) => r.replica === "replica-a").length;
    await waitFor(() => rounds.filter((r) => r.replica === "replica-a").length >= roundsOfA + 3, {
      timeoutMs: 15_000,
      description: "three more rounds by replica a",
    });
    expect(a.leadership.isLeader).toBe(true);
    expect(b.leadership.isLeader).toBe(false);
    expect(rounds.filter((r) => r.replica === "replica-b")).toEqual([]);

    await a.abandon();
    await waitFor(() => b.leadership.isLeader, { timeoutMs: 10_000, description: "replica b to take over" });
    await waitFor(() => rounds.some((r) => r.replica === "replica-b"), { description: "replica b to probe" });

    const before = alerts().length;
    await clusters.stopApiServer("dc1");
    try {
      await waitFor(() => alerts().length === before + 1, {
        timeoutMs: 30_000,
        description: "replica b's alert",
      });
    } finally {
      await clusters.startApiServer("dc1");
    }
    const alert = alerts().at(-1)!;
    await waitFor(() => latest(alert).text.includes("recovered"), {
      timeoutMs: 30_000,
      description: "it to clear",
    });
  });

  it("counts a hung API server as down within the probe deadline", async () => {
    const hung = await clusters.hangEndpoint();
    const site = new KubernetesSite(
      {
        ...config.sites[0]!,
        kubeconfig: { path: hung.kubeconfigPath, context: hung.context, inCluster: false },
      },
      {},
    );
    const events: TrackerEvent[] = [];
    const watcher = new ServingWatcher({
      probes: async () => servingProbes(config, initialServing(config), { site: () => site }),
      intervalMs: 1_000,
      probeTimeoutMs: 500,
      failureThreshold: 3,
      recoveryThreshold: RECOVERY,
      clock: { now: () => Date.now() },
      store: { kvGet: async () => undefined, kvSet: async () => true },
      notifier: {
        alertOpened: async () => {},
        alertCleared: async () => {},
        reminder: async () => {},
        scheduleFailed: async () => {},
      },
      channel: INCIDENT,
    });
    for (let i = 0; i < 3; i++) events.push(...(await watcher.round()));
    expect(hung.connections()).toBeGreaterThan(0);
    expect(events.map((e) => e.type)).toEqual(["alert_opened"]);
    expect(watcher.openAlert?.failing[0]?.detail).toMatch(/no answer|timed out|timeout/i);
  });

  it("after a failover watches DC2, not DC1: DC1 stopping alerts nobody, DC2 stopping offers a failback", async () => {
    const leader = replicas.find((r) => r.leadership.isLeader)!;
    const token = replicas.indexOf(leader) === 0 ? "replica-a" : "replica-b";
    await siteState.record(
      [
        {
          application: "payments",
          from: "dc1",
          to: "dc2",
          at: Date.now(),
          runId: "failover-e2e",
          by: "U0ONCALL",
          kind: "failover",
        },
      ],
      { payments: null },
    );
    const probedOnly = (site: string) => (r: (typeof rounds)[number]) =>
      r.replica === token && r.results.length > 0 && r.results.every((p) => p.target === `api:${site}`);
    await waitFor(() => rounds.some(probedOnly("dc2")), { description: "a round probing dc2 alone" });
    const before = alerts().length;
    const from = rounds.length;
    await clusters.stopApiServer("dc1");
    try {
      await waitFor(() => rounds.slice(from).filter(probedOnly("dc2")).length >= 5, {
        timeoutMs: 30_000,
        description: "five rounds with DC1 stopped",
      });
    } finally {
      await clusters.startApiServer("dc1");
    }
    expect(alerts()).toHaveLength(before);
    expect(rounds.slice(from).every((r) => r.results.every((p) => p.ok))).toBe(true);

    await clusters.stopApiServer("dc2");
    try {
      await waitFor(() => alerts().length === before + 1, { timeoutMs: 30_000, description: "DC2's alert" });
    } finally {
      await clusters.startApiServer("dc2");
    }
    const alert = alerts().at(-1)!;
    expect(alert.text).toContain("dc2 is down");
    expect(JSON.stringify(alert.blocks)).toContain("Request failback");
    await waitFor(() => latest(alert).text.includes("recovered"), {
      timeoutMs: 30_000,
      description: "it to clear",
    });
  });
});

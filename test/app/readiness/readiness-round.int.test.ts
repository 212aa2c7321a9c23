import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryRunStore } from "../../../src/adapters/memory/memory-run-store.js";
import { MemorySiteState } from "../../../src/adapters/memory/memory-site-state.js";
import type { RedisLeaderLease } from "../../../src/adapters/redis/redis-leader-lease.js";
import { RedisReadinessStore } from "../../../src/adapters/redis/redis-readiness-store.js";
import type { DrService } from "../../../src/app/dr-service.js";
import { readinessArtifact } from "../../../src/app/readiness/readiness-of-runs.js";
import { startWatch, type WatchHandle } from "../../../src/app/start-watch.js";
import { storeArtifacts } from "../../../src/app/store-artifacts.js";
import { applicationReadiness, tierReadiness } from "../../../src/domain/readiness/readiness.js";
import { silentLogger } from "../../../src/ports/logger.js";
import type { AssessReadiness } from "../../../src/ports/readiness.js";
import { logWatchNotifier } from "../../../src/ports/watch-notifier.js";
import { testConfig } from "../../support/config-fixture.js";
import { type RedisServer, startRedisServer } from "../../support/redis-server.js";
import { uniqueId } from "../../support/run-fixtures.js";
import { waitFor } from "../../support/wait-for.js";
import { openTestLeaderLease } from "../../support/watch-fixture.js";

/**
 * The readiness round on the watch leader, with two replicas on one real Redis: the leader lease and
 * the kept round are Redis's; the checks are counted stand-ins (the checks themselves are tested on
 * the local clusters), answering ready at once.
 */
let redis: RedisServer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.stop();
});

const config = testConfig({
  watch: { enabled: false, leaseTtl: "1s", readiness: { interval: "5m", deadline: "10s" } },
});

function countedChecks() {
  const rounds = { count: 0 };
  const assess: AssessReadiness = async () => {
    rounds.count++;
    const applications = config.applications.map((a) =>
      applicationReadiness(a.name, a.tier, [
        { check: "drift", verdict: "ready", summary: "match", evidence: [] },
      ]),
    );
    return {
      readAt: Date.now(),
      tookMs: 1,
      applications,
      tiers: tierReadiness(
        config.tiers.map((t) => t.name),
        applications,
      ),
    };
  };
  return { assess, rounds };
}

async function openReadiness(prefix: string): Promise<RedisReadinessStore> {
  const client = new Redis(redis.url, { commandTimeout: 1_000, lazyConnect: true });
  client.on("error", () => undefined);
  await client.connect();
  closers.push(async () => client.disconnect());
  return new RedisReadinessStore(client, { keyPrefix: prefix, deadlineMs: 1_000 });
}

/** A replica: its own lease connection, store connection and counted checks, on the shared prefix. */
async function replica(token: string, prefix: string, runs = new MemoryRunStore({ now: () => Date.now() })) {
  const checks = countedChecks();
  const store = await openReadiness(prefix);
  const lease: RedisLeaderLease = await openTestLeaderLease(redis.url, prefix);
  closers.push(() => lease.close());
  const watch: WatchHandle = startWatch({
    config,
    // Neither the calendar nor the alert monitors run here (no schedules, no alert channels).
    service: {} as DrService,
    store: runs,
    clock: { now: () => Date.now() },
    siteState: new MemorySiteState(),
    lease,
    notifier: logWatchNotifier(silentLogger),
    token,
    log: silentLogger,
    readiness: { assess: checks.assess, store, artifacts: storeArtifacts(runs) },
  });
  closers.push(() => watch.stop());
  return { watch, checks, store, runs };
}

describe("the readiness round on the watch leader", () => {
  it("is made by the leader only, and by the other replica once the leader stops", async () => {
    const prefix = `${uniqueId("ready")}:`;
    const a = await replica("replica-a", prefix);
    await waitFor(() => a.watch.leadership.isLeader, { description: "replica-a leading" });
    const b = await replica("replica-b", prefix);
    await waitFor(async () => (await b.store.latest()) !== undefined, { description: "a kept round" });
    expect(a.checks.rounds.count).toBe(1);
    expect(b.checks.rounds.count).toBe(0);
    expect(b.watch.leadership.isLeader).toBe(false);

    await a.watch.stop();
    await waitFor(() => b.watch.leadership.isLeader, { description: "replica-b leading" });
    // The kept round is not yet 5 minutes old: the new leader waits for the interval like the old one.
    await b.store.request({ at: Date.now(), reason: "a failover ended" });
    await waitFor(() => b.checks.rounds.count === 1, { description: "replica-b's first round" });
    expect(a.checks.rounds.count).toBe(1);
  });

  it("records the round made after a drill ends as the drill's readiness after, for its report", async () => {
    const prefix = `${uniqueId("ready")}:`;
    const a = await replica("replica-a", prefix);
    await waitFor(async () => (await a.store.latest()) !== undefined, { description: "a first round" });
    await a.store.request({
      at: Date.now(),
      runId: "drill-7",
      moment: "after",
      applications: ["payments"],
      reason: "drill-7 completed",
    });
    const artifacts = storeArtifacts(a.runs);
    await waitFor(async () => (await artifacts.get("drill-7", readinessArtifact("after"))) !== undefined, {
      description: "the drill's readiness after",
    });
    const after = JSON.parse((await artifacts.get("drill-7", readinessArtifact("after"))) ?? "{}");
    expect(after).toMatchObject({
      verdict: "ready",
      missing: [],
      applications: [{ application: "payments" }],
    });
    expect(await a.store.requests()).toEqual([]);
  });
});

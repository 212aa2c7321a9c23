import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { LEADER_LEASE } from "../../src/app/start-watch.js";
import { SlackEmulator, type StoredMessage } from "../../src/emulator/slack-emulator.js";
import { expectWithinDeadline } from "../support/deadline.js";
import { startTestClusters, type TestClusters } from "../support/k8s-testenv.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";
import { type ServeProcess, startServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * "Kill the watching replica and another takes over", with nothing simulated: two `drbot serve`
 * processes on the local clusters share one real redis-server and post to the Slack emulator. The
 * leader is killed with SIGKILL (its lease is not released: it must lapse), then DC1's API server is
 * really stopped; the surviving process must hold the lease within seconds and post the alert.
 */
const INCIDENT = "C0INCIDENT";
const LEASE_TTL_MS = 3_000;
const PREFIX = "drbot:";

let clusters: TestClusters;
let redis: RedisServer;
let emulator: SlackEmulator;
let redisClient: Redis;
let work: string;
let env: Record<string, string>;
const processes: ServeProcess[] = [];

/** Alerts posted in the channel (as first posted: a cleared alert is edited in place). */
const alerts = (): StoredMessage[] =>
  emulator.messages(INCIDENT).filter((m) => (m.versions[0]?.text ?? m.text).includes(" is down"));

/** The token a process logs when it becomes the leader, or undefined while it follows. */
const leaderToken = (p: ServeProcess): string | undefined =>
  /leading: watching the sites that serve and running the DR calendar \(([^)]+)\)/.exec(p.output())?.[1];

const leaseHolder = () => redisClient.get(`${PREFIX}leader:${LEADER_LEASE}`);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "drbot-watch-takeover-"));
  [clusters, redis] = await Promise.all([startTestClusters(), startRedisServer()]);
  redisClient = new Redis(redis.url, { commandTimeout: 2_000, maxRetriesPerRequest: 1 });
  emulator = new SlackEmulator({
    users: [{ id: "U0ONCALL", name: "oncall" }],
    channels: [{ id: INCIDENT, name: "incident" }],
  });
  await emulator.start();
  const configFile = join(work, "drbot.yaml");
  await writeFile(
    configFile,
    stringify(
      clusters.rawConfig({
        redis: { url: redis.url, keyPrefix: PREFIX },
        engine: { leaseTtl: "2s" },
        watch: {
          interval: "1s",
          probeTimeout: "1s",
          failureThreshold: 3,
          recoveryThreshold: 3,
          leaseTtl: `${LEASE_TTL_MS / 1000}s`,
        },
      }),
    ),
  );
  env = {
    DRBOT_CONFIG: configFile,
    DRBOT_RUNBOOKS: join(process.cwd(), "runbooks"),
    SLACK_BOT_TOKEN: emulator.botToken,
    SLACK_SIGNING_SECRET: emulator.signingSecret,
    SLACK_API_URL: emulator.apiUrl,
  };
}, 300_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop().catch(() => undefined)));
  redisClient?.disconnect();
  await emulator?.stop();
  await Promise.all([clusters?.stop(), redis?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the watch across drbot serve processes", () => {
  it("moves to the surviving process when the leader is SIGKILLed, which then alerts on DC1's loss", async () => {
    const a = await startServeProcess(env);
    processes.push(a);
    await waitFor(() => leaderToken(a) !== undefined, {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: "the first process to lead",
    });
    const b = await startServeProcess(env);
    processes.push(b);
    emulator.setRequestUrl(`${b.baseUrl}/slack/events`);
    // b competes every third of the TTL and keeps losing while a renews: one watcher at a time.
    await waitFor(() => b.output().includes("drbot serving Slack"), { description: "b to serve Slack" });
    expect(await leaseHolder()).toBe(leaderToken(a));
    expect(leaderToken(b)).toBeUndefined();
    expect(alerts()).toEqual([]);

    const killedAt = Date.now();
    expect(await a.kill()).toBe("SIGKILL");
    // Nothing was released: the dead process's token stays until the lease lapses.
    expect(await leaseHolder()).toBe(leaderToken(a));
    await waitFor(() => leaderToken(b) !== undefined, {
      timeoutMs: 20_000,
      intervalMs: 50,
      description: "the surviving process to take the lease",
    });
    const tookOverMs = Date.now() - killedAt;
    expect(await leaseHolder()).toBe(leaderToken(b));
    // Within one TTL plus a beat or two (a third of the TTL each).
    expectWithinDeadline(tookOverMs, LEASE_TTL_MS + (2 * LEASE_TTL_MS) / 3, "the takeover of the lease");

    const stoppedAt = Date.now();
    await clusters.stopApiServer("dc1");
    try {
      await waitFor(() => alerts().length > 0, {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: `the survivor's alert in the channel; it said:\n${b.output()}`,
      });
      const [alert] = alerts();
      expect(alerts()).toHaveLength(1);
      expect(alert!.text).toContain("dc1 is down");
      expect(JSON.stringify(alert!.blocks)).toContain("payments");
      // The open alert is in Redis, where another takeover would find it. Its first failed check is
      // the survivor's: after the kill, in the round that met the stop (a round is stamped when it
      // starts, so up to one interval before the stop).
      const open = JSON.parse((await redisClient.get(`${PREFIX}kv:watch:alert`)) ?? "{}") as {
        site?: string;
        firstFailureAt?: number;
      };
      expect(open.site).toBe("dc1");
      expect(open.firstFailureAt).toBeGreaterThan(killedAt);
      expect(open.firstFailureAt).toBeGreaterThanOrEqual(stoppedAt - 1_000);
    } finally {
      await clusters.startApiServer("dc1");
    }
    const [alert] = alerts();
    await waitFor(() => emulator.message(INCIDENT, alert!.ts)?.text.includes("recovered") ?? false, {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: "the survivor to clear the alert once DC1 is back",
    });
    expect(alerts()).toHaveLength(1);
  }, 180_000);
});

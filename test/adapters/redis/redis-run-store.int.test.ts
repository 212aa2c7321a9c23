import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, createRedisClient } from "../../../src/adapters/redis/create-redis-client.js";
import { RedisRunStore } from "../../../src/adapters/redis/redis-run-store.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import { type Config, redisSchema } from "../../../src/domain/config.js";
import type { StoreLimits } from "../../../src/ports/run-store.js";
import { openRedisStore } from "../../../src/runtime/open-redis-store.js";
import { testConfig } from "../../support/config-fixture.js";
import { recordingLogger } from "../../support/recording-logger.js";
import { type RedisServer, startRedisServer } from "../../support/redis-server.js";
import { runEvent, runRecord, stepRecord, uniqueId } from "../../support/run-fixtures.js";
import { waitFor } from "../../support/wait-for.js";
import { describeRunStoreContract } from "../run-store.contract.js";

function redisConfig(overrides: Partial<Config["redis"]>): Config["redis"] {
  return { ...redisSchema.parse({}), keyPrefix: "drbot:", commandTimeout: 2_000, ...overrides };
}

let server: RedisServer;
const clients: Redis[] = [];

/** A store on its own key prefix, through the production client factory. */
async function openStore(
  url: string,
  options: Partial<Config["redis"]> = {},
  env: NodeJS.ProcessEnv = {},
  limits?: StoreLimits,
) {
  const config = redisConfig({ url, keyPrefix: `${uniqueId("test")}:`, ...options });
  const client = createRedisClient(config, parseEnvironment(env));
  clients.push(client);
  await connectRedis(client, 5_000);
  return new RedisRunStore(client, config.keyPrefix, limits);
}

beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true });
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

describeRunStoreContract("Redis", async (limits) => ({
  store: await openStore(server.url, {}, {}, limits),
  async elapse(ms, until) {
    await waitFor(until, { timeoutMs: ms + 5_000, intervalMs: 20, description: `${ms} ms of TTL to pass` });
  },
}));

describe("Redis run store on a real server", () => {
  it("has no replica to wait for on a single server, and says so at once", async () => {
    const store = await openStore(server.url);
    expect(await store.awaitReplication(2_000)).toBe("no_replica");
  });

  it("says a replica is missing, after waiting for one, when the deployment declares one and none is connected", async () => {
    const config = { ...testConfig(), redis: redisConfig({ url: server.url, expectReplica: true }) };
    const { store } = await openRedisStore(config, parseEnvironment({}), recordingLogger());
    try {
      expect(await store.kvSet("mark", "running")).toBe(true);
      expect(await store.awaitReplication(200)).toBe("replica_missing");
    } finally {
      await store.close();
    }
    // One URL and nothing declared: a single Redis, as durable as it is.
    const single = { ...testConfig(), redis: redisConfig({ url: server.url }) };
    const plain = await openRedisStore(single, parseEnvironment({}), recordingLogger());
    try {
      expect(await plain.store.awaitReplication(200)).toBe("no_replica");
    } finally {
      await plain.store.close();
    }
  });

  it("counts the runs a store wrote before it kept a summary, once, and finds the finished ones for retention", async () => {
    const prefix = `${uniqueId("legacy")}:`;
    const store = await openStore(server.url, { keyPrefix: prefix });
    const running = runRecord({ state: "running" });
    const done = runRecord({ state: "completed", updatedAt: 1_000 });
    const rejected = runRecord({ state: "rejected", kind: "drill", updatedAt: 2_000 });
    for (const run of [running, done, rejected]) await store.createRun(run, [], runEvent(run.id));
    // As a store of the previous version left them: no summary, no kind or state fields, no
    // finished index.
    const raw = createRedisClient(redisConfig({ url: server.url }), parseEnvironment({}));
    clients.push(raw);
    await connectRedis(raw, 5_000);
    for (const run of [running, done, rejected]) await raw.hdel(`${prefix}run:{${run.id}}`, "k", "s");
    await raw.del(`${prefix}runs:summary`, `${prefix}runs:finished`);

    const summary = await store.runSummary();
    expect(summary.active).toBe(1);
    expect(summary.counts.map((c) => `${c.kind}/${c.state}=${c.runs}`).sort()).toEqual([
      "drill/rejected=1",
      "failover/completed=1",
      "failover/running=1",
    ]);
    expect(await store.listFinishedBefore(10_000, 10)).toEqual([done.id, rejected.id]);
    await store.updateRun({ ...running, state: "completed", version: 2, updatedAt: 3_000 }, 1);
    expect((await store.runSummary()).counts.map((c) => `${c.kind}/${c.state}=${c.runs}`).sort()).toEqual([
      "drill/rejected=1",
      "failover/completed=2",
    ]);
  });

  it("loses no run, step, attestation, event or fencing number across a Redis restart", async () => {
    const store = await openStore(server.url);
    const run = runRecord({ state: "running" });
    await store.createRun(run, [stepRecord("a"), stepRecord("check")], runEvent(run.id, "run.requested"));
    const lease = await store.claimLease(run.id, "exec-a", 60_000);
    if (!lease.ok) throw new Error("claim refused");
    await store.putStep(
      run.id,
      stepRecord("a", { status: "succeeded", attempts: 1 }),
      runEvent(run.id, "step.state"),
      lease.token,
    );
    await store.addAttestation(
      run.id,
      "check",
      { item: "dns", userId: "U1", at: 1 },
      runEvent(run.id, "step.attestation"),
    );
    const before = await store.readEvents(run.id);

    await server.restart();

    // The client reconnects by itself; commands issued meanwhile wait in its queue, bounded.
    expect(await store.getRun(run.id)).toEqual(run);
    const steps = await store.getSteps(run.id);
    expect(steps.get("a")).toEqual(stepRecord("a", { status: "succeeded", attempts: 1 }));
    expect(steps.get("check")?.attestations).toEqual([{ item: "dns", userId: "U1", at: 1 }]);
    expect(await store.readEvents(run.id)).toEqual(before);
    expect(await store.listActiveRunIds()).toEqual([run.id]);
    expect(await store.leaseHolder(run.id)).toBe(lease.token);
    await store.releaseLease(run.id, lease.token);
    const next = await store.claimLease(run.id, "exec-b", 60_000);
    expect(next).toMatchObject({ ok: true, takeover: true });
    expect(next.ok && next.fence).toBeGreaterThan(lease.fence);
  });

  it("answers unavailable within the command deadline when Redis is gone", async () => {
    const lonely = await startRedisServer();
    const store = await openStore(lonely.url, { commandTimeout: 300 });
    await store.kvSet("x", "1");
    await lonely.stop();
    await expect(store.getRun("anything")).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("Redis did not read a run"),
    });
    await expect(
      store.putStep("anything", stepRecord("a"), runEvent("anything"), "exec-a#1"),
    ).rejects.toMatchObject({ code: "unavailable" });
  });

  it("logs a lost connection once while it reconnects, and once when it is back, never the password", async () => {
    const password = "outage-pass-5e1d";
    const own = await startRedisServer({ requirePass: password });
    const log = recordingLogger();
    const client = createRedisClient(
      redisConfig({ url: own.url, passwordEnv: "TEST_REDIS_PASSWORD", commandTimeout: 300 }),
      parseEnvironment({ TEST_REDIS_PASSWORD: password }),
      log,
    );
    clients.push(client);
    await connectRedis(client, 5_000);
    const outage = () => log.lines.filter((l) => l.context.operation === "redis.connection");
    try {
      await own.restart(async () => {
        await waitFor(() => outage().length > 0, {
          timeoutMs: 10_000,
          description: "the lost connection logged",
        });
        // Every reconnect attempt fails while it is down; none of them adds a line.
        await expect(client.get("k")).rejects.toThrow();
      });
      await waitFor(() => outage().length > 1, { timeoutMs: 20_000, description: "the connection's return" });
      expect(outage().map((l) => [l.level, l.message])).toEqual([
        ["warn", "lost the connection to Redis; commands fail until it is back"],
        ["info", "the connection to Redis is back"],
      ]);
      expect((outage()[0]!.context.err as Error).message).not.toContain(password);
    } finally {
      await own.stop();
    }
  });

  it("authenticates with the password from the variable passwordEnv names", async () => {
    const locked = await startRedisServer({ requirePass: "s3cret-pass" });
    try {
      const store = await openStore(
        locked.url,
        { passwordEnv: "TEST_REDIS_PASSWORD" },
        {
          TEST_REDIS_PASSWORD: "s3cret-pass",
        },
      );
      expect(await store.kvSet("k", "v")).toBe(true);

      const wrong = createRedisClient(
        redisConfig({ url: locked.url, passwordEnv: "TEST_REDIS_PASSWORD" }),
        parseEnvironment({ TEST_REDIS_PASSWORD: "not-the-pass" }),
      );
      const error = await connectRedis(wrong, 2_000).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "unavailable" });
      expect(String((error as Error).message)).not.toContain("not-the-pass");
    } finally {
      await locked.stop();
    }
  });

  it("refuses a passwordEnv naming a variable that is not set", () => {
    expect(() =>
      createRedisClient(
        redisConfig({ url: "redis://127.0.0.1:1", passwordEnv: "TEST_REDIS_UNSET" }),
        parseEnvironment({}),
      ),
    ).toThrow(
      expect.objectContaining({
        code: "invalid_config",
        message: expect.stringContaining("TEST_REDIS_UNSET"),
      }),
    );
  });

  it("says it cannot reach a missing server without showing the URL's credentials", async () => {
    const client = createRedisClient(
      redisConfig({ url: "redis://drbot:hunter2@127.0.0.1:1", commandTimeout: 300 }),
      parseEnvironment({}),
    );
    const error = await connectRedis(client, 500).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "unavailable" });
    expect(String((error as Error).message)).not.toContain("hunter2");
  });
});

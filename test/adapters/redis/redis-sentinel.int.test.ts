import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectRedis,
  createRedisClient,
  redisTarget,
} from "../../../src/adapters/redis/create-redis-client.js";
import { RedisRunStore } from "../../../src/adapters/redis/redis-run-store.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import { type Config, redisSchema } from "../../../src/domain/config.js";
import type { StoreLimits } from "../../../src/ports/run-store.js";
import { effect, engineHarness, Ledger, ledgerStepKind } from "../../support/engine-harness.js";
import { type SentinelSet, startSentinelSet } from "../../support/redis-sentinel.js";
import { runEvent, runRecord, stepRecord, uniqueId } from "../../support/run-fixtures.js";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.js";
import { waitFor } from "../../support/wait-for.js";
import { describeRunStoreContract } from "../run-store.contract.js";

/**
 * drbot's Redis client through a real Sentinel set (a master, a replica, three Sentinels, started
 * by the shipped scripts), with a Redis password and a Sentinel password, and what happens to the
 * run store when the master is killed and a Sentinel promotes the replica.
 *
 * What it cannot show: that every effect happens exactly once across a failover when the master
 * dies between a step's "running" mark and its replication (that needs WAIT before unobservable
 * steps, which the engine does not do yet). These tests wait for the replica to be in sync before
 * killing the master and say so.
 */
let set: SentinelSet;
const clients: Redis[] = [];
const proxies: TcpProxy[] = [];
const ENV_NAMES = { passwordEnv: "TEST_REDIS_PASSWORD", sentinelPasswordEnv: "TEST_SENTINEL_PASSWORD" };

beforeAll(async () => {
  set = await startSentinelSet();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const proxy of proxies) await proxy.stop();
  await set?.stop();
});

function sentinelConfig(overrides: Partial<Config["redis"]> = {}): Config["redis"] {
  return {
    ...redisSchema.parse({}),
    keyPrefix: `${uniqueId("sentinel")}:`,
    commandTimeout: 2_000,
    sentinel: { name: set.name, sentinels: set.sentinels, passwordEnv: ENV_NAMES.sentinelPasswordEnv },
    passwordEnv: ENV_NAMES.passwordEnv,
    ...overrides,
  };
}

function passwords(): NodeJS.ProcessEnv {
  return { [ENV_NAMES.passwordEnv]: set.password, [ENV_NAMES.sentinelPasswordEnv]: set.sentinelPassword };
}

async function openStore(
  config = sentinelConfig(),
  env = passwords(),
  limits?: StoreLimits,
): Promise<RedisRunStore> {
  const client = createRedisClient(config, parseEnvironment(env));
  clients.push(client);
  await connectRedis(client, 10_000);
  return new RedisRunStore(client, config.keyPrefix, limits);
}

describeRunStoreContract("Redis through Sentinel", async (limits) => ({
  store: await openStore(sentinelConfig(), passwords(), limits),
  async elapse(ms, until) {
    await waitFor(until, { timeoutMs: ms + 5_000, intervalMs: 20, description: `${ms} ms of TTL to pass` });
  },
}));

describe("drbot's Redis client through Sentinel", () => {
  it("finds the master from the Sentinels named in the environment alone, with the default password variables", async () => {
    const env = {
      REDIS_SENTINELS: set.sentinels.map((s) => `${s.host}:${s.port}`).join(","),
      REDIS_SENTINEL_NAME: set.name,
      REDIS_PASSWORD: set.password,
      REDIS_SENTINEL_PASSWORD: set.sentinelPassword,
    };
    const config = redisSchema.parse({ keyPrefix: `${uniqueId("env")}:` });
    expect(redisTarget(config, parseEnvironment(env))).toMatchObject({
      kind: "sentinel",
      name: set.name,
      sentinels: set.sentinels,
    });
    const store = await openStore(config, env);
    expect(await store.kvSet("k", "v")).toBe(true);
    expect(await store.kvGet("k")).toBe("v");
  });

  it("does not connect without the Sentinel password, and says so without the passwords", async () => {
    const client = createRedisClient(
      sentinelConfig({ commandTimeout: 500 }),
      parseEnvironment({
        [ENV_NAMES.passwordEnv]: set.password,
        [ENV_NAMES.sentinelPasswordEnv]: "not-the-sentinel-password",
      }),
    );
    clients.push(client);
    const error = await connectRedis(client, 2_000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "unavailable" });
    expect(String((error as Error).message)).not.toContain("not-the-sentinel-password");
    expect(String((error as Error).message)).not.toContain(set.password);
  });

  it("refuses a REDIS_SENTINELS entry that is not host:port, naming it", () => {
    expect(() => parseEnvironment({ REDIS_SENTINELS: "sentinel-a:26379,sentinel-b" })).toThrow(
      expect.objectContaining({
        code: "invalid_environment",
        message: expect.stringMatching(/^REDIS_SENTINELS has "sentinel-b", which is not host:port/),
      }),
    );
  });

  it("refuses a REDIS_SENTINEL_ADDRESS_MAP pair that is not host:port=host:port, naming it", () => {
    expect(() =>
      parseEnvironment({ REDIS_SENTINEL_ADDRESS_MAP: "10.0.0.5:6379=127.0.0.1:7001,10.0.0.6:6379" }),
    ).toThrow(
      expect.objectContaining({
        code: "invalid_environment",
        message: expect.stringMatching(
          /^REDIS_SENTINEL_ADDRESS_MAP has "10.0.0.6:6379", which is not host:port=host:port/,
        ),
      }),
    );
  });
});

describe("drbot's Redis client when it reaches Redis by other addresses than the Sentinels announce", () => {
  it("goes where REDIS_SENTINEL_ADDRESS_MAP says, fails within its deadline while that path is cut, works once it heals, and follows a failover through the map", async () => {
    // One proxy in front of each Redis server: the only way this client reaches them.
    const paths = new Map<number, TcpProxy>();
    for (const node of set.nodes) {
      const proxy = await startTcpProxy({ port: node.port });
      proxies.push(proxy);
      paths.set(node.port, proxy);
    }
    const env = {
      ...passwords(),
      REDIS_SENTINEL_ADDRESS_MAP: [...paths]
        .map(([port, proxy]) => `127.0.0.1:${port}=${proxy.host}:${proxy.port}`)
        .join(","),
    };
    const store = await openStore(sentinelConfig({ commandTimeout: 1_000 }), env);
    const first = await set.master();
    const firstPath = paths.get(first.port)!;
    expect(await store.kvSet("k", "before")).toBe(true);
    expect(firstPath.acceptedConnections()).toBeGreaterThan(0);

    firstPath.blackhole();
    await expect(store.kvGet("k")).rejects.toMatchObject({ code: "unavailable" });
    firstPath.restore();
    await waitFor(async () => (await store.kvGet("k").catch(() => undefined)) === "before", {
      timeoutMs: 10_000,
      description: "the store to answer once the path heals",
    });

    await set.waitForReplicasInSync();
    const old = await set.killMaster();
    const promoted = await set.waitForNewMaster(old.port);
    await waitFor(async () => (await store.kvSet("k", "after").catch(() => false)) === true, {
      timeoutMs: 30_000,
      description: "a write to reach the promoted master",
    });
    expect(paths.get(promoted.port)!.acceptedConnections()).toBeGreaterThan(0);
    expect(await store.kvGet("k")).toBe("after");
    await old.start();
  });
});

describe("waiting for a replica before a step that cannot be repeated", () => {
  it("answers replicated once a replica has every write of the store's connection", async () => {
    await set.waitForReplicasInSync();
    const store = await openStore();
    expect(await store.kvSet("mark", "running")).toBe(true);
    expect(await store.awaitReplication(2_000)).toBe("replicated");
  });

  it("answers not_replicated when the replica is connected but does not acknowledge within the deadline", async () => {
    await set.waitForReplicasInSync();
    const store = await openStore();
    const master = await set.master();
    const replica = set.nodes.find((n) => n.port !== master.port && n.running)!;
    const probe = new Redis({
      host: "127.0.0.1",
      port: replica.port,
      password: set.password,
      lazyConnect: true,
    });
    probe.on("error", () => undefined);
    clients.push(probe);
    const pid = Number(/process_id:(\d+)/.exec(await probe.info("server"))?.[1]);
    probe.disconnect();
    process.kill(pid, "SIGSTOP");
    try {
      expect(await store.kvSet("mark", "running")).toBe(true);
      expect(await store.awaitReplication(300)).toBe("not_replicated");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await set.waitForReplicasInSync();
    expect(await store.awaitReplication(2_000)).toBe("replicated");
  });
});

describe("the run store when the Redis master dies", () => {
  it("reconnects through Sentinel to the promoted replica: earlier runs are readable, a run driven across the failover completes with each effect once", async () => {
    const store = await openStore();
    const before = runRecord({ state: "running" });
    await store.createRun(before, [stepRecord("a")], runEvent(before.id, "run.requested"));

    // A run whose middle step is under way when the master dies, and finishes after the failover.
    let entered: () => void = () => undefined;
    let release: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ledger = new Ledger();
    const kind = ledgerStepKind(ledger, {
      before: async (key) => {
        if (key !== "across") return;
        entered();
        await released;
      },
    });
    const h = engineHarness({ store, ledger, extraKinds: [kind], leaseTtlMs: 15_000 });
    const run = await h.createApprovedRun([effect("first"), effect("across"), effect("last")]);
    const driving = h.engine.drive(run.id);
    await inside;
    await set.waitForReplicasInSync();

    const old = await set.killMaster();
    const promoted = await set.waitForNewMaster(old.port);
    release();

    expect(await driving).toEqual({ driven: true, state: "completed" });
    expect(ledger.entries).toEqual(["first", "across", "last"]);
    expect(await store.getRun(before.id)).toEqual(before);
    const after = runRecord();
    await store.createRun(after, [], runEvent(after.id, "run.requested"));
    expect((await store.getRun(after.id))?.id).toBe(after.id);
    expect(await set.master()).toEqual(promoted);
    await old.start();
  });
});

import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, createRedisClient } from "../../../src/adapters/redis/create-redis-client.js";
import { RedisReadinessStore } from "../../../src/adapters/redis/redis-readiness-store.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import { redisSchema } from "../../../src/domain/config.js";
import { type RedisServer, startRedisServer } from "../../support/redis-server.js";
import { uniqueId } from "../../support/run-fixtures.js";
import { startTcpProxy } from "../../support/tcp-proxy.js";
import { describeReadinessStoreContract, keptRound } from "../readiness-store.contract.js";

let server: RedisServer;
const clients: Redis[] = [];

/** A readiness store on its own key prefix, through the production client factory. */
async function openStore(url: string, options: { deadlineMs?: number; keyPrefix?: string } = {}) {
  const keyPrefix = options.keyPrefix ?? `${uniqueId("ready")}:`;
  const config = { ...redisSchema.parse({}), url, keyPrefix, commandTimeout: 2_000 };
  const client = createRedisClient(config, parseEnvironment({}));
  clients.push(client);
  await connectRedis(client, 5_000);
  return new RedisReadinessStore(client, {
    keyPrefix: config.keyPrefix,
    ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}),
  });
}

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

describeReadinessStoreContract("Redis", () => openStore(server.url));

describe("the kept readiness round on a real Redis", () => {
  it("is the same round for every replica, each on its own connection", async () => {
    const keyPrefix = `${uniqueId("shared")}:`;
    const leader = await openStore(server.url, { keyPrefix });
    const replica = await openStore(server.url, { keyPrefix });
    await leader.keep(keptRound(1_700_000_000_000, "not_ready"));
    expect(await replica.latest()).toEqual(keptRound(1_700_000_000_000, "not_ready"));
  });

  it("says within its deadline that it could not read when Redis accepts and never answers", async () => {
    const proxy = await startTcpProxy({ port: Number(new URL(server.url).port) });
    const store = await openStore(`redis://127.0.0.1:${proxy.port}`, { deadlineMs: 300 });
    await store.keep(keptRound(1_000));
    proxy.blackhole();
    try {
      await expect(store.latest()).rejects.toMatchObject({ code: "timeout" });
      await expect(store.keep(keptRound(2_000))).rejects.toMatchObject({ code: "timeout" });
    } finally {
      await proxy.stop();
    }
  });
});

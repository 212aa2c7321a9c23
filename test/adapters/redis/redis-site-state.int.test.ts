import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, createRedisClient } from "../../../src/adapters/redis/create-redis-client.js";
import { RedisSiteState } from "../../../src/adapters/redis/redis-site-state.js";
import { parseEnvironment } from "../../../src/config/environment.js";
import { redisSchema } from "../../../src/domain/config.js";
import { type RedisServer, startRedisServer } from "../../support/redis-server.js";
import { uniqueId } from "../../support/run-fixtures.js";
import { waitFor } from "../../support/wait-for.js";
import { describeSiteStateContract } from "../site-state.contract.js";

let server: RedisServer;
const clients: Redis[] = [];

/** A site state on its own key prefix, through the production client factory. */
async function openSiteState(url: string, maxHistory?: number): Promise<RedisSiteState> {
  const config = { ...redisSchema.parse({}), url, keyPrefix: `${uniqueId("sites")}:`, commandTimeout: 2_000 };
  const client = createRedisClient(config, parseEnvironment({}));
  clients.push(client);
  await connectRedis(client, 5_000);
  return new RedisSiteState(client, config.keyPrefix, maxHistory);
}

beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true });
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

describeSiteStateContract("Redis", (options = {}) => openSiteState(server.url, options.maxHistory));

describe("Redis site state on a real server", () => {
  it("keeps which site serves across a restart of Redis", async () => {
    const store = await openSiteState(server.url);
    const move = {
      application: "payments",
      from: "dc1",
      to: "dc2",
      at: 1_700_000_000_000,
      runId: "failover-restart",
      by: "U0ONCALL",
      kind: "failover" as const,
    };
    await store.record([move], { payments: null });
    await server.restart();
    await waitFor(async () => (await store.current().catch(() => [])).length === 1, {
      timeoutMs: 10_000,
      description: "the restarted Redis to answer",
    });
    expect(await store.current()).toEqual([move]);
    expect(await store.history()).toEqual([move]);
  });

  it("says Redis did not answer, without waiting forever, when the server is gone", async () => {
    const gone = await startRedisServer();
    const store = await openSiteState(gone.url);
    await gone.stop();
    await expect(store.current()).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringContaining("Redis did not read which site serves each application"),
    });
  });
});

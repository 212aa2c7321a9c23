import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisLeaderLease } from "../../../src/adapters/redis/redis-leader-lease.js";
import { DrError } from "../../../src/domain/errors.js";
import { type RedisServer, startRedisServer } from "../../support/redis-server.js";
import { waitFor } from "../../support/wait-for.js";

let redis: RedisServer;
const clients: RedisLeaderLease[] = [];

async function openLease(url = redis.url): Promise<RedisLeaderLease> {
  const client = new Redis(url, {
    commandTimeout: 500,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  await client.connect().catch(() => undefined);
  const lease = new RedisLeaderLease(client, `t${clients.length}:`);
  clients.push(lease);
  return lease;
}

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await redis.stop();
});

describe("the leader lease on Redis", () => {
  it("is held by one token at a time; the holder renews it, others cannot", async () => {
    const lease = await openLease();
    expect(await lease.acquire("watch", "a", 5_000)).toBe(true);
    expect(await lease.acquire("watch", "b", 5_000)).toBe(false);
    expect(await lease.acquire("watch", "a", 5_000)).toBe(true);
    expect(await lease.renew("watch", "a", 5_000)).toBe(true);
    expect(await lease.renew("watch", "b", 5_000)).toBe(false);
    expect(await lease.holder("watch")).toBe("a");
  });

  it("releases only for its holder", async () => {
    const lease = await openLease();
    await lease.acquire("watch", "a", 5_000);
    await lease.release("watch", "b");
    expect(await lease.holder("watch")).toBe("a");
    await lease.release("watch", "a");
    expect(await lease.holder("watch")).toBeUndefined();
    expect(await lease.acquire("watch", "b", 5_000)).toBe(true);
  });

  it("lapses after its TTL, after which a late renewal by the old holder fails", async () => {
    const lease = await openLease();
    await lease.acquire("watch", "a", 150);
    await waitFor(async () => (await lease.holder("watch")) === undefined, {
      timeoutMs: 3_000,
      description: "the lease to lapse",
    });
    expect(await lease.acquire("watch", "b", 5_000)).toBe(true);
    expect(await lease.renew("watch", "a", 5_000)).toBe(false);
  });

  it("says Redis is unavailable, without the URL's password, when it cannot be reached", async () => {
    const lease = await openLease("redis://:hunter2@127.0.0.1:1");
    const error = await lease.acquire("watch", "a", 1_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrError);
    expect((error as DrError).code).toBe("unavailable");
    expect((error as DrError).message).not.toContain("hunter2");
  });
});
